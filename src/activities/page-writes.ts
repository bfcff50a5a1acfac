import { Context } from '@temporalio/activity';
import {
  emptyCounts,
  type FailedRecordReport,
  type ReportEntry,
  type SourceRecord,
  type SyncCounts,
} from '../shared/sync-types';
import { WriteStream } from '../shared/write-stream';
import type { ActivityDeps } from './deps';
import { heldOrdersStillCount } from './order-lookup';
import type { ExchangeInput, ExchangeResult } from '../shared/activity-io';
import { mailerliteExchangeActivities } from './mailerlite-exchange';
import { retryInPlace } from './retry-in-place';

/** How a sync writes to MailerLite, as this worker is configured. */
export interface WritePath {
  /**
   * `budgeted`: one activity per MailerLite request, on the rate-limited task queue (the account's
   * budget, shared by every worker). `direct`: no budget is configured
   * (`MAILERLITE_REQUESTS_PER_MINUTE=0`), so a whole page is written by one activity.
   */
  path: 'budgeted' | 'direct';
  requestsPerMinute: number;
}

export interface WritePageInput {
  campaign: string;
  /** The album: a newer order a subscriber's field holds is kept only while it is a purchase of it. */
  productId: number;
  /** The page's valid records, in source order. */
  records: SourceRecord[];
  groupId: string;
  purchaseFieldKey: string;
  fieldKeys: string[];
  mode: 'upsert' | 'update-only';
  /** Batch chains sent side by side. */
  lanes: number;
  /** Items of one batch request, 2..50. */
  batchSize: number;
  /** Most failed or skipped records listed with their reasons (every one is in `entries`). */
  reportLimit: number;
}

export interface WritePageResult {
  /** Only the write outcomes are counted: created, updated, unchanged, superseded, skipped, failed. */
  counts: SyncCounts;
  failures: FailedRecordReport[];
  skips: FailedRecordReport[];
  /** Every failed and skipped record of the page, for the per-record report. */
  entries: ReportEntry[];
  /** MailerLite batch requests sent. */
  requests: number;
}

/** What an attempt heartbeats: the orders it has written, so a retry counts them as written. */
interface WrittenSoFar {
  created: number[];
  updated: number[];
}

/** Tries of one batch within the activity before the page fails (and its activity is retried). */
const BATCH_TRIES = 5;

export function pageWriteActivities(deps: ActivityDeps) {
  const exchangeActivities = mailerliteExchangeActivities(deps);
  const requestsPerMinute = deps.mailerliteRequestsPerMinute;
  return {
    /**
     * Which write path a sync takes on this worker: `direct` only when the worker is configured
     * with no MailerLite request budget (0). Asked once per run and recorded in its history.
     */
    async describeWritePath(): Promise<WritePath> {
      return {
        path: requestsPerMinute === 0 ? 'direct' : 'budgeted',
        requestsPerMinute: requestsPerMinute ?? 0,
      };
    },

    /**
     * Writes one page of valid records: the same lanes of read-then-write batches as the budgeted
     * path, all within this activity, with the page's requests sent `lanes` at a time. Nothing
     * is written without being read first, so a retried attempt rewrites nothing the last one
     * wrote; the orders it wrote travel in the heartbeat, so the retry still counts them as
     * created or updated. A transient failure of one batch is tried again in place.
     */
    async writeRecordsPage(input: WritePageInput): Promise<WritePageResult> {
      const ctx = Context.current();
      const earlier = ctx.info.heartbeatDetails as WrittenSoFar | undefined;
      const earlierCreated = new Set(earlier?.created ?? []);
      const earlierUpdated = new Set(earlier?.updated ?? []);
      const written: WrittenSoFar = { created: [...earlierCreated], updated: [...earlierUpdated] };
      const tally = {
        counts: emptyCounts(),
        failures: [] as FailedRecordReport[],
        skips: [] as FailedRecordReport[],
        samples: { created: [], updated: [] },
        reportLimit: input.reportLimit,
        entries: [] as ReportEntry[],
      };
      let requests = 0;
      const exchange = (batch: ExchangeInput): Promise<ExchangeResult> =>
        retryInPlace(
          ctx,
          BATCH_TRIES,
          () => exchangeActivities.mailerliteExchange(batch),
          () => requests++,
        );
      const stream = new WriteStream(
        {
          groupId: input.groupId,
          purchaseFieldKey: input.purchaseFieldKey,
          fieldKeys: input.fieldKeys,
          mode: input.mode,
          lanes: input.lanes,
          batchSize: input.batchSize,
          dryRun: false,
          sampleSize: 0,
          // The whole page is queued at once and the stream closed, so nothing ever waits.
          maxQueued: input.records.length + 1,
          exchange: async (batch) => {
            const result = await exchange(batch);
            ctx.heartbeat(written);
            return result;
          },
          waitFor: async (ready) => {
            if (!ready()) throw new Error('a page write waited for more records; it is given all of them');
          },
          onWritten: (record, kind) => written[kind].push(record.orderId),
          // EDD look-ups between two batches: each one heartbeats, so a slow store does not look
          // like a lost worker.
          checkHeld: (checks) =>
            heldOrdersStillCount(deps, input.productId, checks, () => ctx.heartbeat(written)),
          earlierWrite: (record) =>
            earlierCreated.has(record.orderId)
              ? 'created'
              : earlierUpdated.has(record.orderId)
                ? 'updated'
                : undefined,
        },
        tally,
      );
      await stream.push(input.records);
      stream.close();
      await stream.run();
      return {
        counts: tally.counts,
        failures: tally.failures,
        skips: tally.skips,
        entries: tally.entries,
        requests,
      };
    },
  };
}
