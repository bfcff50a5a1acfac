import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { DestinationGoneError, DestinationIndexLostError, ProviderTransientError } from '../shared/errors';
import { NON_ACTIVE_LISTS, type DestinationList } from '../shared/destination-read';
import { hostTaskQueue } from '../shared/names';
import {
  heldNewerOrder,
  newestPerEmail,
  planWrite,
  type DestinationSnapshot,
  type SubscriberUpsert,
} from '../shared/subscriber-plan';
import {
  emptyCounts,
  keepValid,
  type InvalidRecordReport,
  type FailedRecordReport,
  type ReportEntry,
  type SourceRecord,
  type SyncCounts,
} from '../shared/sync-types';
import {
  MAX_BATCH_REQUESTS,
  ML_ROUTES,
  MlSubscriberSchema,
  batchRequest,
  type BatchRequest,
  type MlSubscriber,
} from '../providers';
import {
  emptyWriteListBatchesResult,
  type WriteListBatchesResult,
  type WriteOutcome,
} from '../shared/activity-io';
import { checkBatchAnswers } from './batch-answers';
import type { ActivityDeps } from './deps';
import { writeOutcome } from './mailerlite-exchange';
import { heldOrdersStillCount } from './order-lookup';
import { mapWithConcurrency } from './concurrency';
import { retryInPlace } from './retry-in-place';
import type { FetchPurchasersInput, PurchasersPage } from './source';

/** What the index holds for one email (lower-cased). */
interface IndexEntry {
  status: string;
  /** The synced fields' values, as strings (absent and empty alike: `planWrite` compares them so). */
  fields: Record<string, string>;
  inGroup: boolean;
}

/**
 * An entry as the index keeps it: one string, `<0|1 in group><status>` then each synced field's
 * value, separated by U+0001. A map of 200,000 small strings costs the heap about a third of as many
 * objects, and V8 marks the index on every full collection. A value holding the separator (no
 * valid record's does) is kept with U+FFFD instead: it differs from any record, as it did.
 */
const SEP = '\u0001';

function pack(entry: IndexEntry, fieldKeys: string[]): string {
  return [
    `${entry.inGroup ? 1 : 0}${entry.status}`,
    ...fieldKeys.map((k) => (entry.fields[k] ?? '').replaceAll(SEP, '\uFFFD')),
  ].join(SEP);
}

function unpack(packed: string, fieldKeys: string[]): IndexEntry {
  const [head, ...values] = packed.split(SEP);
  const fields: Record<string, string> = {};
  fieldKeys.forEach((k, i) => {
    const value = values[i] ?? '';
    if (value !== '') fields[k] = value;
  });
  return { inGroup: head!.startsWith('1'), status: head!.slice(1), fields };
}

interface PlannedBatch {
  records: SourceRecord[];
  upserts: SubscriberUpsert[];
  /** Set once MailerLite answered: a repeated write of the batch returns it, sending nothing. */
  result?: BatchOutcome;
}

interface BatchOutcome {
  outcomes: WriteOutcome[];
}

/** One sync's destination index and planned batches, kept by the worker process that built it. */
interface SyncStore {
  /** Email (lower-cased) → packed entry (see {@link pack}). */
  index: Map<string, string>;
  /** The fields the entries hold, in order. */
  fieldKeys: string[];
  /** Lists read to their end. */
  done: Set<DestinationList>;
  /** Emails (lower-cased) looked up one by one and not found: new to MailerLite. */
  absent: Set<string>;
  /** By page: the emails its plan found in no list read (looked up by `lookUpListPage`). */
  unknown: Map<number, string[]>;
  batches: Map<string, PlannedBatch>;
  /**
   * Source pages this process read for the sync (`readHeldSalesPage`), by slot, until validated:
   * the page's purchases and its seam's.
   */
  read: Map<string, { records: SourceRecord[]; seamRecords: SourceRecord[] }>;
  /** Source pages validated here (`validateHeldSalesPage`), by slot: their valid records, until planned. */
  held: Map<string, SourceRecord[]>;
  /** Last used (ms): a sync that failed or was cancelled never releases its index. */
  used: number;
}

/** An index unused this long is dropped when another is built (its sync ended without releasing it). */
const IDLE_MS = 30 * 60_000;

/**
 * This process's own task queue suffix: every worker process also polls `<queue>-host-<id>`, so a
 * sync can run the steps that use its index on the process that holds it (Temporal's
 * worker-specific task queues). A restarted process has another ID, so a sync never waits on a
 * queue whose index is gone: its steps time out before they start, and it claims another worker.
 */
export const PROCESS_HOST_ID = randomUUID().slice(0, 12);

/** Syncs whose index a process keeps (one per list-path sync running on it). */
const STORES_KEPT = 8;

/**
 * Process-wide, not per activity set: every worker of this process that polls the host queue
 * sees the same indexes.
 */
const stores = new Map<string, SyncStore>();

function newStore(fieldKeys: string[]): SyncStore {
  return {
    index: new Map(),
    fieldKeys,
    done: new Set(),
    absent: new Set(),
    unknown: new Map(),
    batches: new Map(),
    read: new Map(),
    held: new Map(),
    used: Date.now(),
  };
}

/** Starts a sync's store on this process afresh, dropping stores unused too long or too many. */
function openStore(key: string, fieldKeys: string[]): void {
  stores.delete(key);
  stores.set(key, newStore(fieldKeys));
  for (const [k, store] of stores) if (Date.now() - store.used > IDLE_MS) stores.delete(k);
  while (stores.size > STORES_KEPT) stores.delete(stores.keys().next().value!);
}

function storeOf(key: string): SyncStore {
  const store = stores.get(key);
  if (!store) {
    throw new DestinationIndexLostError(key);
  }
  store.used = Date.now();
  return store;
}

/** How this process reads and validates source pages (the source and validation activities' own code). */
export interface HeldPageReader {
  fetchPage(input: FetchPurchasersInput): Promise<PurchasersPage>;
  validate(
    campaign: string,
    records: SourceRecord[],
  ): { invalid: InvalidRecordReport[]; invalidAt: number[] };
}

export interface HeldSalesPageInput extends FetchPurchasersInput {
  key: string;
  /** Where the page is kept until validated (a page read again replaces it). */
  slot: string;
}

/** A page read and kept here: what the sync needs of it, without its records. */
export interface HeldSalesPage extends Omit<PurchasersPage, 'records' | 'seamRecords'> {
  /** The page's purchases' orders, in order. */
  orderIds: number[];
  /** The seam's purchases before the page: order number and order. */
  seamOrders: { number: string; orderId: number }[];
}

export interface HeldValidationInput {
  key: string;
  slot: string;
  campaign: string;
  /** Positions in the page's `seamOrders` of the purchases the page before missed. */
  rescued: number[];
}

export interface HeldValidation {
  invalid: InvalidRecordReport[];
  /** Positions of the invalid records among the rescued purchases then the page's. */
  invalidAt: number[];
}

export interface IndexPageInput {
  /** The sync's index on this process (its workflow run and the claim). */
  key: string;
  groupId: string;
  fieldKeys: string[];
  list: DestinationList;
  /** Where the list's walk stands; null to start it (starting `members` starts a new index). */
  cursor: string | null;
}

export interface IndexPageResult {
  /** Subscribers this page added. */
  read: number;
  nextCursor: string | null;
  /** The page size the list was read with (less than asked after MailerLite refused it). */
  limit: number;
}

/** Where a chunk's records are on this process: valid records of source pages held here. */
export interface HeldSource {
  /** The source page's slot (`validateHeldSalesPage`). */
  slot: string;
  /** The chunk's records of it, by order, in the page's order. */
  orderIds: number[];
}

export interface PlanListPageInput {
  key: string;
  /** The chunk's number in the sync: names its batches. */
  page: number;
  /** The chunk's valid records, in source order: held on this process, from these pages. */
  sources: HeldSource[];
  /** Slots no later chunk takes records from: forgotten once this chunk is planned. */
  release?: string[];
  productId: number;
  groupId: string;
  purchaseFieldKey: string;
  fieldKeys: string[];
  mode: 'upsert' | 'update-only';
  /** Lists the index must have read to their end. */
  lists: DestinationList[];
  /** Upserts a batch carries besides its one read, 1..49. */
  batchWrites: number;
  /** Orders written by batches of this page that were answered before the worker was lost. */
  earlier?: { created: number[]; updated: number[] };
}

export interface PlanListPageResult {
  /**
   * Buyers of the page in none of the lists read, while the non-active lists are not read: nothing
   * was planned. Look them up (`lookUpListPage`, 50 a request) or read the non-active lists, then
   * plan the page again. 0 when the page was planned.
   */
  unknown: number;
  /** unchanged, superseded, and skipped (consent, update-only) outcomes of the page. */
  counts: SyncCounts;
  skips: FailedRecordReport[];
  entries: ReportEntry[];
  /** Batches planned for the page (written by `writeListBatches`, numbered from 0). */
  batches: number;
  /** Upserts planned. */
  planned: number;
}

export interface LookUpListPageInput {
  key: string;
  page: number;
  /** Which 50 of the page's unknown buyers: 0 for the first. */
  part: number;
  groupId: string;
  fieldKeys: string[];
}

export interface WriteListBatchesInput {
  key: string;
  page: number;
  batches: number[];
  /** Tries of each batch in place: 1 when each batch is its own turn of the budget. */
  tries: number;
  /** Batches sent at once. */
  concurrency: number;
}

/**
 * The list path of a full sync (see docs/write-strategy.md): the destination read with cursor lists
 * into an index this worker keeps (never through workflow history: it can hold 200,000 people),
 * each source page diffed against it with `planWrite`, and only what differs written, in batches of
 * up to 49 upserts plus one read-back, so no batch is an import. The index steps run on this
 * process's own task queue ({@link PROCESS_HOST_ID}); the claim runs on the shared one.
 */
export function destinationIndexActivities(deps: ActivityDeps, pages: HeldPageReader) {
  const { providers } = deps;
  return {
    /** Which task queue reaches this worker process (asked on the shared queue: any worker answers). */
    async claimDestinationWorker(): Promise<{ taskQueue: string }> {
      const main = Context.current().info.taskQueue;
      return { taskQueue: hostTaskQueue(main, PROCESS_HOST_ID) };
    },

    /**
     * What a full sync weighs its ways to read the destination with: the buyers EDD counts for the
     * album (its product's total sales, when the key may see them) and the page size of this
     * worker's cursor lists. EDD requests only.
     */
    async describeDestination(input: { productId: number }): Promise<{ buyers?: number; listLimit: number }> {
      const listLimit = providers.mailerlite.currentListLimit;
      for (const product of await providers.edd.listAllProducts()) {
        if (product.info.id !== input.productId) continue;
        const sales = product.stats?.total?.sales;
        return sales !== undefined && Number.isFinite(sales) ? { buyers: sales, listLimit } : { listLimit };
      }
      return { listLimit };
    },

    /** Starts a sync's store on this process: its index and the source pages it holds. */
    async openDestinationIndex(input: { key: string; fieldKeys: string[] }): Promise<void> {
      openStore(input.key, input.fieldKeys);
    },

    /**
     * Reads one page of the album's purchasers, as `fetchPurchasersPage` does, and keeps its records
     * here for the sync (in `slot`): only what joins the page to the next and what the sync counts
     * goes back through history, never the records, with people's emails and names.
     */
    async readHeldSalesPage(input: HeldSalesPageInput): Promise<HeldSalesPage> {
      const store = storeOf(input.key);
      const { key: _key, slot, ...fetch } = input;
      const { records, seamRecords, ...facts } = await pages.fetchPage(fetch);
      store.read.set(slot, { records, seamRecords: seamRecords.map((s) => s.record) });
      return {
        ...facts,
        orderIds: records.map((r) => r.orderId),
        seamOrders: seamRecords.map((s) => ({ number: s.number, orderId: s.record.orderId })),
      };
    },

    /**
     * Validates a page read here (`readHeldSalesPage`), the seam's purchases at `rescued` first, as
     * `validateRecords` does, and holds its valid records for the chunks that plan them. Answers
     * with the invalid ones (reported) and their positions.
     */
    async validateHeldSalesPage(input: HeldValidationInput): Promise<HeldValidation> {
      const store = storeOf(input.key);
      const read = store.read.get(input.slot);
      if (!read) throw new DestinationIndexLostError(input.key);
      const records = [...input.rescued.map((i) => read.seamRecords[i]!), ...read.records];
      const { invalid, invalidAt } = pages.validate(input.campaign, records);
      store.read.delete(input.slot);
      const valid = keepValid(records, invalidAt);
      if (valid.length > 0) store.held.set(input.slot, valid);
      else store.held.delete(input.slot);
      return { invalid, invalidAt };
    },

    /**
     * Reads one page (one MailerLite request) of one of {@link DESTINATION_LISTS} into the sync's
     * index. Starting the members list starts the index afresh.
     */
    async indexDestinationPage(input: IndexPageInput): Promise<IndexPageResult> {
      if (input.list === 'members' && input.cursor === null) {
        // The index starts afresh; source pages held for the sync stay.
        const kept = stores.get(input.key);
        openStore(input.key, input.fieldKeys);
        if (kept) Object.assign(storeOf(input.key), { read: kept.read, held: kept.held });
      }
      const store = storeOf(input.key);
      const ml = providers.mailerlite;
      const page =
        input.list === 'members'
          ? await ml.groupMembersPage(input.groupId, { statuses: ['active'], cursor: input.cursor })
          : await ml.listSubscribers({ status: input.list, cursor: input.cursor });
      for (const subscriber of page.items) {
        const email = subscriber.email.trim().toLowerCase();
        const read = entryOf(subscriber, input, input.list);
        const known = input.list === 'members' ? undefined : store.index.get(email);
        // The non-active lists are read once chunks were planned: someone already in the index
        // (planned, maybe with a write in flight, or looked up) keeps the fields and membership
        // planned for them, and takes only the status, so an older order in a later chunk still
        // reads as superseded.
        const entry = known === undefined ? read : { ...unpack(known, store.fieldKeys), status: read.status };
        store.index.set(email, pack(entry, store.fieldKeys));
      }
      if (page.nextCursor === null) store.done.add(input.list);
      return { read: page.items.length, nextCursor: page.nextCursor, limit: ml.currentListLimit };
    },

    /**
     * Plans one source page against the index: what differs becomes upserts, kept here in batches
     * for `writeListBatches`; the index takes each planned write at once, so a buyer's older order
     * on a later page sees the newer one as written. Fails with `DestinationIndexLostError` when
     * this process holds no complete index for the sync.
     */
    async planListPage(input: PlanListPageInput): Promise<PlanListPageResult> {
      const store = storeOf(input.key);
      if (input.lists.some((list) => !store.done.has(list))) throw new DestinationIndexLostError(input.key);
      const counts = emptyCounts();
      const skips: FailedRecordReport[] = [];
      const entries: ReportEntry[] = [];
      const { latest, superseded } = newestPerEmail(heldRecords(store, input));
      if (!NON_ACTIVE_LISTS.every((list) => store.done.has(list))) {
        // Someone in no list read may be unsubscribed, bounced, junk or unconfirmed: not planned
        // until looked up (or the non-active lists are read).
        const unknown = [
          ...new Set(
            latest
              .map((r) => r.email.trim().toLowerCase())
              .filter((email) => !store.index.has(email) && !store.absent.has(email)),
          ),
        ];
        if (unknown.length > 0) {
          store.unknown.set(input.page, unknown);
          return { unknown: unknown.length, counts, skips, entries, batches: 0, planned: 0 };
        }
      }
      store.unknown.delete(input.page);
      counts.superseded += superseded;
      const snapshots = latest.map((record) => snapshotOf(store, record.email));
      // A newer order the field holds is kept only while EDD still counts it (subscriber-plan.ts).
      const asked: number[] = [];
      const checks: { email: string; orderId: number }[] = [];
      snapshots.forEach((snapshot, i) => {
        const held = heldNewerOrder(latest[i]!, snapshot, input);
        if (held === undefined) return;
        asked.push(i);
        checks.push({ email: latest[i]!.email, orderId: held });
      });
      const stillCounts = latest.map(() => true);
      if (checks.length > 0) {
        const answers = await heldOrdersStillCount(deps, input.productId, checks, () =>
          Context.current().heartbeat(),
        );
        asked.forEach((at, k) => (stillCounts[at] = answers[k] ?? true));
      }
      const earlierCreated = new Set(input.earlier?.created ?? []);
      const earlierUpdated = new Set(input.earlier?.updated ?? []);
      const toWrite: { record: SourceRecord; upsert: SubscriberUpsert }[] = [];
      latest.forEach((record, i) => {
        const snapshot = snapshots[i]!;
        const plan = planWrite(record, snapshot, input, stillCounts[i]);
        if (plan.kind === 'create' || plan.kind === 'update') {
          toWrite.push({ record, upsert: plan.upsert });
          const key = record.email.trim().toLowerCase();
          const packed = store.index.get(key);
          const before = packed === undefined ? undefined : unpack(packed, store.fieldKeys);
          const fields = { ...(before?.fields ?? {}) };
          for (const [k, v] of Object.entries(plan.upsert.fields)) fields[k] = String(v).trim();
          store.index.set(
            key,
            pack({ status: before?.status ?? 'active', fields, inGroup: true }, store.fieldKeys),
          );
        } else if (plan.kind === 'skipped') {
          counts.skipped++;
          const { orderId, customerId, email } = record;
          skips.push({ orderId, customerId, email, reason: plan.reason });
          entries.push({ kind: 'skipped', orderId, customerId, email, reasons: [plan.reason] });
        } else if (plan.kind === 'unchanged') {
          // Written by a batch of this page answered before its worker was lost.
          const earlier = earlierCreated.has(record.orderId)
            ? 'created'
            : earlierUpdated.has(record.orderId)
              ? 'updated'
              : 'unchanged';
          counts[earlier]++;
        } else counts[plan.kind]++;
      });
      const size = Math.max(1, Math.min(MAX_BATCH_REQUESTS - 1, input.batchWrites));
      const batches = Math.ceil(toWrite.length / size);
      for (let b = 0; b < batches; b++) {
        // Even batches: 60 writes make 30 + 30, not 49 + 11.
        const from = Math.floor((b * toWrite.length) / batches);
        const to = Math.floor(((b + 1) * toWrite.length) / batches);
        const slice = toWrite.slice(from, to);
        store.batches.set(`${input.page}:${b}`, {
          records: slice.map((w) => w.record),
          upserts: slice.map((w) => w.upsert),
        });
      }
      for (const slot of input.release ?? []) store.held.delete(slot);
      return { unknown: 0, counts, skips, entries, batches, planned: toWrite.length };
    },

    /**
     * Looks up one part (50 emails, one MailerLite request: a batch of reads) of the buyers a page's
     * plan found in no list, into the index: each one's status, fields and membership, or that
     * MailerLite does not know them.
     */
    async lookUpListPage(input: LookUpListPageInput): Promise<{ found: number; absent: number }> {
      const store = storeOf(input.key);
      const emails = (store.unknown.get(input.page) ?? []).slice(
        input.part * MAX_BATCH_REQUESTS,
        (input.part + 1) * MAX_BATCH_REQUESTS,
      );
      if (emails.length === 0) return { found: 0, absent: 0 };
      const requests = emails.map((email) => batchRequest('GET', ML_ROUTES.subscriber, { id: email }));
      const answer = await providers.mailerlite.batch(requests);
      checkBatchAnswers(requests, answer);
      let found = 0;
      answer.responses.forEach((r, i) => {
        const email = emails[i]!;
        if (r.code === 404) {
          store.absent.add(email);
          return;
        }
        if (r.code !== 200) {
          // 429 and 5xx were thrown as passing errors above; any other answer will not change.
          throw ApplicationFailure.create({
            type: 'MailerLiteLookUpRefused',
            nonRetryable: true,
            message: `MailerLite refused to read a subscriber in a batch (HTTP ${r.code}): ${JSON.stringify(r.body).slice(0, 200)}`,
          });
        }
        const parsed = MlSubscriberSchema.safeParse((r.body as { data?: unknown } | null)?.data);
        if (!parsed.success) {
          throw new ProviderTransientError(
            'mailerlite',
            'a subscriber read in a batch had an unexpected shape',
          );
        }
        const missing = input.fieldKeys.find((key) => !(key in parsed.data.fields));
        if (missing !== undefined) {
          // MailerLite lists every field of the account: the purchase field was deleted mid-run.
          throw new DestinationGoneError(
            `MailerLite has no subscriber field '${missing}' any more (deleted in MailerLite?): the campaign's purchase field is gone`,
          );
        }
        found++;
        store.index.set(email, pack(entryOf(parsed.data, input, 'looked-up'), store.fieldKeys));
      });
      return { found, absent: emails.length - found };
    },

    /**
     * Sends planned batches of a page, each `POST /api/batch` holding its upserts and one read-back
     * of its last upsert (so no batch is import-only). The answers count: 201 created, 200 updated,
     * a 422 of someone who withdrew since the index was read `skipped`, any other refusal `failed`.
     * A batch already answered is not sent again.
     */
    async writeListBatches(input: WriteListBatchesInput): Promise<WriteListBatchesResult> {
      const store = storeOf(input.key);
      const ctx = Context.current();
      const result = emptyWriteListBatchesResult();
      const planned = input.batches.map((b) => {
        const batch = store.batches.get(`${input.page}:${b}`);
        if (!batch) throw new DestinationIndexLostError(input.key);
        return batch;
      });
      await mapWithConcurrency(planned, Math.max(1, input.concurrency), async (batch) => {
        if (!batch.result) batch.result = await sendBatch(batch, input.tries, result, ctx);
        batch.result.outcomes.forEach((outcome, i) => {
          const record = batch.records[i]!;
          const { orderId, customerId, email } = record;
          if (outcome.ok) {
            const kind = outcome.created ? 'created' : 'updated';
            result.counts[kind]++;
            result[kind].push(orderId);
            return;
          }
          const kind = outcome.consent ? 'skipped' : 'failed';
          result.counts[kind]++;
          (outcome.consent ? result.skips : result.failures).push({
            orderId,
            customerId,
            email,
            reason: outcome.reason,
          });
          result.entries.push({ kind, orderId, customerId, email, reasons: [outcome.reason] });
          if (outcome.consent) {
            const key = email.trim().toLowerCase();
            const packed = store.index.get(key);
            if (packed !== undefined) {
              store.index.set(
                key,
                pack({ ...unpack(packed, store.fieldKeys), status: 'unsubscribed' }, store.fieldKeys),
              );
            }
          }
        });
        ctx.heartbeat();
      });
      return result;
    },

    /** Forgets a sync's index on this process (its run ended). */
    async releaseDestinationIndex(input: { key: string }): Promise<void> {
      stores.delete(input.key);
    },
  };

  async function sendBatch(
    batch: PlannedBatch,
    tries: number,
    result: WriteListBatchesResult,
    ctx: Context,
  ): Promise<BatchOutcome> {
    const last = batch.upserts[batch.upserts.length - 1]!;
    const requests: BatchRequest[] = [
      ...batch.upserts.map((u) => batchRequest('POST', ML_ROUTES.subscribers, {}, { ...u })),
      // Not an upsert: with it the batch is no import (5 a minute), and it reads back a write.
      batchRequest('GET', ML_ROUTES.subscriber, { id: last.email }),
    ];
    return retryInPlace(
      ctx,
      tries,
      async () => {
        const answer = await providers.mailerlite.batch(requests);
        checkBatchAnswers(requests, answer);
        return { outcomes: answer.responses.slice(0, batch.upserts.length).map(writeOutcome) };
      },
      () => result.requests++,
    );
  }
}

function entryOf(
  subscriber: MlSubscriber,
  input: Pick<IndexPageInput, 'groupId' | 'fieldKeys'>,
  list: DestinationList | 'looked-up',
): IndexEntry {
  const fields: Record<string, string> = {};
  for (const key of input.fieldKeys) {
    const value = subscriber.fields[key];
    if (typeof value === 'string' || typeof value === 'number') fields[key] = String(value).trim();
  }
  return {
    status: subscriber.status,
    fields,
    inGroup: list === 'members' || subscriber.groups.some((g) => g.id === input.groupId),
  };
}

function snapshotOf(store: SyncStore, email: string): DestinationSnapshot {
  const packed = store.index.get(email.trim().toLowerCase());
  if (packed === undefined) return { email, exists: false, fields: {}, inGroup: false };
  const entry = unpack(packed, store.fieldKeys);
  return { email, exists: true, status: entry.status, fields: entry.fields, inGroup: entry.inGroup };
}

/** A chunk's records, gathered from the source pages this process holds. */
function heldRecords(store: SyncStore, input: PlanListPageInput): SourceRecord[] {
  const records: SourceRecord[] = [];
  for (const source of input.sources) {
    const held = store.held.get(source.slot);
    if (!held) throw new DestinationIndexLostError(input.key);
    const wanted = new Set(source.orderIds);
    const taken = held.filter((r) => wanted.has(r.orderId));
    if (taken.length !== wanted.size) {
      throw ApplicationFailure.nonRetryable(
        `list path: ${wanted.size - taken.length} records of source page ${source.slot} are not held here`,
        'HeldRecordsMissing',
      );
    }
    records.push(...taken);
  }
  return records;
}
