import type { ExchangeInput, ExchangeResult } from './activity-io';
import type { FailedRecordReport, ReportEntry, SourceRecord, SyncCounts, WriteSample } from './sync-types';
import {
  heldNewerOrder,
  newestPerEmail,
  planWrite,
  type PlanContext,
  type SubscriberUpsert,
} from './subscriber-plan';

/** Most items of one MailerLite batch. */
export const MAX_BATCH_ITEMS = 50;

export interface StreamOptions extends PlanContext {
  fieldKeys: string[];
  /** Items of one batch request, 2..50; one place is always kept for a read. Default 50. */
  batchSize?: number;
  /** Batch chains running side by side. */
  lanes: number;
  /** Plan only: count and sample what would be written, send no writes. */
  dryRun: boolean;
  sampleSize: number;
  /**
   * Records waiting to be read, beyond which `push` waits (backpressure on the source). Raised to
   * two full batches a lane, so a lane waiting to fill its batch always gets there.
   */
  maxQueued: number;
  exchange: (input: ExchangeInput) => Promise<ExchangeResult>;
  /** Resolves once `predicate` holds: the workflow's `condition`. */
  waitFor: (predicate: () => boolean) => Promise<unknown>;
  /** The group or field may not exist yet (a dry run's): see `ExchangeInput.fieldsMayBeMissing`. */
  fieldsMayBeMissing?: boolean;
  /** Told of each record this stream wrote (created or updated), once MailerLite accepted it. */
  onWritten?: (record: SourceRecord, kind: 'created' | 'updated') => void;
  /**
   * For a record read as already written: whether an earlier attempt of the same work wrote it
   * (a retried page), so it counts as that attempt's `created` or `updated`, not `unchanged`.
   */
  earlierWrite?: (record: SourceRecord) => 'created' | 'updated' | undefined;
  /**
   * Whether each subscriber's newer purchase order (the field holds it) still counts in EDD, asked
   * for the records of a batch whose field holds a newer order than theirs ({@link heldNewerOrder}).
   * Without it a newer held order is always kept.
   */
  checkHeld?: (checks: HeldOrderCheck[]) => Promise<boolean[]>;
}

/** A subscriber and the order their purchase field holds. */
export interface HeldOrderCheck {
  email: string;
  orderId: number;
}

/** Where lanes add their outcomes as they go, so the progress query sees them at once. */
export interface Tally {
  counts: SyncCounts;
  failures: FailedRecordReport[];
  /** Records skipped to keep consent, with the reason. */
  skips: FailedRecordReport[];
  /** A dry run's samples of what it would write. */
  samples: { created: WriteSample[]; updated: WriteSample[] };
  /** Failed records to list, at most. */
  reportLimit: number;
  /**
   * Every failed and skipped record, for the per-record report; the workflow empties it when it
   * hands the entries over. Unlike the lists above, it is not limited.
   */
  entries: ReportEntry[];
}

interface Pending {
  record: SourceRecord;
  upsert: SubscriberUpsert;
  create: boolean;
}

interface Lane {
  queue: SourceRecord[];
  pending: Pending[];
}

/**
 * The write side of a sync, as a stream fed page by page while the source reads the next page.
 * Records are spread over lanes by email, so two orders of one buyer never race in two lanes. Each
 * lane is a chain of MailerLite batches: a batch carries the upserts decided from the previous
 * batch's reads plus as many new reads as fit, so requests stay (nearly) full. A new subscriber
 * costs two batch items (read, write), an unchanged one one item (read); nothing is written
 * without being read first.
 */
export class WriteStream {
  private readonly lanes: Lane[];
  private closed = false;

  constructor(
    private readonly opts: StreamOptions,
    private readonly tally: Tally,
  ) {
    this.lanes = Array.from({ length: Math.max(1, opts.lanes) }, () => ({ queue: [], pending: [] }));
    this.batchItems = Math.min(MAX_BATCH_ITEMS, Math.max(2, opts.batchSize ?? MAX_BATCH_ITEMS));
    this.maxQueued = Math.max(opts.maxQueued, 2 * this.batchItems * this.lanes.length);
  }

  private readonly maxQueued: number;
  private readonly batchItems: number;
  /** Dry run only: the order planned so far for each email (a real run's writes carry this). */
  private readonly dryPlanned = new Map<string, number>();

  /** Queues valid records for writing; resolves when the queue has room again. */
  async push(records: SourceRecord[]): Promise<void> {
    for (const record of records) this.lanes[laneOf(record.email, this.lanes.length)]!.queue.push(record);
    await this.opts.waitFor(() => this.queued() < this.maxQueued);
  }

  /** No more records will come; the lanes finish what they hold. */
  close(): void {
    this.closed = true;
  }

  /** Runs every lane until the stream is closed and drained. */
  async run(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => this.runLane(lane)));
  }

  private queued(): number {
    return this.lanes.reduce((n, lane) => n + lane.queue.length, 0);
  }

  private async runLane(lane: Lane): Promise<void> {
    const { counts } = this.tally;
    const batchItems = this.batchItems;
    const maxWrites = batchItems - 1;
    for (;;) {
      // Every request spends the account's budget, so a lane sends only full batches until the
      // stream closes: writes plus reads make 50, or writes alone fill their 49.
      await this.opts.waitFor(
        () =>
          this.closed ||
          lane.pending.length >= maxWrites ||
          lane.queue.length >= batchItems - Math.min(lane.pending.length, maxWrites),
      );
      if (lane.queue.length === 0 && lane.pending.length === 0) return;
      const writes = lane.pending.splice(0, maxWrites);
      // Two orders of one buyer in the same read: only the newest is planned. An older one read in
      // a later batch sees the newer write (writes go first in a batch) and is superseded there.
      const { latest: reading, superseded } = newestPerEmail(
        lane.queue.splice(0, batchItems - writes.length),
      );
      counts.superseded += superseded;
      const result = await this.opts.exchange({
        writes: writes.map((w) => w.upsert),
        reads: reading.map((r) => r.email),
        fieldKeys: this.opts.fieldKeys,
        groupId: this.opts.groupId,
        ...(this.opts.fieldsMayBeMissing ? { fieldsMayBeMissing: true } : {}),
      });
      result.writes.forEach((outcome, i) => this.recordWrite(writes[i]!, outcome));
      const stillCounts = await this.checkHeldOrders(reading, result.reads);
      result.reads.forEach((snapshot, i) => {
        const record = reading[i]!;
        const plan = planWrite(record, snapshot, this.opts, stillCounts[i]);
        if ((plan.kind === 'create' || plan.kind === 'update') && this.opts.dryRun) {
          // Nothing is written, so a later read cannot see this run's earlier plan for the same
          // buyer: remember it here, as the write would have.
          const key = record.email.toLowerCase();
          const planned = this.dryPlanned.get(key) ?? 0;
          if (planned >= record.orderId) {
            // The same order read twice (a page boundary moved) is as good as written already.
            counts[planned === record.orderId ? 'unchanged' : 'superseded']++;
            return;
          }
          this.dryPlanned.set(key, record.orderId);
          const kind = plan.kind === 'create' ? 'created' : 'updated';
          counts[kind]++;
          const samples = this.tally.samples[kind];
          if (samples.length < this.opts.sampleSize) {
            samples.push({ orderId: record.orderId, email: record.email, fields: plan.upsert.fields });
          }
        } else if (plan.kind === 'create' || plan.kind === 'update') {
          lane.pending.push({ record, upsert: plan.upsert, create: plan.kind === 'create' });
        } else if (plan.kind === 'skipped') {
          counts.skipped++;
          this.report(this.tally.skips, record, plan.reason, 'skipped');
        } else if (plan.kind === 'unchanged') {
          counts[this.opts.earlierWrite?.(record) ?? 'unchanged']++;
        } else counts[plan.kind]++;
      });
    }
  }

  /** Per read, whether the newer order its subscriber's field holds still counts (true: no check). */
  private async checkHeldOrders(
    reading: SourceRecord[],
    snapshots: ExchangeResult['reads'],
  ): Promise<boolean[]> {
    const stillCounts = reading.map(() => true);
    if (!this.opts.checkHeld) return stillCounts;
    const asked: number[] = [];
    const checks: HeldOrderCheck[] = [];
    snapshots.forEach((snapshot, i) => {
      const held = heldNewerOrder(reading[i]!, snapshot, this.opts);
      if (held === undefined) return;
      asked.push(i);
      checks.push({ email: reading[i]!.email, orderId: held });
    });
    if (checks.length === 0) return stillCounts;
    const answers = await this.opts.checkHeld(checks);
    asked.forEach((at, k) => (stillCounts[at] = answers[k] ?? true));
    return stillCounts;
  }

  private recordWrite({ record, create }: Pending, outcome: ExchangeResult['writes'][number]): void {
    const { counts } = this.tally;
    if (outcome.ok) {
      const kind = create ? 'created' : 'updated';
      counts[kind]++;
      this.opts.onWritten?.(record, kind);
      return;
    }
    if (outcome.consent) {
      // They withdrew between this stream's read and its write: kept as they are, like anyone
      // read as withdrawn.
      counts.skipped++;
      this.report(this.tally.skips, record, outcome.reason, 'skipped');
      return;
    }
    counts.failed++;
    this.report(this.tally.failures, record, outcome.reason, 'failed');
  }

  private report(
    list: FailedRecordReport[],
    { orderId, customerId, email }: SourceRecord,
    reason: string,
    kind: ReportEntry['kind'],
  ): void {
    if (list.length < this.tally.reportLimit) list.push({ orderId, customerId, email, reason });
    this.tally.entries.push({ kind, orderId, customerId, email, reasons: [reason] });
  }
}

/**
 * A stable lane for an email (FNV-1a of the lower-cased address's code points). Indexed, not
 * `for...of`: the string iterator made this a tenth of the workflow's own CPU time. The lanes must
 * stay as they were (a replayed run schedules the same writes), so code points above U+FFFF still
 * count once, as the iterator gave them.
 */
export function laneOf(email: string, lanes: number): number {
  const lower = email.toLowerCase();
  let hash = 0x811c9dc5;
  for (let i = 0; i < lower.length; i++) {
    const point = lower.codePointAt(i)!;
    if (point > 0xffff) i++;
    hash ^= point;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % lanes;
}
