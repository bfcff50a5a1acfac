import {
  ActivityFailure,
  ApplicationFailure,
  log,
  proxyActivities,
  sleep,
  TimeoutFailure,
} from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type {
  Activities,
  CampaignResources,
  IndexPageResult,
  PlanListPageResult,
  WriteListBatchesResult,
} from '../activities';
import {
  DESTINATION_LISTS,
  estimateDestinationRead,
  NON_ACTIVE_LISTS,
  type DestinationList,
  type DestinationRead,
} from '../shared/destination-read';
import { DestinationIndexLostError, NON_RETRYABLE_ERROR_TYPES } from '../shared/errors';
import { mailerliteTaskQueue } from '../shared/names';
import { emptyCounts, type SourceRecord, type SyncCounts } from '../shared/sync-types';
import type { Tally } from '../shared/write-stream';
import type { RecordSink } from './page-writes';
import { ACTIVITY_RETRY } from './retry';

/**
 * Requests a sync spends (over every claim and continued run) looking up buyers in no list read
 * (50 a request) before it reads the non-active lists instead: the lists cost at least one request
 * each, so looking up never costs more than twice what reading them would have, and a re-run whose
 * buyers are all active members reads no non-active list at all.
 */
const LOOKUP_ALLOWANCE = NON_ACTIVE_LISTS.length;

/** Buyers one look-up request reads (a batch of reads). */
const LOOKUPS_PER_REQUEST = 50;

/**
 * Steps on a worker's own queue are tried once: a failure that is the worker's (it is gone: the
 * step does not start within this, or stops heartbeating) makes the sync claim another worker and
 * rebuild the index there; any other failure is tried again here, with a turn of the budget each.
 */
const HOST_SCHEDULE_TO_START = '10s';
const HOST_HEARTBEAT = '10s';

/** Tries of one step before the sync fails (as the activity retry policy's attempts). */
const STEP_TRIES = 10;

/**
 * Records planned together: source pages are gathered (and split) into chunks of exactly this
 * many, 20 batches of 49, so a chunk whose records are all written fills whole batches (a chunk of
 * 1,000 took 21).
 */
const CHUNK = 20 * 49;

/** Times the sync claims another worker after losing one, before it fails. */
const MAX_CLAIMS = 5;

const main = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: '20s',
  retry: ACTIVITY_RETRY,
});

export interface ListPathOptions {
  /** The sync's workflow and run: names its index on the worker. */
  syncKey: string;
  /** The workflow's task queue. */
  taskQueue: string;
  productId: number;
  resources: Pick<CampaignResources, 'purchaseGroupId' | 'purchaseFieldKey' | 'purchaseGroupMembers'>;
  mode: 'upsert' | 'update-only';
  /** Batches in flight at once. */
  lanes: number;
  /** Items of one batch, 2..50 (one is the read-back). */
  batchSize: number;
  /** No request budget: a page's batches are written by one activity, without turns. */
  direct: boolean;
  /** Resolves once `predicate` holds: the workflow's `condition`. */
  waitFor: (predicate: () => boolean) => Promise<unknown>;
  /** `auto`: the cheaper way by the estimate; otherwise the way asked for. */
  way: 'auto' | 'lists' | 'per-buyer';
  /** The index the run before this one (continued as new) built: used while its worker has it. */
  carried?: IndexPlace;
}

/**
 * Where a destination index is: the worker's own task queue, and the index's key there; and the
 * look-up requests spent on it so far (the allowance holds across continue-as-new).
 */
export interface IndexPlace {
  taskQueue: string;
  key: string;
  lookUps?: number;
  /** What the summary says the path did so far (`DestinationRead.lookedUp`, `nonActiveListsRead`). */
  lookedUp?: number;
  nonActiveListsRead?: boolean;
}

/**
 * For a full sync: which way to read MailerLite, from the sizes (EDD's count of the album's
 * sales, the purchase group's counts that provisioning read, the worker's list page size), and
 * the record sink of the list path when it is the one chosen. EDD requests only.
 */
export async function chooseDestinationRead(
  opts: ListPathOptions,
  tally: Tally,
): Promise<{ choice: DestinationRead; sink?: ListPathSink }> {
  const described = await main.describeDestination({ productId: opts.productId });
  const choice = estimateDestinationRead({
    ...(described.buyers !== undefined ? { buyers: described.buyers } : {}),
    ...(opts.resources.purchaseGroupMembers ? { members: opts.resources.purchaseGroupMembers } : {}),
    listLimit: described.listLimit,
    batchSize: opts.batchSize,
  });
  if (opts.carried) {
    // A continued run goes on the way the first run chose (its index is on a worker).
    const { lookedUp, nonActiveListsRead } = opts.carried;
    const carried: DestinationRead = {
      ...choice,
      way: 'lists',
      ...(lookedUp ? { lookedUp } : {}),
      ...(nonActiveListsRead ? { nonActiveListsRead } : {}),
    };
    return { choice: carried, sink: new ListPathSink(opts, tally, carried) };
  }
  if (opts.way !== 'auto' && opts.way !== choice.way) {
    // Asked for: the estimates stay, the way is the one asked.
    const chosen = {
      ...choice,
      way: opts.way,
      estimatedRequests: choice.otherWayRequests,
      otherWayRequests: choice.estimatedRequests,
    };
    return {
      choice: chosen,
      ...(opts.way === 'lists' ? { sink: new ListPathSink(opts, tally, chosen) } : {}),
    };
  }
  return { choice, ...(choice.way === 'lists' ? { sink: new ListPathSink(opts, tally, choice) } : {}) };
}

/** Source pages handed to the list path (a chunk), until their writes are all answered and counted. */
interface HeldPage {
  page: number;
  /** No more records join it: it is being planned, or was. */
  sealed: boolean;
  records: SourceRecord[];
  /** Its plan on the current worker (none yet, or the worker was lost). */
  plan?: PlanListPageResult;
  /** Batches answered on the current worker, by batch number. */
  answered: Map<number, WriteListBatchesResult>;
  /** Orders written by batches answered on workers lost since. */
  earlier: { created: number[]; updated: number[] };
  /** Batches not yet answered on the current worker. */
  left: number;
}

/** The worker the sync uses, or the news that it was lost. */
class WorkerLost extends Error {}

/**
 * The list path of a full sync (docs/write-strategy.md), as the record sink the reading loop feeds:
 * it claims a worker process (its own task queue), has it read the destination into an index kept
 * in that process, then plans each page there against the index and writes what differs in
 * batches of up to 49 upserts and one read-back. With a request budget, every MailerLite request
 * (each list page, each batch) is preceded by a turn on the rate-limited queue.
 *
 * If the worker is lost (a step does not start within 10 s, or stops heartbeating), the sync claims
 * another and rebuilds the index there, then plans again every page whose writes were not all
 * answered; upserts are idempotent, and what answered batches wrote still counts as created or
 * updated. A batch the lost worker sent but never answered reads as unchanged on the next one.
 */
export class ListPathSink implements RecordSink {
  private readonly pages: HeldPage[] = [];
  private pushed = 0;
  private closed = false;
  private failure: Error | undefined;
  private claims = 0;
  private inFlight = 0;
  private place: IndexPlace | undefined;
  private readonly turn;
  /** Look-up requests spent by this sync (all claims, and the runs it continued from). */
  private lookUps: number;

  constructor(
    private readonly opts: ListPathOptions,
    private readonly tally: Tally,
    /** The choice the summary shows: told what the path did (`lookedUp`, `nonActiveListsRead`). */
    private readonly report: DestinationRead,
  ) {
    const ml = proxyActivities<Activities>({
      taskQueue: mailerliteTaskQueue(opts.taskQueue),
      startToCloseTimeout: '2m',
      retry: ACTIVITY_RETRY,
    });
    this.lookUps = opts.carried?.lookUps ?? 0;
    this.turn = opts.direct ? () => Promise.resolve() : () => ml.mailerliteTurn();
  }

  async push(records: SourceRecord[]): Promise<void> {
    for (let from = 0; from < records.length;) {
      const last = this.pages.at(-1);
      if (last && !last.sealed && last.records.length < CHUNK) {
        const taken = records.slice(from, from + CHUNK - last.records.length);
        last.records.push(...taken);
        from += taken.length;
      } else {
        this.pages.push({
          page: ++this.pushed,
          sealed: false,
          records: [],
          answered: new Map(),
          earlier: { created: [], updated: [] },
          left: 0,
        });
      }
    }
    // About two chunks waiting at most (backpressure on the source), as the other sinks.
    await this.opts.waitFor(() => this.failure !== undefined || this.held() <= 2 * CHUNK);
  }

  private held(): number {
    return this.pages.reduce((n, p) => n + p.records.length, 0);
  }

  /** The next chunk to plan: the first unplanned one, once full or once the source is read. */
  private ready(): HeldPage | undefined {
    const page = this.pages.find((p) => !p.plan);
    return page && (page.sealed || page.records.length >= CHUNK || this.closed) ? page : undefined;
  }

  close(): void {
    this.closed = true;
  }

  /** Where this run's index is, for the next run when the sync continues as new. */
  handover(): IndexPlace | undefined {
    return this.place;
  }

  /** Lets the worker forget the index: the sync is done with it. */
  async release(): Promise<void> {
    if (!this.place) return;
    const host = proxyActivities<Activities>({
      taskQueue: this.place.taskQueue,
      scheduleToStartTimeout: HOST_SCHEDULE_TO_START,
      startToCloseTimeout: '30s',
      retry: { maximumAttempts: 1 },
    });
    await host.releaseDestinationIndex({ key: this.place.key }).catch(() => undefined);
  }

  async run(): Promise<void> {
    for (;;) {
      const carried = this.claims === 0 ? this.opts.carried : undefined;
      const key = carried?.key ?? `${this.opts.syncKey}/${this.claims + 1}`;
      this.claims++;
      try {
        await this.runOn(key, carried?.taskQueue);
        return;
      } catch (err) {
        if (!(err instanceof WorkerLost) || this.claims >= MAX_CLAIMS) throw err;
        log.warn('list path: worker lost, rebuilding the index on another', {
          claims: this.claims,
          pagesHeld: this.pages.length,
        });
        for (const page of this.pages) {
          for (const r of page.answered.values()) {
            page.earlier.created.push(...r.created);
            page.earlier.updated.push(...r.updated);
          }
          page.answered.clear();
          delete page.plan;
          page.left = 0;
        }
        this.failure = undefined;
        this.inFlight = 0;
      }
    }
  }

  /**
   * Everything on one claimed worker: the index, then each page's plan and writes. With `carried`,
   * the worker and its index are the previous run's (a lost one fails the first plan, and the
   * next claim rebuilds).
   */
  private async runOn(key: string, carried: string | undefined): Promise<void> {
    const taskQueue = carried ?? (await main.claimDestinationWorker()).taskQueue;
    this.place = undefined;
    const host = proxyActivities<Activities>({
      taskQueue,
      scheduleToStartTimeout: HOST_SCHEDULE_TO_START,
      heartbeatTimeout: HOST_HEARTBEAT,
      startToCloseTimeout: '10m',
      retry: { maximumAttempts: 1 },
    });
    const { purchaseGroupId: groupId, purchaseFieldKey } = this.opts.resources;
    const fieldKeys = ['name', 'last_name', purchaseFieldKey];
    const readList = async (list: DestinationList) => {
      let cursor: string | null = null;
      do {
        const at: string | null = cursor;
        const page: IndexPageResult = await this.step(true, () =>
          host.indexDestinationPage({ key, groupId, fieldKeys, list, cursor: at }),
        );
        cursor = page.nextCursor;
      } while (cursor !== null);
    };
    // The group's active members first; the non-active lists only once buyers not among them are too
    // many to look up (a carried index may hold them already).
    if (!carried) await readList('members');
    let nonActiveRead = false;
    const planOnHost = (page: HeldPage) =>
      this.step(false, () =>
        host.planListPage({
          key,
          page: page.page,
          records: page.records,
          productId: this.opts.productId,
          groupId,
          purchaseFieldKey,
          fieldKeys,
          mode: this.opts.mode,
          lists: nonActiveRead ? [...DESTINATION_LISTS] : ['members'],
          batchWrites: Math.min(49, Math.max(1, this.opts.batchSize - 1)),
          ...(page.earlier.created.length + page.earlier.updated.length > 0 ? { earlier: page.earlier } : {}),
        }),
      );
    const writes: Promise<void>[] = [];
    const claim = this.claims;
    for (;;) {
      await this.opts.waitFor(
        () =>
          this.failure !== undefined ||
          this.ready() !== undefined ||
          (this.closed && this.inFlight === 0 && this.pages.every((p) => p.plan)),
      );
      this.throwFailure();
      const page = this.ready();
      if (!page) break;
      page.sealed = true;
      let plan = await planOnHost(page);
      if (plan.unknown > 0) {
        const parts = Math.ceil(plan.unknown / LOOKUPS_PER_REQUEST);
        if (this.lookUps + parts <= LOOKUP_ALLOWANCE) {
          for (let part = 0; part < parts; part++) {
            await this.step(true, () =>
              host.lookUpListPage({ key, page: page.page, part, groupId, fieldKeys }),
            );
          }
          this.lookUps += parts;
          this.report.lookedUp = (this.report.lookedUp ?? 0) + plan.unknown;
        } else {
          for (const list of NON_ACTIVE_LISTS) await readList(list);
          nonActiveRead = true;
          this.report.nonActiveListsRead = true;
        }
        plan = await planOnHost(page);
        if (plan.unknown > 0) {
          throw ApplicationFailure.nonRetryable(
            `list path: ${plan.unknown} buyers of page ${page.page} are still unknown after being looked up`,
          );
        }
      }
      page.plan = plan;
      page.left = plan.batches;
      if (plan.batches === 0) {
        this.commit(page);
        continue;
      }
      const send = (batches: number[]) => {
        this.inFlight++;
        const done = this.step(!this.opts.direct, () =>
          host.writeListBatches({
            key,
            page: page.page,
            batches,
            tries: this.opts.direct ? 5 : 1,
            concurrency: this.opts.lanes,
          }),
        ).then(
          (result) => {
            // An answer from a worker given up since counts on the next claim as unchanged.
            if (claim !== this.claims) return;
            this.inFlight--;
            batches.forEach((b) => page.answered.set(b, b === batches[0] ? result : emptyResult()));
            page.left -= batches.length;
            if (page.left === 0) this.commit(page);
          },
          (err: unknown) => {
            if (claim !== this.claims) return;
            this.inFlight--;
            this.failure ??= err instanceof Error ? err : new Error(String(err));
          },
        );
        writes.push(done);
      };
      const numbers = Array.from({ length: plan.batches }, (_, b) => b);
      if (this.opts.direct) send(numbers);
      else {
        for (const b of numbers) {
          await this.opts.waitFor(
            () => this.failure !== undefined || this.inFlight < Math.max(1, this.opts.lanes),
          );
          this.throwFailure();
          send([b]);
        }
      }
    }
    await Promise.all(writes);
    this.throwFailure();
    this.place = {
      taskQueue,
      key,
      lookUps: this.lookUps,
      ...(this.report.lookedUp ? { lookedUp: this.report.lookedUp } : {}),
      ...(this.report.nonActiveListsRead ? { nonActiveListsRead: true } : {}),
    };
  }

  /** Throws what failed a write sent earlier, if one did. */
  private throwFailure(): void {
    const failure = this.failure;
    if (failure) throw failure;
  }

  /** Adds a page's plan and answers to the run's counts once every batch of it was answered. */
  private commit(page: HeldPage): void {
    const { counts, failures, skips, entries, reportLimit } = this.tally;
    const add = (c: SyncCounts) => {
      for (const k of ['created', 'updated', 'unchanged', 'superseded', 'skipped', 'failed'] as const) {
        counts[k] += c[k];
      }
    };
    add(page.plan!.counts);
    skips.push(...page.plan!.skips.slice(0, Math.max(0, reportLimit - skips.length)));
    entries.push(...page.plan!.entries);
    for (const r of page.answered.values()) {
      add(r.counts);
      failures.push(...r.failures.slice(0, Math.max(0, reportLimit - failures.length)));
      skips.push(...r.skips.slice(0, Math.max(0, reportLimit - skips.length)));
      entries.push(...r.entries);
    }
    this.pages.splice(this.pages.indexOf(page), 1);
  }

  /**
   * One step on the claimed worker, preceded by a turn of the budget when it makes a MailerLite
   * request (`request`). A lost worker (the step timed out, or it holds no index) ends the claim;
   * any other failure is tried again, with a turn again, unless retrying cannot fix it.
   */
  private async step<T>(request: boolean, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (request) await this.turn();
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        const cause = err.cause;
        if (cause instanceof TimeoutFailure) throw new WorkerLost(cause.message);
        if (cause instanceof ApplicationFailure && cause.type === DestinationIndexLostError.name) {
          throw new WorkerLost(cause.message);
        }
        const fatal =
          cause instanceof ApplicationFailure &&
          (cause.nonRetryable || (NON_RETRYABLE_ERROR_TYPES as readonly string[]).includes(cause.type ?? ''));
        if (fatal || attempt >= STEP_TRIES) throw err;
        const hinted: Duration | undefined =
          (cause instanceof ApplicationFailure ? cause.nextRetryDelay : undefined) ?? undefined;
        await sleep(hinted ?? Math.min(60_000, 1000 * 2 ** (attempt - 1)));
      }
    }
  }
}

function emptyResult(): WriteListBatchesResult {
  return {
    counts: emptyCounts(),
    failures: [],
    skips: [],
    entries: [],
    created: [],
    updated: [],
    requests: 0,
  };
}
