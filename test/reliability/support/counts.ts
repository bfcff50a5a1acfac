import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { EmulatorHandle } from '../../../dev/emulators';

/** What one reliability case did, for the summary printed at the end of the suite. */
export interface CaseCounts {
  /** The case, e.g. `1 worker SIGKILL`. */
  name: string;
  /** MailerLite records compared with the expected state, one by one. */
  recordsCompared?: number;
  /** Faults the emulators injected (`/_admin/stats` → `faults.total`, both emulators). */
  faultsInjected?: number;
  /** Requests the emulators delayed on purpose (`faults.delayed`). */
  requestsDelayed?: number;
  /** Processes killed with SIGKILL (worker, Temporal server). */
  processesKilled?: number;
  /** Invalid workflow inputs tried (each through the client and straight to the workflow). */
  inputsTried?: number;
  /** Concurrent starts refused because the campaign was locked. */
  startsRefused?: number;
  /** Hostile source records checked (written correctly or reported with a reason). */
  hostileRecords?: number;
  durationMs: number;
}

/** The file the cases append their counts to; the global setup sets it for the whole run. */
function countsFile(): string | undefined {
  return process.env.CAMPAIGN_SYNC_RELIABILITY_COUNTS;
}

/** Records one case's counts (a JSON line), for the summary the global teardown prints. */
export function recordCounts(counts: CaseCounts): void {
  const file = countsFile();
  if (file) appendFileSync(file, `${JSON.stringify(counts)}\n`);
}

export function readCounts(file: string): CaseCounts[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as CaseCounts);
}

interface FaultStatsView {
  faults: { total: number; delayed: number; byKind: Record<string, number> };
}

/** Faults both emulators injected so far (their own counters), by kind. */
export async function faultCounts(
  ...emulators: EmulatorHandle[]
): Promise<{ total: number; delayed: number; byKind: Record<string, number> }> {
  const sum = { total: 0, delayed: 0, byKind: {} as Record<string, number> };
  for (const emulator of emulators) {
    const res = await fetch(`${emulator.url}/_admin/stats`);
    if (!res.ok) throw new Error(`GET /_admin/stats: HTTP ${res.status}`);
    const { faults } = (await res.json()) as FaultStatsView;
    sum.total += faults.total;
    sum.delayed += faults.delayed;
    for (const [kind, n] of Object.entries(faults.byKind)) sum.byKind[kind] = (sum.byKind[kind] ?? 0) + n;
  }
  return sum;
}

/** The summary table printed at the end of the suite. */
export function formatSummary(cases: CaseCounts[], wallMs: number): string {
  const total = (key: keyof CaseCounts) =>
    cases.reduce((n, c) => {
      const value = c[key];
      return n + (typeof value === 'number' ? value : 0);
    }, 0);
  const cell = (v: number | undefined) => (v === undefined ? '-' : String(v));
  const header = ['case', 'records', 'faults', 'delayed', 'kills', 'inputs', 'refused', 'hostile', 'seconds'];
  const rows = [...cases]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((c) => [
      c.name,
      cell(c.recordsCompared),
      cell(c.faultsInjected),
      cell(c.requestsDelayed),
      cell(c.processesKilled),
      cell(c.inputsTried),
      cell(c.startsRefused),
      cell(c.hostileRecords),
      (c.durationMs / 1000).toFixed(0),
    ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) =>
    r.map((v, i) => (i === 0 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  return [
    '',
    'Reliability suite summary',
    line(header),
    ...rows.map(line),
    '',
    `records compared: ${total('recordsCompared')}`,
    `faults injected: ${total('faultsInjected')} (plus ${total('requestsDelayed')} requests delayed, ${total('processesKilled')} processes killed)`,
    `inputs tried: ${total('inputsTried')}`,
    `concurrent starts refused: ${total('startsRefused')}`,
    `hostile records checked: ${total('hostileRecords')}`,
    `cases: ${cases.length}, wall time ${(wallMs / 1000).toFixed(0)} s`,
    '',
  ].join('\n');
}
