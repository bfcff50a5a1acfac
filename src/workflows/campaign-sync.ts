import {
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { ACTIVITY_RETRY } from './retry';
import type { Activities, PurchasersPage, SyncNotification } from '../activities';
import { checkConnectionsWithinBudget, ensureResourcesWithinBudget } from './budgeted-preparation';
import { parseDuration } from '../shared/duration';
import { innermostMessage, InvalidInputError, SyncTimeoutError } from '../shared/errors';
import { mailerliteTaskQueue, syncWorkflowId } from '../shared/names';
import { MirrorStep } from './mirror-step';
import { WriteStream } from '../shared/write-stream';
import { joined, SEAM_SCALES } from '../shared/sales-seams';
import { PageWrites, type RecordSink } from './page-writes';
import { chooseDestinationRead } from './list-path';
import { CAMPAIGN_CODE, SYNC_MODE, SYNC_STATUS, SYNC_TRIGGER } from '../shared/search-attributes';
import {
  describeZodIssues,
  emptyCounts,
  FORGED_RESUME,
  keepValid,
  SyncInputSchema,
  type FailedRecordReport,
  type InvalidRecordReport,
  type ReportEntry,
  type SourceRecord,
  type SyncInput,
  type SyncOptions,
  type SyncPhase,
  type SyncProgress,
  type SyncResume,
  type SyncSummary,
  type Watermark,
} from '../shared/sync-types';

/** The current phase and counts of a running sync. */
export const progressQuery = defineQuery<SyncProgress>('progress');

const retry = ACTIVITY_RETRY;

/**
 * While pages are read, report entries are handed to history once this many wait, or this long
 * after the last hand-over (and always at the end, before continue-as-new, on failure), instead of
 * once a page: fewer activities, and `sync report` still sees a running sync's entries soon.
 */
const REPORT_BATCH = 500;
const REPORT_EVERY_MS = 10_000;

/** Source pages read at once: the one being handed over and the next. */
const READ_AHEAD = 2;

/**
 * Every activity of a sync heartbeats (by itself, or a liveness beat while it runs): a worker that
 * dies mid-activity is noticed after this, and the activity retried elsewhere, instead of after
 * its start-to-close timeout.
 */
const HEARTBEAT_TIMEOUT = '20s';

/** Short calls: connection checks, look-ups, provisioning, validation, stats. */
const quick = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry,
});

/**
 * A person's notification (log, webhook): retried with backoff for about a minute, then given up,
 * so a webhook that is down delays a failed run's end by that much at most and never hides its cause.
 */
const notifier = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 5 },
});

/** Most purchases a watermark keeps as `seen`; beyond, none (the next run reads them again). */
const MAX_SEEN = 2000;

/** Pages an incremental run reads to find out whether anything is new, before it turns to MailerLite. */
const PROBE_PAGES = 10;

/** An EDD date (`YYYY-MM-DD HH:MM:SS`, UTC) less a duration, in the same form. */
function dateMinus(date: string, duration: string): string {
  const ms = Date.parse(`${date.replace(' ', 'T')}Z`) - parseDuration(duration);
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** What joins a page to the next: see `shared/sales-seams.ts`. */
interface PageJoin {
  tail: string[];
  orderIds: number[];
  /** The page was the list's last. */
  done?: boolean;
}

/**
 * The purchases a page's seam holds that the page before missed: those after the last order of the
 * page before's tail that the seam holds (earlier ones are that page's, or older pages'), and not
 * among the page before's own purchases.
 */
function rescuedFromSeam(
  batch: Pick<PurchasersPage, 'seam' | 'seamRecords'>,
  before: PageJoin | undefined,
): SourceRecord[] {
  if (!before || batch.seamRecords.length === 0) return [];
  const tail = new Set(before.tail);
  let lastKnown = -1;
  batch.seam.forEach((number, i) => {
    if (tail.has(number)) lastKnown = i;
  });
  const position = new Map(batch.seam.map((number, i) => [number, i]));
  const held = new Set(before.orderIds);
  return batch.seamRecords
    .filter((r) => (position.get(r.number) ?? -1) > lastKnown && !held.has(r.record.orderId))
    .map((r) => r.record);
}

/** One page of EDD sales plus its customers' look-ups. */
const source = proxyActivities<Activities>({
  startToCloseTimeout: '5m',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry,
});

/**
 * One page of writes on the direct path: at most a page's ~40 batch requests, each tried up to five
 * times in place; the heartbeat after every request lets a lost worker's page be retried soon.
 */
const pageWriter = proxyActivities<Activities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  retry,
});

/**
 * Syncs one campaign: checks both connections, makes sure the campaign's MailerLite groups and
 * purchase field exist, then pages through the album's EDD purchasers, validating every record and
 * writing the valid ones, and records the run's stats. Only page numbers and per-page records pass
 * through history, never the whole dataset.
 */
export async function campaignSync(rawInput: SyncInput): Promise<SyncSummary> {
  const input = parseInput(rawInput);
  const info = workflowInfo();
  if (input.resume && !info.continuedFromExecutionRunId && patched('resume-only-when-continued')) {
    // A forged cursor and stats would skip pages and report counts that were never made.
    throw ApplicationFailure.create({
      type: InvalidInputError.name,
      nonRetryable: true,
      message: `Invalid sync input: ${FORGED_RESUME}`,
      details: [[FORGED_RESUME]],
    });
  }
  const expectedId = syncWorkflowId(input.campaign);
  if (info.workflowId !== expectedId) {
    // The workflow ID is the campaign's lock; a run under any other ID would not hold it.
    throw ApplicationFailure.create({
      type: InvalidInputError.name,
      nonRetryable: true,
      message: `A sync of campaign ${input.campaign} must run with workflow ID ${expectedId} (the campaign's lock), not ${info.workflowId}.`,
    });
  }
  // One MailerLite request per activity, on the task queue whose rate limit is the account's budget.
  // Two minutes covers the HTTP timeout (30 s) twice plus a Retry-After waited out in place (10 s).
  const mailerlite = proxyActivities<Activities>({
    taskQueue: mailerliteTaskQueue(info.taskQueue),
    startToCloseTimeout: '2m',
    heartbeatTimeout: HEARTBEAT_TIMEOUT,
    retry,
  });
  if (info.typedSearchAttributes.get(CAMPAIGN_CODE) === undefined) {
    upsertSearchAttributes([
      { key: CAMPAIGN_CODE, value: input.campaign },
      { key: SYNC_TRIGGER, value: input.trigger },
    ]);
  }
  // Mode and state, so the UI's list can filter on them (`SyncStatus='failed'`); the final state
  // is set just before the run returns or throws.
  upsertSearchAttributes([
    { key: SYNC_MODE, value: input.mode },
    { key: SYNC_STATUS, value: 'running' },
  ]);
  const endAs = (status: SyncSummary['status']) =>
    upsertSearchAttributes([{ key: SYNC_STATUS, value: status }]);

  // A continued run picks up the cursor and the stats of the runs before it.
  const resume = input.resume;
  const startedAt = resume ? new Date(resume.startedAt) : new Date();
  const counts = resume ? { ...resume.counts } : emptyCounts();
  const invalidRecords: InvalidRecordReport[] = resume ? [...resume.invalidRecords] : [];
  const failedRecords: FailedRecordReport[] = resume ? [...resume.failedRecords] : [];
  const skippedRecords: FailedRecordReport[] = resume ? [...resume.skippedRecords] : [];
  const samples = resume ? { ...resume.samples } : { created: [], updated: [] };
  // The overall timeout counts from the sync's first run, so it carries over continue-as-new.
  const deadline = resume?.deadline
    ? new Date(resume.deadline).getTime()
    : input.timeout
      ? startedAt.getTime() + parseDuration(input.timeout)
      : undefined;
  const progressEveryMs = parseDuration(input.progressInterval);
  let lastProgressLog = Date.now();
  // Per-record report entries not yet handed to history (see `flushReport`).
  const entries: ReportEntry[] = [];
  const mirror = input.mode === 'mirror' ? new MirrorStep(input.maxRemovalShare) : undefined;
  let resourcesToCreate: string[] = [];
  let writePath: SyncSummary['writePath'];
  let destinationRead: SyncSummary['destinationRead'];
  let phase: SyncPhase = 'starting';
  let pages = resume?.pages ?? 0;
  let newestOrder = resume?.newestOrder;
  let newestDate = resume?.newestDate;
  // An incremental run: the watermark it reads back to (null: none, so it reads everything), and
  // how many orders it has read past it.
  let incrementalFrom: Watermark | null | undefined = resume?.incrementalFrom;
  let readPast = resume?.readPast ?? 0;
  // Whether the run read all it had to: to the end of the list, or to an incremental lookback.
  let readAll = false;
  // The purchases read within the lookback of this run's newest order (the next watermark's
  // `seen`), and the sales read so far; not kept across continue-as-new (the next run then reads
  // its lookback from MailerLite again).
  let seen: number[] | undefined = resume ? undefined : [];
  let salesRead = 0;
  const seenBefore = () => new Set(incrementalFrom?.seen ?? []);
  let productId = resume?.productId ?? input.productId ?? 0;
  let updatedAt = startedAt;

  setHandler(progressQuery, () => ({
    campaign: input.campaign,
    phase,
    pages,
    ...counts,
    startedAt: startedAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
    mode: input.mode,
    ...(mirror && mirror.report.state !== 'not-run' ? { mirror: { ...mirror.report } } : {}),
    ...(deadline !== undefined ? { deadline: new Date(deadline).toISOString() } : {}),
    trigger: input.trigger,
  }));
  // The Web UI's "Current Details" (User Metadata tab): the phase and counts, as of the last page.
  // Answered by a query, so it costs no history; a closed run's are its last ones.
  const showDetails = () =>
    setCurrentDetails(
      `**${phase}**: ${pages} pages; fetched ${counts.fetched}, invalid ${counts.invalid}, created ${counts.created}, ` +
        `updated ${counts.updated}, unchanged ${counts.unchanged}, skipped ${counts.skipped}, failed ${counts.failed}` +
        (input.mode === 'mirror' ? `, removed ${counts.removed}` : ''),
    );
  const enter = (next: SyncPhase) => {
    phase = next;
    updatedAt = new Date();
    showDetails();
  };

  // Whether a page lies within the lookback of the newest order read (what the next incremental
  // run will read again below its watermark): the first `lookbackOrders` sales, or dated after
  // the newest order's date less `lookback`.
  const withinLookback = (batch: { oldestDate?: string }, salesBefore: number, newest: string | undefined) =>
    newest !== undefined &&
    (salesBefore < input.lookbackOrders || (batch.oldestDate ?? '') >= dateMinus(newest, input.lookback));

  // An incremental run's first look, at EDD alone: the pages back to its lookback, in which every
  // purchase must be one the last run saw. Undefined as soon as one is new (or the list moved, or
  // is empty): the run then goes on as usual.
  const nothingNew = async (from: Watermark) => {
    const known = new Set(from.seen ?? []);
    const cutoff = dateMinus(from.date, input.lookback);
    const seenNow: number[] = [];
    let before: PageJoin | undefined;
    let newest: Watermark | undefined;
    let salesBefore = 0;
    let past = 0;
    let fetched = 0;
    for (let page = 1; page <= PROBE_PAGES; page++) {
      const batch = await source.fetchPurchasersPage({
        productId,
        page,
        pageSize: input.pageSize,
        watermarkDate: from.date,
      });
      if (page === 1) {
        if (!batch.newest || !batch.newestDate) return undefined;
        newest = { order: batch.newest, date: batch.newestDate };
      } else if (!before || !joined(before.tail, batch.seam)) return undefined;
      const records = [...rescuedFromSeam(batch, before), ...batch.records];
      if (records.some((r) => !known.has(r.orderId))) return undefined;
      if (withinLookback(batch, salesBefore, newest!.date)) seenNow.push(...records.map((r) => r.orderId));
      fetched += records.length;
      salesBefore += batch.salesScanned;
      past += batch.pastWatermark;
      before = { tail: batch.tail, orderIds: records.map((r) => r.orderId) };
      if (
        batch.done ||
        (past >= input.lookbackOrders && batch.oldestDate !== undefined && batch.oldestDate < cutoff)
      ) {
        return { pages: page, newest: newest!, seen: seenNow, readPast: past, fetched };
      }
    }
    return undefined;
  };

  const summarize = (status: SyncSummary['status']): SyncSummary => {
    const finishedAt = new Date();
    return {
      campaign: input.campaign,
      productId,
      status,
      pages,
      ...(newestOrder !== undefined ? { newestOrder } : {}),
      runs: (resume?.continuations ?? 0) + 1,
      dryRun: input.dryRun,
      samples,
      resourcesToCreate,
      mode: input.mode,
      ...(writePath ? { writePath } : {}),
      ...(mirror ? { mirror: mirror.report } : {}),
      ...counts,
      ...(destinationRead ? { destinationRead } : {}),
      invalidRecords,
      invalidRecordsOmitted: counts.invalid - invalidRecords.length,
      failedRecords,
      failedRecordsOmitted: counts.failed - failedRecords.length,
      skippedRecords,
      skippedRecordsOmitted: counts.skipped - skippedRecords.length,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
      // Last, after the counts people look for first (the Web UI shows a result's beginning).
      // Only a completed run that read all it had to (and wrote: no dry run) moves the watermark.
      ...(status === 'completed' && readAll && !input.dryRun && newestOrder !== undefined && newestDate
        ? {
            watermark: {
              order: newestOrder,
              date: newestDate,
              // A write that failed must be tried again by the next run: nothing is "seen" then.
              ...(seen && counts.failed === 0 ? { seen } : {}),
            },
          }
        : {}),
      ...(input.incremental ? { incremental: { from: incrementalFrom ?? null, readPast } } : {}),
    };
  };

  // Hands the report entries gathered so far to history, through one activity's input: each entry
  // is written once, in this run's history (bounded by continue-as-new), where `sync report` reads
  // it during and after the run.
  let lastReportFlush = Date.now();
  const flushReport = async () => {
    lastReportFlush = Date.now();
    while (entries.length > 0) {
      await quick.recordReportEntries({ campaign: input.campaign, entries: entries.splice(0, REPORT_BATCH) });
    }
  };
  // Between pages: a hand-over only when enough entries wait, or they have waited long enough.
  const batchedReport = patched('report-flush-batched');
  const flushReportBetweenPages = async () => {
    if (
      !batchedReport ||
      entries.length >= REPORT_BATCH ||
      (entries.length > 0 && Date.now() - lastReportFlush >= REPORT_EVERY_MS)
    ) {
      await flushReport();
    }
  };
  const logProgress = (force = false) => {
    if (!force && Date.now() - lastProgressLog < progressEveryMs) return;
    lastProgressLog = Date.now();
    log.info('campaign sync progress', { campaign: input.campaign, phase, pages, ...counts });
  };
  let timedOut = false;

  // A person hears of a failed or timed-out run, and of removals waiting for an approval: once each.
  const notify = async (
    kind: SyncNotification['kind'],
    message: string,
    commands: string[],
    removals?: SyncNotification['removals'],
  ) => {
    try {
      await notifier.notifySync({
        kind,
        campaign: input.campaign,
        workflowId: info.workflowId,
        runId: info.runId,
        trigger: input.trigger,
        mode: input.mode,
        message,
        commands,
        pages,
        counts: { ...counts },
        ...(removals ? { removals } : {}),
      });
    } catch (err) {
      log.warn('notification not delivered', { kind, error: innermostMessage(err) });
    }
  };

  try {
    // Every MailerLite request the sync causes goes within the account's budget (see
    // budgeted-preparation.ts): the connection check and provisioning included.
    const budgetedPreparation = patched('budgeted-preparation');
    // Whether the campaign's EDD product was found (an incremental run looks before the checks).
    let resolved = false;
    if (input.incremental && !resume && !input.dryRun) {
      // An incremental run first asks EDD alone whether anything is new: when every purchase back
      // to its lookback was seen by the last run, it ends here, with no MailerLite request at all.
      productId = (await quick.resolveCampaign({ campaign: input.campaign, productId: input.productId }))
        .productId;
      resolved = true;
      incrementalFrom = await quick.readWatermark({ campaign: input.campaign });
      const quiet = incrementalFrom?.seen ? await nothingNew(incrementalFrom) : undefined;
      if (quiet) {
        pages = quiet.pages;
        newestOrder = quiet.newest.order;
        newestDate = quiet.newest.date;
        seen = quiet.seen;
        readPast = quiet.readPast;
        readAll = true;
        counts.fetched = counts.valid = counts.unchanged = quiet.fetched;
        const summary = summarize('completed');
        await quick.recordSyncStats(summary);
        enter('completed');
        endAs('completed');
        log.info('campaign sync: nothing new since the watermark', { campaign: input.campaign, pages });
        return summary;
      }
    }
    enter('checking-connections');
    if (budgetedPreparation) await checkConnectionsWithinBudget(info.taskQueue);
    else await quick.checkConnections();

    enter('preparing');
    if (!resume && !resolved) {
      const product = await quick.resolveCampaign({ campaign: input.campaign, productId: input.productId });
      productId = product.productId;
    }
    if (input.incremental && !resume && incrementalFrom === undefined) {
      incrementalFrom = await quick.readWatermark({ campaign: input.campaign });
    }
    // Orders dated before this, once `lookbackOrders` orders past the watermark are read, end an
    // incremental run's reading (see `lookback`).
    const lookbackCutoff = incrementalFrom ? dateMinus(incrementalFrom.date, input.lookback) : undefined;
    const ensureInput = {
      campaign: input.campaign,
      tiers: input.tiers,
      purchaseTier: input.purchaseTier,
      dryRun: input.dryRun,
    };
    const resources = budgetedPreparation
      ? await ensureResourcesWithinBudget({ quick, mailerlite }, ensureInput)
      : await quick.ensureCampaignResources(ensureInput);
    resourcesToCreate = resources.missing;

    enter('syncing');
    const tally = {
      counts,
      failures: failedRecords,
      skips: skippedRecords,
      samples,
      reportLimit: input.reportLimit,
      entries,
    };
    const writeOptions = {
      groupId: resources.purchaseGroupId,
      purchaseFieldKey: resources.purchaseFieldKey,
      fieldKeys: ['name', 'last_name', resources.purchaseFieldKey],
      // Mirror writes as upsert does; its removals come after the last page.
      mode: input.mode === 'update-only' ? ('update-only' as const) : ('upsert' as const),
      lanes: input.writeLanes,
      batchSize: input.batchSize,
      waitFor: condition,
    };
    // With no MailerLite budget configured, a page is written by one activity (the direct path);
    // otherwise every request is its own activity on the rate-limited queue. A dry run always
    // streams, so what it plans for a buyer on one page is seen on the next.
    const direct =
      !input.dryRun && patched('direct-page-writes') && (await quick.describeWritePath()).path === 'direct';
    writePath = direct ? 'direct' : 'budgeted';
    // A full sync reads MailerLite with cursor lists when that costs fewer requests than reading
    // each buyer (list-path.ts); incremental, dry and update-only runs read each buyer (the lists
    // do not show an active subscriber outside the group, whom update-only must tell from a new one).
    const listPath =
      input.incremental || input.dryRun || input.mode === 'update-only'
        ? undefined
        : await chooseDestinationRead(
            {
              syncKey: `${info.workflowId}/${info.runId}`,
              taskQueue: info.taskQueue,
              productId,
              resources,
              mode: writeOptions.mode,
              lanes: input.writeLanes,
              batchSize: input.batchSize,
              direct,
              waitFor: condition,
              way: input.destinationRead,
              ...(resume?.listPath ? { carried: resume.listPath } : {}),
            },
            tally,
          );
    destinationRead = listPath?.choice;
    // The source reads the next pages while the sink writes the last ones; the sink pushes back
    // when two pages are waiting, so memory and history stay bounded whatever the campaign's size.
    const perBuyer: RecordSink = direct
      ? new PageWrites(
          {
            ...writeOptions,
            campaign: input.campaign,
            productId,
            reportLimit: input.reportLimit,
            write: pageWriter.writeRecordsPage,
          },
          tally,
        )
      : new WriteStream(
          {
            ...writeOptions,
            dryRun: input.dryRun,
            sampleSize: input.sampleSize,
            maxQueued: 2 * input.pageSize,
            exchange: mailerlite.mailerliteExchange,
            checkHeld: (checks) => source.checkHeldOrders({ productId, checks }),
          },
          tally,
        );
    const stream = listPath?.sink ?? perBuyer;
    // Where to continue as new: set at a page boundary once history is long enough.
    let continueAt: number | undefined;
    // Whether the source was read to its last page (mirror removes nothing otherwise).
    let readToEnd = false;
    const historyFull = () => {
      const now = workflowInfo();
      return now.continueAsNewSuggested || now.historyLength >= input.historyLimit;
    };
    // A page read and validated: the EDD side has no rate limit, so the next pages are read while
    // this one is handed over (read-ahead), and handed over strictly in page order.
    // The validation answers with verdicts only (the invalid ones and where they are): the valid
    // records are already here, and need not pass through history a second time.
    const verdictsOnly = patched('validation-verdicts');
    // Each page's last order numbers and its purchases' orders, once the page is final: the next
    // page's seam must meet the former, and what the seam rescues must not repeat the latter.
    const joins = new Map<number, Promise<PageJoin>>();
    if (resume?.tail) {
      joins.set(resume.page - 1, Promise.resolve({ tail: resume.tail, orderIds: resume.tailOrderIds ?? [] }));
    }
    const readJoined = async (page: number) => {
      const read = (seamScale: number) =>
        source.fetchPurchasersPage({
          productId,
          page,
          pageSize: input.pageSize,
          ...(seamScale > 1 ? { seamScale } : {}),
          ...(incrementalFrom ? { watermarkDate: incrementalFrom.date } : {}),
        });
      // The page is read at once (read-ahead); only joining it waits for the page before. If that
      // one fails, this read is never awaited: its own failure must not count as unhandled.
      const first = read(SEAM_SCALES[0]);
      first.catch(() => undefined);
      const before = page > 1 ? await joins.get(page - 1) : undefined;
      for (const [i, seamScale] of SEAM_SCALES.entries()) {
        const batch = i === 0 ? await first : await read(seamScale);
        // Past the end: the page before was the last, and this one holds nothing to join.
        if (before?.done) return { ...batch, records: [], seamRecords: [], done: true };
        if (!before || joined(before.tail, batch.seam)) {
          return { ...batch, records: [...rescuedFromSeam(batch, before), ...batch.records] };
        }
      }
      // More orders were refunded between two reads than the largest seam absorbs: stop rather
      // than miss a buyer (and, in mirror mode, remove one).
      throw ApplicationFailure.create({
        type: 'SalesListMovedError',
        nonRetryable: true,
        message:
          `EDD's sales list changed by more orders than the sync can follow between reading pages ${page - 1} ` +
          `and ${page} of ${input.campaign} (orders refunded meanwhile): it stopped so that no buyer is missed ` +
          'and nobody is removed; what was written is kept. Run it again.',
      });
    };
    const loadPage = async (page: number) => {
      const final = readJoined(page);
      const join = final.then((b) => ({
        tail: b.tail,
        orderIds: b.records.map((r) => r.orderId),
        done: b.done,
      }));
      // Awaited by the next page; a failure is this page's own, and handled there.
      join.catch(() => undefined);
      joins.set(page, join);
      const batch = await final;
      const records = batch.records;
      if (records.length === 0) return { batch, valid: [], invalid: [] };
      const checked = await quick.validateRecords({
        campaign: input.campaign,
        records,
        ...(verdictsOnly ? { returnValid: false } : {}),
      });
      const valid = checked.invalidAt ? keepValid(records, checked.invalidAt) : checked.valid;
      return { batch, valid, invalid: checked.invalid };
    };
    const readAhead = patched('read-ahead') ? READ_AHEAD : 1;
    const loading = new Map<number, ReturnType<typeof loadPage>>();
    const load = (page: number) => {
      let pending = loading.get(page);
      if (!pending) {
        pending = loadPage(page);
        // A page read ahead past the end, a timeout or a continue-as-new is never used: its
        // failure must not count as unhandled.
        pending.catch(() => undefined);
        loading.set(page, pending);
      }
      return pending;
    };
    const reading = async () => {
      try {
        for (let page = resume?.page ?? 1; input.maxPages === undefined || page <= input.maxPages; page++) {
          if (deadline !== undefined && Date.now() >= deadline) {
            timedOut = true;
            break;
          }
          if (historyFull()) {
            continueAt = page;
            break;
          }
          const current = load(page);
          for (let next = page + 1; next < page + readAhead; next++) {
            if (input.maxPages === undefined || next <= input.maxPages) void load(next);
          }
          const { batch, valid, invalid } = await current;
          loading.delete(page);
          joins.delete(page - 1);
          if (batch.newest !== undefined) {
            newestOrder = batch.newest;
            newestDate = batch.newestDate;
          }
          readPast += batch.pastWatermark;
          if (seen && withinLookback(batch, salesRead, newestDate)) {
            seen.push(...batch.records.map((r) => r.orderId));
            if (seen.length > MAX_SEEN) seen = undefined;
          }
          salesRead += batch.salesScanned;
          counts.fetched += batch.records.length;
          if (batch.records.length > 0) {
            counts.valid += valid.length;
            counts.invalid += invalid.length;
            invalidRecords.push(...invalid.slice(0, input.reportLimit - invalidRecords.length));
            for (const { orderId, customerId, email, reasons } of invalid)
              entries.push({ kind: 'invalid', orderId, customerId, email, reasons });
            // Purchases the last run saw within its lookback are not read from MailerLite again.
            const known = seenBefore();
            const fresh = known.size > 0 ? valid.filter((r) => !known.has(r.orderId)) : valid;
            counts.unchanged += valid.length - fresh.length;
            await stream.push(fresh);
          }
          pages++;
          updatedAt = new Date();
          showDetails();
          await flushReportBetweenPages();
          logProgress();
          if (batch.done) {
            readToEnd = true;
            readAll = true;
            break;
          }
          if (
            lookbackCutoff !== undefined &&
            readPast >= input.lookbackOrders &&
            batch.oldestDate !== undefined &&
            batch.oldestDate < lookbackCutoff
          ) {
            // Back past the watermark by the lookback: older orders were read by earlier runs.
            readAll = true;
            break;
          }
        }
      } finally {
        stream.close();
      }
    };
    await Promise.all([reading(), stream.run()]);
    await flushReport();

    if (timedOut) {
      throw ApplicationFailure.create({
        type: SyncTimeoutError.name,
        nonRetryable: true,
        message:
          `Sync of ${input.campaign} stopped at its overall timeout (${input.timeout}) after ${pages} pages: ` +
          `${counts.created} created, ${counts.updated} updated; what was written is kept. Run it again to go on.`,
      });
    }

    if (continueAt !== undefined) {
      const lastJoin = await joins.get(continueAt - 1);
      // Everything queued has been written; the next run starts at this page with these stats,
      // under the same workflow ID, so the campaign's lock is held throughout.
      const next: SyncResume = {
        page: continueAt,
        pages,
        counts: { ...counts },
        invalidRecords,
        failedRecords,
        skippedRecords,
        samples,
        startedAt: startedAt.toISOString(),
        ...(deadline !== undefined ? { deadline: new Date(deadline).toISOString() } : {}),
        productId,
        continuations: (resume?.continuations ?? 0) + 1,
        ...(lastJoin ? { tail: lastJoin.tail, tailOrderIds: lastJoin.orderIds } : {}),
        ...(newestOrder !== undefined ? { newestOrder } : {}),
        ...(newestDate !== undefined ? { newestDate } : {}),
        ...(incrementalFrom !== undefined ? { incrementalFrom } : {}),
        readPast,
        ...(listPath?.sink?.handover() ? { listPath: listPath.sink.handover() } : {}),
      };
      log.info('campaign sync continues as new', { campaign: input.campaign, page: continueAt });
      return await continueAsNew<typeof campaignSync>({ ...input, resume: next });
    }

    if (mirror && !readToEnd) {
      mirror.skip('not run: the source was not read to its end (--max-pages), so absence proves nothing');
    } else if (mirror) {
      enter('mirroring');
      await mirror.run({
        campaign: input.campaign,
        productId,
        groupId: resources.purchaseGroupId,
        sourceKey: `${info.workflowId}/${info.firstExecutionRunId}`,
        maxRemovalShare: input.maxRemovalShare,
        approvalTimeoutMs: parseDuration(input.approvalTimeout),
        approvalTimeout: input.approvalTimeout,
        deadline,
        dryRun: input.dryRun || resources.purchaseGroupId === '',
        sampleSize: input.sampleSize,
        lanes: input.writeLanes,
        scan: mailerlite.mirrorScanPage,
        remove: mailerlite.mirrorRemoveMembers,
        report: (more) => entries.push(...more),
        counts,
        onWaiting: (waiting) => enter(waiting ? 'awaiting-approval' : 'mirroring'),
        notifyWaiting: (m) =>
          notify(
            'approval-waiting',
            `Mirror sync of ${input.campaign} waits for an approval to remove ${m.toRemove} of the ${m.groupMembers} members ` +
              `of its purchase group (${pct(m.toRemove / Math.max(1, m.groupMembers))}, above the ${pct(input.maxRemovalShare)} ` +
              `allowed without one), until ${m.approvalDeadline}; without it the run fails and removes nobody.`,
            [
              `campaign-sync sync report ${input.campaign} --kind removed`,
              `campaign-sync sync approve ${input.campaign} --count ${m.toRemove}`,
              `campaign-sync sync reject ${input.campaign}`,
            ],
            {
              pending: m.toRemove,
              groupMembers: m.groupMembers,
              ...(m.approvalDeadline ? { approvalDeadline: m.approvalDeadline } : {}),
            },
          ),
      });
      await flushReport();
    }

    await listPath?.sink?.release();
    enter('recording');
    const summary = summarize('completed');
    await quick.recordSyncStats(summary);
    enter('completed');
    endAs('completed');
    logProgress(true);
    log.info('campaign sync completed', { campaign: input.campaign, pages, ...counts });
    return summary;
  } catch (err) {
    if (isCancellation(err)) {
      // Keep what was written, record the partial stats, then end as cancelled (freeing the lock).
      enter('cancelled');
      await CancellationScope.nonCancellable(async () => {
        await flushReport();
        await quick.recordSyncStats(summarize('cancelled'));
      });
      endAs('cancelled');
    } else {
      enter('failed');
      const status = timedOut || isTimeout(err) ? 'timed-out' : 'failed';
      // Whatever ended the run, what it met so far stays readable and counted.
      await flushReport().catch(() => undefined);
      await quick.recordSyncStats(summarize(status)).catch(() => undefined);
      await notify(
        status === 'timed-out' ? 'sync-timed-out' : 'sync-failed',
        `Sync of ${input.campaign} ${status === 'timed-out' ? 'timed out' : 'failed'} after ${pages} pages ` +
          `(created ${counts.created}, updated ${counts.updated}, failed ${counts.failed}; what was written is kept): ` +
          innermostMessage(err),
        [`campaign-sync sync status ${input.campaign}`, `campaign-sync sync report ${input.campaign}`],
      );
      endAs(status);
    }
    throw err;
  }
}

/** A failure that is the sync's overall timeout (the page loop's, or the mirror step's wait). */
function isTimeout(err: unknown): boolean {
  return err instanceof ApplicationFailure && err.type === SyncTimeoutError.name;
}

function pct(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function parseInput(rawInput: SyncInput): SyncOptions {
  const parsed = SyncInputSchema.safeParse(rawInput ?? {});
  if (parsed.success) return parsed.data;
  const issues = describeZodIssues(parsed.error);
  throw ApplicationFailure.create({
    type: InvalidInputError.name,
    nonRetryable: true,
    message: `Invalid sync input: ${issues.join('; ')}`,
    details: [issues],
  });
}
