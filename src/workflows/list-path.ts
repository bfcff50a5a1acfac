import {
  ActivityFailure,
  ApplicationFailure,
  log,
  proxyActivities,
  sleep,
  TimeoutFailure,
} from '@temporalio/workflow';
import type { Duration, RetryPolicy } from '@temporalio/common';
import type {
  Activities,
  CampaignResources,
  HeldSource,
  IndexPageResult,
  PlanListPageResult,
} from '../activities';
import { emptyWriteListBatchesResult, type WriteListBatchesResult } from '../shared/activity-io';
import {
  DESTINATION_LISTS,
  estimateDestinationRead,
  NON_ACTIVE_LISTS,
  type DestinationList,
  type DestinationRead,
} from '../shared/destination-read';
import { DestinationIndexLostError, NON_RETRYABLE_ERROR_TYPES } from '../shared/errors';
import { mailerliteTaskQueue } from '../shared/names';
import type { SyncCounts } from '../shared/sync-types';
import type { Tally } from '../shared/write-stream';
import type { RecordSink } from './page-writes';
import { ACTIVITY_RETRY } from './retry';
import { SalesPages, type PageJoin, type PageSource } from './sales-pages';

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
  campaign: string;
  /** Sales of one source page (a page lost with its worker is read again). */
  pageSize: number;
  /** `sync all`'s pass over the store, if the sync is one of its. */
  storePass?: string;
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

/**
 * A source page's valid records as the list path holds them: on the worker that read them (in
 * `slot` of the sync's store there), by order.
 */
export interface HeldRecords {
  /** The source page. */
  page: number;
  slot: string;
  /** The claim whose worker holds them. */
  claim: number;
  orderIds: number[];
  /** The page before's join, to read the page again on another worker. */
  before?: PageJoin;
}

/** Records handed to the list path (a chunk), until their writes are all answered and counted. */
/** The worker a claim runs on: the claim's number, the index key, its activities, what it read. */
interface ClaimedHost {
  claim: number;
  key: string;
  host: ReturnType<typeof hostActivities>;
  fieldKeys: string[];
  /** The group's non-active lists are in the index too (lists planned against). */
  nonActiveRead: boolean;
}

interface Chunk {
  page: number;
  /** No more records join it: it is being planned, or was. */
  sealed: boolean;
  /** Its records: some of one source page's, each. */
  parts: { of: HeldRecords; orderIds: number[] }[];
  size: number;
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
class WorkerLost extends Error {
  constructor(
    message: string,
    /** The claim whose worker it was. */
    readonly claim: number,
  ) {
    super(message);
  }
}

/** The claimed worker: its task queue and the sync's store there. */
interface Claimed {
  claim: number;
  taskQueue: string;
  key: string;
}

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
export class ListPathSink implements RecordSink<HeldRecords> {
  private readonly chunks: Chunk[] = [];
  private pushed = 0;
  private closed = false;
  private failure: Error | undefined;
  private claims = 0;
  private inFlight = 0;
  private place: IndexPlace | undefined;
  /** The worker claimed now, once its store is open (the source's pages are read there). */
  private claimed: Claimed | undefined;
  private readonly turn;
  /** Look-up requests spent by this sync (all claims, and the runs it continued from). */
  private lookUps: number;
  /** Source pages read again on the current claim (their first worker was lost): order → slot. */
  private rereads = new Map<number, Promise<Map<number, string>>>();

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

  /**
   * Where the sync's source pages are read and validated: on the claimed worker, which keeps their
   * records until the chunks that take them are planned. A page whose worker is lost before it was
   * validated is loaded again on the next one.
   */
  pages(): PageSource<HeldRecords> {
    return new HostPages(this, this.opts.campaign, 'p', true);
  }

  async push(held: HeldRecords): Promise<void> {
    for (let from = 0; from < held.orderIds.length;) {
      const last = this.chunks.at(-1);
      if (last && !last.sealed && last.size < CHUNK) {
        const taken = held.orderIds.slice(from, from + CHUNK - last.size);
        last.parts.push({ of: held, orderIds: taken });
        last.size += taken.length;
        from += taken.length;
      } else {
        this.chunks.push({
          page: ++this.pushed,
          sealed: false,
          parts: [],
          size: 0,
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
    return this.chunks.reduce((n, c) => n + c.size, 0);
  }

  /** The next chunk to plan: the first unplanned one, once full or once the source is read. */
  private ready(): Chunk | undefined {
    const chunk = this.chunks.find((c) => !c.plan);
    return chunk && (chunk.sealed || chunk.size >= CHUNK || this.closed) ? chunk : undefined;
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

  /** The worker claimed after `after` (any, when undefined), once its store is open. */
  async current(after?: number): Promise<Claimed> {
    await this.opts.waitFor(
      () => this.failure !== undefined || (this.claimed !== undefined && this.claimed.claim !== after),
    );
    if (this.claimed && this.claimed.claim !== after) return this.claimed;
    throw this.failure!;
  }

  /** A step of the source on `claim`'s worker found it gone: the sync claims another. */
  lost(err: WorkerLost): void {
    if (err.claim === this.claims && this.claimed?.claim === err.claim) this.failure ??= err;
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
        if (!(err instanceof WorkerLost) || this.claims >= MAX_CLAIMS) {
          this.failure ??= err instanceof Error ? err : new Error(String(err));
          throw err;
        }
        log.warn('list path: worker lost, rebuilding the index on another', {
          claims: this.claims,
          chunksHeld: this.chunks.length,
        });
        for (const chunk of this.chunks) {
          for (const r of chunk.answered.values()) {
            chunk.earlier.created.push(...r.created);
            chunk.earlier.updated.push(...r.updated);
          }
          chunk.answered.clear();
          delete chunk.plan;
          chunk.left = 0;
        }
        this.claimed = undefined;
        this.rereads = new Map();
        this.failure = undefined;
        this.inFlight = 0;
      }
    }
  }

  /**
   * Everything on one claimed worker: the index, then each chunk's plan and writes. With `carried`,
   * the worker and its index are the previous run's (a lost one fails the first step, and the next
   * claim rebuilds).
   */
  private async runOn(key: string, carried: string | undefined): Promise<void> {
    const claim = this.claims;
    const taskQueue = carried ?? (await main.claimDestinationWorker()).taskQueue;
    this.place = undefined;
    const host = hostActivities(taskQueue);
    const fieldKeys = ['name', 'last_name', this.opts.resources.purchaseFieldKey];
    if (!carried) await this.step(claim, false, () => host.openDestinationIndex({ key, fieldKeys }));
    this.claimed = { claim, taskQueue, key };
    const on: ClaimedHost = { claim, key, host, fieldKeys, nonActiveRead: false };
    // The group's active members first; the non-active lists only once buyers not among them are too
    // many to look up (a carried index may hold them already).
    if (!carried) await this.readList(on, 'members');
    const writes: Promise<void>[] = [];
    for (;;) {
      await this.opts.waitFor(
        () =>
          this.failure !== undefined ||
          this.ready() !== undefined ||
          (this.closed && this.inFlight === 0 && this.chunks.every((c) => c.plan)),
      );
      this.throwFailure();
      const chunk = this.ready();
      if (!chunk) break;
      chunk.sealed = true;
      const plan = await this.planChunk(on, chunk);
      chunk.plan = plan;
      chunk.left = plan.batches;
      if (plan.batches === 0) {
        this.commit(chunk);
        continue;
      }
      await this.writeChunk(on, chunk, writes);
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

  /** Indexes one of the group's lists on the claimed worker, page by page. */
  private async readList(on: ClaimedHost, list: DestinationList): Promise<void> {
    const groupId = this.opts.resources.purchaseGroupId;
    let cursor: string | null = null;
    do {
      const at: string | null = cursor;
      const page: IndexPageResult = await this.step(on.claim, true, () =>
        on.host.indexDestinationPage({ key: on.key, groupId, fieldKeys: on.fieldKeys, list, cursor: at }),
      );
      cursor = page.nextCursor;
    } while (cursor !== null);
  }

  /**
   * Plans a chunk on the claimed worker; when buyers are unknown to the index, looks them up (or,
   * past the allowance, reads the non-active lists) and plans again.
   */
  private async planChunk(on: ClaimedHost, chunk: Chunk): Promise<PlanListPageResult> {
    const { purchaseGroupId: groupId, purchaseFieldKey } = this.opts.resources;
    const { claim, key, host, fieldKeys } = on;
    const sources = await this.sourcesOf(chunk, claim);
    const release = this.releasable(chunk, claim);
    const planOnHost = () =>
      this.step(claim, false, () =>
        host.planListPage({
          key,
          page: chunk.page,
          sources,
          ...(release.length > 0 ? { release } : {}),
          productId: this.opts.productId,
          groupId,
          purchaseFieldKey,
          fieldKeys,
          mode: this.opts.mode,
          lists: on.nonActiveRead ? [...DESTINATION_LISTS] : ['members'],
          batchWrites: Math.min(49, Math.max(1, this.opts.batchSize - 1)),
          ...(chunk.earlier.created.length + chunk.earlier.updated.length > 0
            ? { earlier: chunk.earlier }
            : {}),
        }),
      );
    let plan = await planOnHost();
    if (plan.unknown === 0) return plan;
    const parts = Math.ceil(plan.unknown / LOOKUPS_PER_REQUEST);
    if (this.lookUps + parts <= LOOKUP_ALLOWANCE) {
      for (let part = 0; part < parts; part++) {
        await this.step(claim, true, () =>
          host.lookUpListPage({ key, page: chunk.page, part, groupId, fieldKeys }),
        );
      }
      this.lookUps += parts;
      this.report.lookedUp = (this.report.lookedUp ?? 0) + plan.unknown;
    } else {
      for (const list of NON_ACTIVE_LISTS) await this.readList(on, list);
      on.nonActiveRead = true;
      this.report.nonActiveListsRead = true;
    }
    plan = await planOnHost();
    if (plan.unknown > 0) {
      throw ApplicationFailure.nonRetryable(
        `list path: ${plan.unknown} buyers of chunk ${chunk.page} are still unknown after being looked up`,
      );
    }
    return plan;
  }

  /**
   * Sends a planned chunk's batches: all in one activity on the direct path, else one a request,
   * at most `lanes` in flight. Answers count on the chunk; the chunk commits with its last.
   */
  private async writeChunk(on: ClaimedHost, chunk: Chunk, writes: Promise<void>[]): Promise<void> {
    const { claim, key, host } = on;
    const send = (batches: number[]) => {
      this.inFlight++;
      const done = this.step(claim, !this.opts.direct, () =>
        host.writeListBatches({
          key,
          page: chunk.page,
          batches,
          tries: this.opts.direct ? 5 : 1,
          concurrency: this.opts.lanes,
        }),
      ).then(
        (result) => {
          // An answer from a worker given up since counts on the next claim as unchanged.
          if (claim !== this.claims) return;
          this.inFlight--;
          batches.forEach((b) =>
            chunk.answered.set(b, b === batches[0] ? result : emptyWriteListBatchesResult()),
          );
          chunk.left -= batches.length;
          if (chunk.left === 0) this.commit(chunk);
        },
        (err: unknown) => {
          if (claim !== this.claims) return;
          this.inFlight--;
          this.failure ??= err instanceof Error ? err : new Error(String(err));
        },
      );
      writes.push(done);
    };
    const numbers = Array.from({ length: chunk.plan!.batches }, (_, b) => b);
    if (this.opts.direct) {
      send(numbers);
      return;
    }
    for (const b of numbers) {
      await this.opts.waitFor(
        () => this.failure !== undefined || this.inFlight < Math.max(1, this.opts.lanes),
      );
      this.throwFailure();
      send([b]);
    }
  }

  /**
   * The slots of `chunk` no later chunk takes records from: the worker forgets them once the chunk
   * is planned. A later chunk's part still on a lost worker will take from the slots its page is
   * read again into, so those stay too.
   */
  private releasable(chunk: Chunk, claim: number): string[] {
    const slots = new Set<string>();
    const pagesReadAgain = new Set<number>();
    for (const c of this.chunks) {
      if (c === chunk || c.plan) continue;
      for (const p of c.parts) {
        if (p.of.claim === claim) slots.add(p.of.slot);
        else pagesReadAgain.add(p.of.page);
      }
    }
    const release = new Set<string>();
    for (const p of chunk.parts) {
      if (!slots.has(p.of.slot) && !pagesReadAgain.has(p.of.page)) release.add(p.of.slot);
    }
    return [...release];
  }

  /**
   * Where a chunk's records are on `claim`'s worker. Parts read on a worker lost since are read
   * again here, from their page (joined to the page before, as first read) and up to two pages
   * after it (new orders move rows down); an order found in none of them is no longer a purchase of
   * the album (refunded, or its record turned invalid, meanwhile) and is counted as skipped.
   */
  private async sourcesOf(chunk: Chunk, claim: number): Promise<HeldSource[]> {
    const parts: Chunk['parts'] = [];
    let gone = 0;
    for (const part of chunk.parts) {
      if (part.of.claim === claim) {
        parts.push(part);
        continue;
      }
      const found = await this.readAgain(part.of, claim);
      const bySlot = new Map<string, number[]>();
      for (const orderId of part.orderIds) {
        const slot = found.get(orderId);
        if (slot === undefined) gone++;
        else bySlot.set(slot, [...(bySlot.get(slot) ?? []), orderId]);
      }
      for (const [slot, orderIds] of bySlot)
        parts.push({ of: { ...part.of, slot, claim, orderIds }, orderIds });
    }
    chunk.parts = parts;
    chunk.size = parts.reduce((n, p) => n + p.orderIds.length, 0);
    if (gone > 0) {
      log.warn('list path: orders read on a lost worker are no longer purchases when read again', {
        chunk: chunk.page,
        gone,
      });
      this.tally.counts.skipped += gone;
    }
    return parts.map((p) => ({ slot: p.of.slot, orderIds: p.orderIds }));
  }

  /**
   * A source page read again on `claim`'s worker (see `sourcesOf`), for every chunk's records of it
   * read on a worker lost since: where each of its valid orders is held now.
   */
  private readAgain(of: HeldRecords, claim: number): Promise<Map<number, string>> {
    let pending = this.rereads.get(of.page);
    if (!pending) {
      const wanted = new Set(
        this.chunks.flatMap((c) =>
          c.parts.filter((p) => p.of.page === of.page && p.of.claim !== claim).flatMap((p) => p.orderIds),
        ),
      );
      pending = (async () => {
        const pages = new SalesPages({
          campaign: this.opts.campaign,
          productId: this.opts.productId,
          pageSize: this.opts.pageSize,
          readAhead: 1,
          source: new HostPages(this, this.opts.campaign, `r${of.page}-`, false),
          ...(this.opts.storePass !== undefined ? { storePass: this.opts.storePass } : {}),
          ...(of.before ? { before: { page: of.page - 1, join: of.before } } : {}),
        });
        const found = new Map<number, string>();
        let missing = wanted.size;
        for (let page = of.page; page <= of.page + 2 && missing > 0; page++) {
          const { page: read, valid } = await pages.take(page);
          if (valid.claim !== claim) throw new WorkerLost('the worker was lost while reading again', claim);
          for (const id of valid.orderIds) {
            if (found.has(id)) continue;
            found.set(id, valid.slot);
            if (wanted.has(id)) missing--;
          }
          if (read.done) break;
        }
        return found;
      })();
      pending.catch(() => undefined);
      this.rereads.set(of.page, pending);
    }
    return pending;
  }

  /** Throws what failed a write sent earlier, if one did. */
  private throwFailure(): void {
    const failure = this.failure;
    if (failure) throw failure;
  }

  /** Adds a chunk's plan and answers to the run's counts once every batch of it was answered. */
  private commit(chunk: Chunk): void {
    const { counts, failures, skips, entries, reportLimit } = this.tally;
    const add = (c: SyncCounts) => {
      for (const k of ['created', 'updated', 'unchanged', 'superseded', 'skipped', 'failed'] as const) {
        counts[k] += c[k];
      }
    };
    add(chunk.plan!.counts);
    skips.push(...chunk.plan!.skips.slice(0, Math.max(0, reportLimit - skips.length)));
    entries.push(...chunk.plan!.entries);
    for (const r of chunk.answered.values()) {
      add(r.counts);
      failures.push(...r.failures.slice(0, Math.max(0, reportLimit - failures.length)));
      skips.push(...r.skips.slice(0, Math.max(0, reportLimit - skips.length)));
      entries.push(...r.entries);
    }
    this.chunks.splice(this.chunks.indexOf(chunk), 1);
  }

  /**
   * One step on `claim`'s worker, preceded by a turn of the budget when it makes a MailerLite
   * request (`request`). A lost worker (the step timed out, or it holds no index) ends the claim;
   * any other failure is tried again, with a turn again, unless retrying cannot fix it.
   */
  private async step<T>(claim: number, request: boolean, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      if (request) await this.turn();
      try {
        return await fn();
      } catch (err) {
        const lost = workerLost(err, claim);
        if (lost) throw lost;
        if (!(err instanceof ActivityFailure)) throw err;
        const cause = err.cause;
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

/** The failure of a step on `claim`'s worker as the news that the worker is gone, if it is that. */
function workerLost(err: unknown, claim: number): WorkerLost | undefined {
  if (err instanceof WorkerLost) return err;
  if (!(err instanceof ActivityFailure)) return undefined;
  const cause = err.cause;
  if (cause instanceof TimeoutFailure) return new WorkerLost(cause.message, claim);
  if (cause instanceof ApplicationFailure && cause.type === DestinationIndexLostError.name) {
    return new WorkerLost(cause.message, claim);
  }
  return undefined;
}

/**
 * The steps of a claimed worker's own task queue: the index's are tried once (a failure ends the
 * claim or is tried again with a turn of the budget: `ListPathSink.step`); the source's are retried
 * as any activity's (`retry`), so EDD's passing failures show their attempts in `sync status`.
 */
function hostActivities(taskQueue: string, retry: RetryPolicy = { maximumAttempts: 1 }) {
  return proxyActivities<Activities>({
    taskQueue,
    scheduleToStartTimeout: HOST_SCHEDULE_TO_START,
    heartbeatTimeout: HOST_HEARTBEAT,
    startToCloseTimeout: '10m',
    retry,
  });
}

/**
 * The list path's source pages: read and validated on the claimed worker, which keeps their
 * records (`readHeldSalesPage`, `validateHeldSalesPage`), so that only their orders and what joins
 * them pass through history. EDD's passing failures are retried as any activity's (the attempts
 * show in `sync status`); a lost worker is news for the sink, which claims another.
 */
class HostPages implements PageSource<HeldRecords> {
  /** The claim each page was last read on. */
  private readonly readOn = new Map<number, Claimed>();

  constructor(
    private readonly sink: ListPathSink,
    private readonly campaign: string,
    /** Slots of this source's pages: the prefix, then the page. */
    private readonly prefix: string,
    /** Whether a lost worker waits for the next claim (the reading side) or ends the step (a read again). */
    private readonly waits: boolean,
  ) {}

  async read(input: Parameters<PageSource<HeldRecords>['read']>[0]) {
    const at = await this.sink.current();
    this.readOn.set(input.page, at);
    return this.onHost(at, (h) =>
      h.readHeldSalesPage({ ...input, key: at.key, slot: this.prefix + input.page }),
    );
  }

  async validate(
    page: number,
    read: Parameters<PageSource<HeldRecords>['validate']>[1],
    rescued: number[],
    before: PageJoin | undefined,
  ) {
    const at = this.readOn.get(page) ?? (await this.sink.current());
    const slot = this.prefix + page;
    const held = (orderIds: number[]): HeldRecords => ({
      page,
      slot,
      claim: at.claim,
      orderIds,
      ...(before ? { before } : {}),
    });
    const orderIds = [...rescued.map((i) => read.seamOrders[i]!.orderId), ...read.orderIds];
    if (orderIds.length === 0) return { valid: held([]), validCount: 0, invalid: [] };
    const { invalid, invalidAt } = await this.onHost(at, (h) =>
      h.validateHeldSalesPage({ key: at.key, slot, campaign: this.campaign, rescued }),
    );
    const out = new Set(invalidAt);
    const valid = orderIds.filter((_, i) => !out.has(i));
    return { valid: held(valid), validCount: valid.length, invalid };
  }

  async recover(err: unknown): Promise<void> {
    if (!(err instanceof WorkerLost) || !this.waits) throw err;
    this.sink.lost(err);
    await this.sink.current(err.claim);
  }

  private async onHost<T>(
    at: Claimed,
    fn: (host: ReturnType<typeof hostActivities>) => Promise<T>,
  ): Promise<T> {
    try {
      return await fn(hostActivities(at.taskQueue, ACTIVITY_RETRY));
    } catch (err) {
      throw workerLost(err, at.claim) ?? err;
    }
  }
}
