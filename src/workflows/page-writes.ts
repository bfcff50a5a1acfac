import type { WritePageInput, WritePageResult } from '../activities';
import type { SourceRecord } from '../shared/sync-types';
import { laneOf, type Tally } from '../shared/write-stream';

/**
 * Where a sync's reading side hands valid records to its writing side: the records, or (the list
 * path) where they are kept.
 */
export interface RecordSink<V = SourceRecord[]> {
  /** Queues a page's valid records; resolves when there is room for the next page. */
  push(records: V): Promise<void>;
  /** No more records will come. */
  close(): void;
  /** Writes until closed and drained. */
  run(): Promise<void>;
}

export interface PageWritesOptions extends Omit<WritePageInput, 'records'> {
  write: (input: WritePageInput) => Promise<WritePageResult>;
  /** Resolves once `predicate` holds: the workflow's `condition`. */
  waitFor: (predicate: () => boolean) => Promise<unknown>;
}

/**
 * The direct write path (no MailerLite budget configured): each page's valid records are split
 * over the lanes by email, as the budgeted stream splits them, and each lane's share of a page is
 * written by one activity while the source reads the next pages. A lane writes its shares one
 * after another, so a buyer's older order on a later page is read after the newer one was written,
 * as on the budgeted path; lanes do not wait for each other, so one slow lane holds up only its
 * own buyers. At most two shares wait per lane (backpressure on the source).
 */
export class PageWrites implements RecordSink {
  /** Per lane, the shares of pages to write; the first is being written until it is done. */
  private readonly lanes: SourceRecord[][][];
  private closed = false;

  constructor(
    private readonly opts: PageWritesOptions,
    private readonly tally: Tally,
  ) {
    this.lanes = Array.from({ length: Math.max(1, opts.lanes) }, () => []);
  }

  async push(records: SourceRecord[]): Promise<void> {
    const shares = this.lanes.map((): SourceRecord[] => []);
    for (const record of records) shares[laneOf(record.email, this.lanes.length)]!.push(record);
    shares.forEach((share, i) => {
      if (share.length > 0) this.lanes[i]!.push(share);
    });
    await this.opts.waitFor(() => this.lanes.every((lane) => lane.length <= 2));
  }

  close(): void {
    this.closed = true;
  }

  async run(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => this.runLane(lane)));
  }

  private async runLane(lane: SourceRecord[][]): Promise<void> {
    const { write, waitFor, ...base } = this.opts;
    for (;;) {
      await waitFor(() => this.closed || lane.length > 0);
      const records = lane[0];
      if (!records) return;
      const result = await write({ ...base, lanes: 1, records });
      lane.shift();
      this.add(result);
    }
  }

  private add(result: WritePageResult): void {
    const { counts, failures, skips, entries, reportLimit } = this.tally;
    for (const key of ['created', 'updated', 'unchanged', 'superseded', 'skipped', 'failed'] as const) {
      counts[key] += result.counts[key];
    }
    failures.push(...result.failures.slice(0, Math.max(0, reportLimit - failures.length)));
    skips.push(...result.skips.slice(0, Math.max(0, reportLimit - skips.length)));
    entries.push(...result.entries);
  }
}
