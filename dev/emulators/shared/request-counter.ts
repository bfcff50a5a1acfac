/** Counts requests by a label and response status, for the emulators' `/_admin/stats`. */
export class RequestCounter {
  private total = 0;
  private readonly counts = new Map<string, Map<number, number>>();

  record(label: string, status: number): void {
    this.total += 1;
    const byStatus = this.counts.get(label) ?? new Map<number, number>();
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    this.counts.set(label, byStatus);
  }

  reset(): void {
    this.total = 0;
    this.counts.clear();
  }

  /** `{ total, byRoute: { "<label>": { "<status>": count } } }`. */
  toJSON(): { total: number; byRoute: Record<string, Record<string, number>> } {
    const byRoute: Record<string, Record<string, number>> = {};
    for (const [label, byStatus] of [...this.counts].sort(([a], [b]) => a.localeCompare(b))) {
      byRoute[label] = Object.fromEntries(
        [...byStatus].sort(([a], [b]) => a - b).map(([s, n]) => [String(s), n]),
      );
    }
    return { total: this.total, byRoute };
  }
}
