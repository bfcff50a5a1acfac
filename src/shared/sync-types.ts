import type { DestinationRead } from './destination-read';
import { z } from 'zod';
import { DEFAULT_PURCHASE_TIER, DEFAULT_TIERS } from './campaign';
import { durationSchema } from './duration';
import { MAX_TIER_LENGTH, campaignCodeSchema, labelSchema, tiersSchema } from './schemas';

const SampleSchema = z
  .object({
    orderId: z.number(),
    email: z.string(),
    fields: z.record(z.string(), z.union([z.string(), z.number()])),
  })
  .strict();

/** A record a dry run would write, with the field values it would send. */
export type WriteSample = z.output<typeof SampleSchema>;

const countsShape = {
  fetched: z.number().int().min(0),
  valid: z.number().int().min(0),
  invalid: z.number().int().min(0),
  created: z.number().int().min(0),
  updated: z.number().int().min(0),
  unchanged: z.number().int().min(0),
  superseded: z.number().int().min(0),
  skipped: z.number().int().min(0),
  failed: z.number().int().min(0),
  removed: z.number().int().min(0),
};

/** What a run hands the next one when it continues as new: the cursor and the running stats. */
const ResumeSchema = z
  .object({
    /** The next EDD page to read. */
    page: z.number().int().min(1),
    pages: z.number().int().min(0),
    counts: z.object(countsShape).strict(),
    invalidRecords: z.array(
      z.object({
        orderId: z.number(),
        customerId: z.number(),
        email: z.string(),
        reasons: z.array(z.string()),
      }),
    ),
    failedRecords: z.array(
      z.object({ orderId: z.number(), customerId: z.number(), email: z.string(), reason: z.string() }),
    ),
    skippedRecords: z.array(
      z.object({ orderId: z.number(), customerId: z.number(), email: z.string(), reason: z.string() }),
    ),
    samples: z
      .object({
        created: z.array(z.lazy(() => SampleSchema)),
        updated: z.array(z.lazy(() => SampleSchema)),
      })
      .strict(),
    startedAt: z.string(),
    /** When the overall timeout ends the sync (ISO time), if it has one. */
    deadline: z.string().optional(),
    productId: z.number().int().positive(),
    /** Runs of this sync before this one. */
    continuations: z.number().int().min(1),
    /** The last order numbers of the page before `page`, to join it with the next page's seam. */
    tail: z.array(z.string()).optional(),
    /** The orders of that page's purchases (what its next page's seam must not repeat). */
    tailOrderIds: z.array(z.number()).optional(),
    /** The newest order the sync read (EDD's number, from page 1). */
    newestOrder: z.string().optional(),
    /** Its date (UTC), the watermark's other half. */
    newestDate: z.string().optional(),
    /** An incremental run's watermark (null: none) and the orders read past it so far. */
    incrementalFrom: z
      .object({
        order: z.string(),
        date: z.string(),
        seen: z.array(z.number()).optional(),
        destination: z
          .object({ groupId: z.string(), fieldKey: z.string(), tier: z.string().optional() })
          .strict()
          .optional(),
      })
      .nullable()
      .optional(),

    readPast: z.number().int().min(0).optional(),
    /** Why an incremental run syncs in full (see `SyncSummary.incremental.inFull`). */
    inFull: z.enum(['no-watermark', 'destination-gone', 'other-destination']).optional(),
    /** The first run wrote to the watermark's group and field without looking them up. */
    destinationReused: z.boolean().optional(),
    /**
     * The campaign's purchase group and field, as the first run found (or made) them: the runs it
     * continues as need not look them up again.
     */
    destination: z
      .object({ groupId: z.string(), fieldKey: z.string(), tier: z.string().optional() })
      .strict()
      .optional(),
    /**
     * The list path's destination index: the worker's own task queue and the index's key there,
     * so the next run goes on with it instead of reading MailerLite again (rebuilt if it is gone).
     */
    listPath: z
      .object({
        taskQueue: z.string(),
        key: z.string(),
        lookUps: z.number().int().min(0).optional(),
        lookedUp: z.number().int().min(0).optional(),
        nonActiveListsRead: z.boolean().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type SyncResume = z.output<typeof ResumeSchema>;

/**
 * Input of the campaign-sync workflow. Credentials never travel here (they would be written to
 * workflow history): the worker reads them from its own environment. Unknown keys are rejected so
 * a misspelt option fails loudly instead of being ignored.
 */
export const SyncInputSchema = z
  .object({
    /** Campaign code `YEAR_ARTIST_ALBUM`, e.g. `2024_ETB_NBL`. */
    campaign: campaignCodeSchema(),
    /** EDD product (download) ID of the album; found from the campaign code when absent. */
    productId: z.number().int().positive().optional(),
    /** Tiers whose groups the campaign has. Default: BEMA's eight tiers. */
    tiers: tiersSchema().default([...DEFAULT_TIERS]),
    /** Tier whose group purchasers join. Default `Bronze Purchase`; must be one of `tiers`. */
    purchaseTier: labelSchema('purchaseTier', MAX_TIER_LENGTH).default(DEFAULT_PURCHASE_TIER),
    /** EDD sales read per page (one activity each). Default 100, at most 1000. */
    pageSize: z.number().int().min(1).max(1000).default(100),
    /**
     * Operations in one MailerLite batch request (reads and writes together). Default 50, the
     * most MailerLite accepts; smaller batches cost more requests of the account's budget.
     */
    batchSize: z.number().int().min(2).max(50).default(50),
    /**
     * Overall time limit, as a duration (`90s`, `30m`, `2h`, `1d`). When it passes, the sync stops
     * at the next page boundary, keeps what it wrote, records its partial stats and fails with
     * `SyncTimeoutError`. Default: none.
     */
    timeout: durationSchema('timeout').optional(),
    /**
     * How often a running sync logs a progress line (workflow log, on the worker), and how often
     * `sync start --wait` polls it, as a duration. Default `10s`.
     */
    progressInterval: durationSchema('progressInterval').default('10s'),
    /** Stop after this many source pages (a safety net for huge stores). Default: no limit. */
    maxPages: z.number().int().positive().optional(),
    /**
     * MailerLite batch chains run side by side. Default 4: one chain waits for each
     * answer; four keep the account's request budget in use at MailerLite's latency.
     */
    writeLanes: z.number().int().min(1).max(8).default(4),
    /**
     * How a full (non-incremental, non-dry, upsert or mirror) sync reads MailerLite: `auto` (default)
     * takes the way estimated to cost fewer requests, `lists` reads the purchase group and the
     * account's non-active subscribers with cursor lists, `per-buyer` reads each buyer in the write
     * batches. Incremental, dry and update-only runs always read per buyer.
     */
    destinationRead: z.enum(['auto', 'lists', 'per-buyer']).default('auto'),
    /** How many invalid or failed records the summary lists with their reasons. Default 100. */
    reportLimit: z.number().int().min(0).max(1000).default(100),
    /** Who started the run (recorded in search attributes and stats). Default `manual`. */
    trigger: labelSchema('trigger', 200).default('manual'),
    /**
     * `upsert` (default) creates and updates; `update-only` only updates subscribers MailerLite
     * has; `mirror` upserts, then removes from the campaign's purchase group the members who are no
     * longer purchasers in the source.
     */
    mode: z.enum(['upsert', 'update-only', 'mirror']).default('upsert'),
    /**
     * Mirror mode: the share (0..1) of the purchase group's members a run may remove on its own.
     * Above it, the run waits for an approval (`sync approve`, or the `approveRemovals` signal from
     * the Temporal UI). Default 0.1.
     */
    maxRemovalShare: z.number().min(0).max(1).default(0.1),
    /** Mirror mode: how long to wait for that approval before failing, as a duration. Default `24h`. */
    approvalTimeout: durationSchema('approvalTimeout').default('24h'),
    /**
     * Read EDD's sales newest first only back to the campaign's watermark (the newest order the
     * last completed run read), plus a lookback, and sync those buyers. A campaign without a
     * watermark gets a full sync. Not with `mirror` (absence proves nothing then). Default false.
     */
    incremental: z.boolean().default(false),
    /**
     * How far an incremental run reads past the watermark, in order dates (orders keep the number
     * they got when created, and a pending one can complete later): a duration. Default `48h`.
     */
    lookback: durationSchema('lookback').default('48h'),
    /** And at least this many orders past the watermark. Default 200. */
    lookbackOrders: z.number().int().min(0).max(100_000).default(200),
    /** Compute what the run would create, update and skip, with samples, and write nothing. */
    dryRun: z.boolean().default(false),
    /** Records of each kind a dry run lists as samples. Default 10. */
    sampleSize: z.number().int().min(0).max(100).default(10),
    /**
     * History events after which a run continues as new (carrying its cursor and stats), at a page
     * boundary. Default 10,000, below Temporal's warning at 10,240; the server's own suggestion
     * (`continueAsNewSuggested`) is followed too.
     */
    historyLimit: z.number().int().min(200).max(40_000).default(10_000),
    /**
     * Look the campaign's MailerLite group and field up (and create what is missing) even when the
     * last run's watermark names them. Set by an incremental run that found them gone, when it
     * starts again; a caller need not set it. Default false.
     */
    refreshDestination: z.boolean().default(false),
    /**
     * Set by `sync all` for its campaigns' syncs: the pass over EDD's sales list they share (pages
     * one sync read are kept on the worker, so the store is read once), and whose start checked both
     * connections (the sync does not check them again). A caller need not set it.
     */
    storePass: z
      .string()
      .regex(/^[A-Za-z0-9_:./-]{1,300}$/, 'storePass: letters, digits and _ : . / - only')
      .optional(),
    /** Set by the workflow itself when it continues as new; not for callers. */
    resume: ResumeSchema.optional(),
  })
  .strict()
  .refine((input) => input.tiers.includes(input.purchaseTier), {
    message: 'purchaseTier must be one of tiers',
    path: ['purchaseTier'],
  })
  .refine((input) => !(input.incremental && input.mode === 'mirror'), {
    message:
      'incremental cannot be combined with mode mirror: mirror must read every order to know who is no longer a buyer (run it as a full sync)',
    path: ['incremental'],
  });

/** Why a start that carries `resume` is refused: only the sync's own continue-as-new sets it. */
export const FORGED_RESUME =
  'resume: is set by the sync itself when it continues as new; a start must leave it out';

/** What a caller passes (defaults may be left out). */
export type SyncInput = z.input<typeof SyncInputSchema>;
/** The input after defaults are applied. */
export type SyncOptions = z.output<typeof SyncInputSchema>;

/** A summary's list of one kind of record (`<kind>Records`) and how many it left out (`…Omitted`). */
export type ListedRecords<K extends string, T> = Record<`${K}Records`, T[]> &
  Record<`${K}RecordsOmitted`, number>;

/**
 * The records of one kind a summary lists (at most its report limit) with the count of those left
 * out, from how many there were: `listedRecords('failed', listed, 120)`.
 */
export function listedRecords<K extends string, T>(
  kind: K,
  listed: T[],
  counted: number,
): ListedRecords<K, T> {
  return { [`${kind}Records`]: listed, [`${kind}RecordsOmitted`]: counted - listed.length } as ListedRecords<
    K,
    T
  >;
}

/** One purchase of the campaign's album, as read from EDD. */
export interface SourceRecord {
  orderId: number;
  customerId: number;
  email: string;
  firstName: string;
  lastName: string;
  /** Problems found while reading the record (e.g. its customer is missing in EDD); make it invalid. */
  sourceProblems?: string[];
}

/** A record the validator refused, with every reason (not only the first). */
export interface InvalidRecordReport {
  orderId: number;
  customerId: number;
  email: string;
  reasons: string[];
}

/** A valid record the destination refused or that failed to write. */
export interface FailedRecordReport {
  orderId: number;
  customerId: number;
  email: string;
  reason: string;
}

export type SyncPhase =
  | 'starting'
  | 'checking-connections'
  | 'preparing'
  | 'syncing'
  | 'mirroring'
  | 'awaiting-approval'
  | 'recording'
  | 'completed'
  | 'cancelled'
  | 'failed';

export interface SyncCounts {
  /** Purchase records read from the source. */
  fetched: number;
  valid: number;
  invalid: number;
  created: number;
  updated: number;
  /** Valid records already in the destination exactly as they would be written: not written. */
  unchanged: number;
  /**
   * Valid records of an older order of the album by someone whose newer order is already in the
   * destination (or in the same page): the purchase field keeps the newest order, so not written.
   */
  superseded: number;
  /**
   * Valid records deliberately not written, each listed with its reason: the subscriber
   * unsubscribed, bounced or is junk (consent kept), or is absent in an update-only sync.
   */
  skipped: number;
  /** Valid records the destination refused or that could not be written. */
  failed: number;
  /** Mirror mode: members removed from the purchase group (a dry run: members it would remove). */
  removed: number;
}

/** What a per-record report entry is about. */
export type ReportKind = 'invalid' | 'failed' | 'skipped' | 'removed';

/**
 * One line of a sync's per-record report: a record that was invalid, refused by the destination,
 * skipped (consent, update-only) or removed from the group by a mirror sync, with its reasons.
 */
export interface ReportEntry {
  kind: ReportKind;
  email: string;
  reasons: string[];
  /** The EDD order and customer, for source records. */
  orderId?: number;
  customerId?: number;
  /** The MailerLite subscriber, for removals. */
  subscriberId?: string;
  /**
   * A removal a mirror sync has planned and not made yet: it waits for an approval (`sync report`
   * lists these while the sync waits, so they can be reviewed before `sync approve`).
   */
  pending?: boolean;
}

/** Mirror mode's removal step, as the summary and the progress query report it. */
export interface MirrorReport {
  /** Members of the purchase group read. */
  groupMembers: number;
  /** Members no longer purchasers in the source. */
  toRemove: number;
  /** `maxRemovalShare` of the run. */
  maxRemovalShare: number;
  /** `waiting` while the run waits for an approval. */
  state: 'not-run' | 'scanning' | 'waiting' | 'approved' | 'rejected' | 'removing' | 'done' | 'dry-run';
  /** Why the removal step did not run (e.g. `--max-pages` stopped reading before the end). */
  note?: string;
  approvedBy?: string;
  /** When a waiting run gives up (ISO time). */
  approvalDeadline?: string;
  /** Some of the members to remove (a dry run's sample). */
  sample: { subscriberId: string; email: string }[];
  /** Removals MailerLite refused. */
  failed: number;
}

/** Answer of the `progress` query. */
export interface SyncProgress extends SyncCounts {
  campaign: string;
  phase: SyncPhase;
  /** Source pages finished so far. */
  pages: number;
  startedAt: string;
  updatedAt: string;
  mode: SyncOptions['mode'];
  /** Mirror mode's removal step, once it has started. */
  mirror?: MirrorReport;
  /**
   * When the overall `timeout` ends the sync (ISO time), if it has one: the run stops at the next
   * page boundary after it, so the campaign's lock is released about then at the latest.
   */
  deadline?: string;
  /** Who started the sync (its `trigger`: `cli`, `schedule:<id>`, `sync-all:<id>`, ...). */
  trigger?: string;
}

/** The newest order a completed sync read: EDD's order number and its date (`YYYY-MM-DD HH:MM:SS`, UTC). */
export interface Watermark {
  order: string;
  date: string;
  /**
   * The orders (the purchase field's numbers) of the album's purchases the run read within the
   * lookback of its newest order: the next incremental run counts them as seen and does not read
   * them from MailerLite again. Absent when there were too many to keep.
   */
  seen?: number[];
  /**
   * The campaign's purchase group and purchase field the run wrote to: the next incremental run
   * writes there without looking them up (no MailerLite request when nothing is new), and looks
   * them up again only when MailerLite says they are gone.
   */
  destination?: WatermarkDestination;
}

/** Where a campaign's purchases go in MailerLite: the purchase group's ID and the purchase field's key. */
export interface WatermarkDestination {
  groupId: string;
  fieldKey: string;
  /** The purchase tier whose group it is: a run with another `purchaseTier` looks its own group up. */
  tier?: string;
}

/** What a finished (or cancelled) sync returns. */
export interface SyncSummary extends SyncCounts {
  campaign: string;
  productId: number;
  /**
   * A run that returns is `completed` or `cancelled`; `timed-out` and `failed` are recorded in
   * stats only, for runs that end in a failure after keeping what they wrote.
   */
  status: 'completed' | 'cancelled' | 'timed-out' | 'failed';
  pages: number;
  /**
   * The newest order in EDD's sales list when the sync read its first page (EDD's order number):
   * the sync read every order up to it; orders placed since are left to the next sync.
   */
  newestOrder?: string;
  /**
   * The campaign's watermark after this run: the newest order it read, with its date (UTC). Set
   * only on a completed run that is no dry run and read all it had to (to the end, or to its
   * lookback); the next incremental run reads back to it.
   */
  watermark?: Watermark;
  /**
   * An incremental run: the watermark it read back to, and how many orders it read past it. `from`
   * is null when the run synced in full, and `inFull` says why: the campaign had no watermark
   * (`no-watermark`), MailerLite said the watermark's group or field is gone (`destination-gone`),
   * or this run's purchase tier writes to another group or field (`other-destination`).
   */
  incremental?: {
    from: Watermark | null;
    readPast: number;
    inFull?: 'no-watermark' | 'destination-gone' | 'other-destination';
  };
  /** Temporal runs the sync took (continue-as-new keeps each run's history small). */
  runs: number;
  /** True when nothing was written: `created` and `updated` then count what a real run would write. */
  dryRun: boolean;
  /** A dry run's samples of what it would create and update, at most `sampleSize` each. */
  samples: { created: WriteSample[]; updated: WriteSample[] };
  /** A dry run's groups and fields a real run would create. */
  resourcesToCreate: string[];
  mode: SyncOptions['mode'];
  /**
   * How the last run wrote: `budgeted` (a MailerLite request per activity on the rate-limited
   * queue) or `direct` (a page per activity, when the worker has no request budget configured).
   */
  writePath?: 'budgeted' | 'direct';
  /**
   * A full sync's way to read MailerLite (`lists` or `per-buyer`) and its estimated cost in
   * requests; absent on incremental and dry runs, which read per buyer.
   */
  destinationRead?: DestinationRead;
  /** Mirror mode's removal step. */
  mirror?: MirrorReport;
  /** Invalid records with their reasons, at most `reportLimit` of them. */
  invalidRecords: InvalidRecordReport[];
  /** Invalid records not listed because of `reportLimit`. */
  invalidRecordsOmitted: number;
  failedRecords: FailedRecordReport[];
  failedRecordsOmitted: number;
  /** Records not written to keep consent (unsubscribed, bounced, junk), with the reason, at most `reportLimit`. */
  skippedRecords: FailedRecordReport[];
  skippedRecordsOmitted: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}

export function emptyCounts(): SyncCounts {
  return {
    fetched: 0,
    valid: 0,
    invalid: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    superseded: 0,
    skipped: 0,
    failed: 0,
    removed: 0,
  };
}

/**
 * The valid records of a page from a validation's verdicts: every record but those at `invalidAt`
 * (positions in `records`). Used where the records are already at hand, so that the validation
 * need not send them back.
 */
export function keepValid(records: SourceRecord[], invalidAt: readonly number[]): SourceRecord[] {
  const invalid = new Set(invalidAt);
  return records.filter((_, i) => !invalid.has(i));
}
