import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  ContinueAsNew,
  continueAsNew,
  isCancellation,
  log,
  setCurrentDetails,
  upsertSearchAttributes,
  workflowInfo,
  type WorkflowInfo,
} from '@temporalio/workflow';
import type { SyncNotification } from '../shared/notifications';
import { parseDuration } from '../shared/duration';
import { DestinationGoneError, hasCause, innermostMessage, SyncTimeoutError } from '../shared/errors';
import { withinLookback } from '../shared/lookback';
import { CAMPAIGN_CODE, SYNC_MODE, SYNC_STATUS, SYNC_TRIGGER } from '../shared/search-attributes';
import {
  emptyCounts,
  listedRecords,
  type FailedRecordReport,
  type InvalidRecordReport,
  type ReportEntry,
  type SourceRecord,
  type SyncCounts,
  type SyncOptions,
  type SyncPhase,
  type SyncProgress,
  type SyncResume,
  type SyncSummary,
  type Watermark,
  type WatermarkDestination,
} from '../shared/sync-types';
import type { Tally } from '../shared/write-stream';
import { checkMailerLiteWithinBudget } from './budgeted-preparation';
import { MirrorStep } from './mirror-step';
import type { PageJoin, ReadPage } from './sales-pages';
import { notifier, quick } from './sync-activities';

/**
 * While pages are read, report entries are handed to history once this many wait, or this long
 * after the last hand-over (and always at the end, before continue-as-new, on failure), instead of
 * once a page: fewer activities, and `sync report` still sees a running sync's entries soon.
 */
const REPORT_BATCH = 500;
const REPORT_EVERY_MS = 10_000;

/** Most purchases a watermark keeps as `seen`; beyond, none (the next run reads them again). */
const MAX_SEEN = 2000;

/**
 * The state of one run of a campaign's sync and what it reports: counts, the per-record report,
 * the phase the progress query and the Web UI show, the watermark it leaves, the summary, the
 * notifications a person gets. A continued run (continue-as-new) starts from the `resume` its run
 * before handed over. The workflow function orchestrates; this keeps the books.
 */
export class SyncRun {
  readonly info: WorkflowInfo = workflowInfo();
  readonly resume: SyncResume | undefined;
  readonly startedAt: Date;
  readonly counts: SyncCounts;
  readonly invalidRecords: InvalidRecordReport[];
  readonly failedRecords: FailedRecordReport[];
  readonly skippedRecords: FailedRecordReport[];
  readonly samples: Tally['samples'];
  /** When the overall timeout ends the sync (ms); it counts from the first run, over continue-as-new. */
  readonly deadline: number | undefined;
  /** Per-record report entries not yet handed to history (see {@link flushReport}). */
  readonly entries: ReportEntry[] = [];
  readonly mirror: MirrorStep | undefined;
  phase: SyncPhase = 'starting';
  pages: number;
  productId: number;
  resourcesToCreate: string[] = [];
  writePath: SyncSummary['writePath'];
  /** Which way the run reads MailerLite (lists or per buyer), with the estimates (list-path.ts). */
  destinationRead: SyncSummary['destinationRead'];
  newestOrder: string | undefined;
  newestDate: string | undefined;
  /**
   * An incremental run: the watermark it reads back to (null: none, so it reads everything;
   * undefined: not read yet, or not incremental), and how many orders it has read past it.
   */
  incrementalFrom: Watermark | null | undefined;
  readPast: number;
  /** Why an incremental run syncs in full (its `incrementalFrom` is null). */
  inFull: SyncResume['inFull'];
  /** Whether the run read all it had to: to the end of the list, or to an incremental lookback. */
  readAll = false;
  /** The sync stopped at its overall timeout. */
  timedOut = false;
  /**
   * The campaign's purchase group and field once known (carried over continue-as-new), and whether
   * this run took them from the last run's watermark instead of asking MailerLite.
   */
  destination: WatermarkDestination | undefined;
  destinationReused: boolean;
  /**
   * The purchases read within the lookback of this run's newest order (the next watermark's
   * `seen`); not kept across continue-as-new (the next run then reads its lookback from
   * MailerLite again).
   */
  private seen: number[] | undefined;
  /** Sales read so far (every product's). */
  private salesRead = 0;
  private updatedAt: Date;
  private lastProgressLog = Date.now();
  private lastReportFlush = Date.now();
  private readonly progressEveryMs: number;

  constructor(readonly input: SyncOptions) {
    const resume = (this.resume = input.resume);
    this.startedAt = resume ? new Date(resume.startedAt) : new Date();
    this.updatedAt = this.startedAt;
    this.counts = resume ? { ...resume.counts } : emptyCounts();
    this.invalidRecords = resume ? [...resume.invalidRecords] : [];
    this.failedRecords = resume ? [...resume.failedRecords] : [];
    this.skippedRecords = resume ? [...resume.skippedRecords] : [];
    this.samples = resume ? { ...resume.samples } : { created: [], updated: [] };
    this.deadline = resume?.deadline
      ? new Date(resume.deadline).getTime()
      : input.timeout
        ? this.startedAt.getTime() + parseDuration(input.timeout)
        : undefined;
    this.progressEveryMs = parseDuration(input.progressInterval);
    this.mirror = input.mode === 'mirror' ? new MirrorStep(input.maxRemovalShare) : undefined;
    this.pages = resume?.pages ?? 0;
    this.productId = resume?.productId ?? input.productId ?? 0;
    this.newestOrder = resume?.newestOrder;
    this.newestDate = resume?.newestDate;
    this.incrementalFrom = resume?.incrementalFrom;
    this.readPast = resume?.readPast ?? 0;
    this.inFull = resume?.inFull;
    this.destination = resume?.destination;
    this.destinationReused = resume?.destinationReused ?? false;
    this.seen = resume ? undefined : [];
  }

  /** Sets the search attributes the Web UI's list filters on: campaign, trigger, mode, `running`. */
  start(): void {
    if (this.info.typedSearchAttributes.get(CAMPAIGN_CODE) === undefined) {
      upsertSearchAttributes([
        { key: CAMPAIGN_CODE, value: this.input.campaign },
        { key: SYNC_TRIGGER, value: this.input.trigger },
      ]);
    }
    upsertSearchAttributes([
      { key: SYNC_MODE, value: this.input.mode },
      { key: SYNC_STATUS, value: 'running' },
    ]);
  }

  /** What the `progress` query answers. */
  progress(): SyncProgress {
    const { input, mirror } = this;
    return {
      campaign: input.campaign,
      phase: this.phase,
      pages: this.pages,
      ...this.counts,
      startedAt: this.startedAt.toISOString(),
      updatedAt: this.updatedAt.toISOString(),
      mode: input.mode,
      ...(mirror && mirror.report.state !== 'not-run' ? { mirror: { ...mirror.report } } : {}),
      ...(this.deadline !== undefined ? { deadline: new Date(this.deadline).toISOString() } : {}),
      trigger: input.trigger,
    };
  }

  enter(next: SyncPhase): void {
    this.phase = next;
    this.showDetails();
  }

  /**
   * The Web UI's "Current Details" (User Metadata tab): the phase and counts, as of the last page.
   * Answered by a query, so it costs no history; a closed run's are its last ones.
   */
  showDetails(): void {
    const c = this.counts;
    this.updatedAt = new Date();
    setCurrentDetails(
      `**${this.phase}**: ${this.pages} pages; fetched ${c.fetched}, invalid ${c.invalid}, created ${c.created}, ` +
        `updated ${c.updated}, unchanged ${c.unchanged}, skipped ${c.skipped}, failed ${c.failed}` +
        (this.input.mode === 'mirror' ? `, removed ${c.removed}` : ''),
    );
  }

  /** Where write sinks add their outcomes as they go, so the progress query sees them at once. */
  get tally(): Tally {
    return {
      counts: this.counts,
      failures: this.failedRecords,
      skips: this.skippedRecords,
      samples: this.samples,
      reportLimit: this.input.reportLimit,
      entries: this.entries,
    };
  }

  /**
   * Books a page read and validated: the newest order (page 1), the orders past the watermark, the
   * lookback's `seen`, the counts and the invalid records. Returns the valid records to write:
   * those the last run saw within its lookback are counted unchanged and not read again.
   */
  takePage(page: ReadPage, validCount: number, invalid: InvalidRecordReport[]): void {
    const { counts, input } = this;
    if (page.newest !== undefined) {
      this.newestOrder = page.newest;
      this.newestDate = page.newestDate;
    }
    this.readPast += page.pastWatermark;
    if (this.seen && withinLookback(input, page, this.salesRead, this.newestDate)) {
      this.seen.push(...page.orderIds);
      if (this.seen.length > MAX_SEEN) this.seen = undefined;
    }
    this.salesRead += page.salesScanned;
    counts.fetched += page.orderIds.length;
    this.pages++;
    if (page.orderIds.length === 0) return;
    counts.valid += validCount;
    counts.invalid += invalid.length;
    this.invalidRecords.push(...invalid.slice(0, input.reportLimit - this.invalidRecords.length));
    for (const { orderId, customerId, email, reasons } of invalid)
      this.entries.push({ kind: 'invalid', orderId, customerId, email, reasons });
  }

  /** A page's valid records but those an incremental run's watermark saw written (counted unchanged). */
  freshOf(valid: SourceRecord[]): SourceRecord[] {
    const known = new Set(this.incrementalFrom?.seen ?? []);
    if (known.size === 0) return valid;
    const fresh = valid.filter((r) => !known.has(r.orderId));
    this.counts.unchanged += valid.length - fresh.length;
    return fresh;
  }

  /** Whether the history is long enough to continue as new (at a page boundary). */
  historyFull(): boolean {
    const now = workflowInfo();
    return now.continueAsNewSuggested || now.historyLength >= this.input.historyLimit;
  }

  /** The sync's state for the run it continues as, starting at `page`. */
  resumeAt(page: number, join: PageJoin | undefined, listPath?: SyncResume['listPath']): SyncResume {
    const { resume } = this;
    return {
      page,
      pages: this.pages,
      counts: { ...this.counts },
      invalidRecords: this.invalidRecords,
      failedRecords: this.failedRecords,
      skippedRecords: this.skippedRecords,
      samples: this.samples,
      startedAt: this.startedAt.toISOString(),
      ...(this.deadline !== undefined ? { deadline: new Date(this.deadline).toISOString() } : {}),
      productId: this.productId,
      continuations: (resume?.continuations ?? 0) + 1,
      ...(join ? { tail: join.tail, tailOrderIds: join.orderIds } : {}),
      ...(this.newestOrder !== undefined ? { newestOrder: this.newestOrder } : {}),
      ...(this.newestDate !== undefined ? { newestDate: this.newestDate } : {}),
      ...(this.incrementalFrom !== undefined ? { incrementalFrom: this.incrementalFrom } : {}),
      readPast: this.readPast,
      ...(this.inFull ? { inFull: this.inFull } : {}),
      ...(this.destination ? { destination: this.destination } : {}),
      ...(this.destinationReused ? { destinationReused: true } : {}),
      ...(listPath ? { listPath } : {}),
    };
  }

  summarize(status: SyncSummary['status']): SyncSummary {
    const { input, counts, mirror } = this;
    const finishedAt = new Date();
    return {
      campaign: input.campaign,
      productId: this.productId,
      status,
      pages: this.pages,
      ...(this.newestOrder !== undefined ? { newestOrder: this.newestOrder } : {}),
      runs: (this.resume?.continuations ?? 0) + 1,
      dryRun: input.dryRun,
      samples: this.samples,
      resourcesToCreate: this.resourcesToCreate,
      mode: input.mode,
      ...(this.writePath ? { writePath: this.writePath } : {}),
      ...(mirror ? { mirror: mirror.report } : {}),
      ...counts,
      ...(this.destinationRead ? { destinationRead: this.destinationRead } : {}),
      ...listedRecords('invalid', this.invalidRecords, counts.invalid),
      ...listedRecords('failed', this.failedRecords, counts.failed),
      ...listedRecords('skipped', this.skippedRecords, counts.skipped),
      startedAt: this.startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - this.startedAt.getTime(),
      // Last, after the counts people look for first (the Web UI shows a result's beginning).
      ...this.watermarkPart(status),
      ...(input.incremental
        ? {
            incremental: {
              from: this.incrementalFrom ?? null,
              readPast: this.readPast,
              ...(this.inFull ? { inFull: this.inFull } : {}),
            },
          }
        : {}),
    };
  }

  /** Only a completed run that read all it had to (and wrote: no dry run) moves the watermark. */
  private watermarkPart(status: SyncSummary['status']): Pick<SyncSummary, 'watermark'> {
    if (status !== 'completed' || !this.readAll || this.input.dryRun) return {};
    if (this.newestOrder === undefined || !this.newestDate) return {};
    return {
      watermark: {
        order: this.newestOrder,
        date: this.newestDate,
        // A write that failed must be tried again by the next run: nothing is "seen" then.
        ...(this.seen && this.counts.failed === 0 ? { seen: this.seen } : {}),
        ...(this.destination ? { destination: this.destination } : {}),
      },
    };
  }

  /**
   * Hands the report entries gathered so far to history, through one activity's input: each entry
   * is written once, in this run's history (bounded by continue-as-new), where `sync report` reads
   * it during and after the run.
   */
  async flushReport(): Promise<void> {
    this.lastReportFlush = Date.now();
    while (this.entries.length > 0) {
      await quick.recordReportEntries({
        campaign: this.input.campaign,
        entries: this.entries.splice(0, REPORT_BATCH),
      });
    }
  }

  /** Between pages: a hand-over only when enough entries wait, or they have waited long enough. */
  async betweenPages(): Promise<void> {
    this.showDetails();
    const { entries } = this;
    if (
      entries.length >= REPORT_BATCH ||
      (entries.length > 0 && Date.now() - this.lastReportFlush >= REPORT_EVERY_MS)
    ) {
      await this.flushReport();
    }
    this.logProgress();
  }

  logProgress(force = false): void {
    if (!force && Date.now() - this.lastProgressLog < this.progressEveryMs) return;
    this.lastProgressLog = Date.now();
    log.info('campaign sync progress', {
      campaign: this.input.campaign,
      phase: this.phase,
      pages: this.pages,
      ...this.counts,
    });
  }

  /** A person hears of a failed or timed-out run, and of removals waiting for an approval: once each. */
  async notify(
    kind: SyncNotification['kind'],
    facts: Pick<SyncNotification, 'error' | 'removals'>,
  ): Promise<void> {
    const { input, info } = this;
    try {
      await notifier.notifySync({
        kind,
        campaign: input.campaign,
        workflowId: info.workflowId,
        runId: info.runId,
        trigger: input.trigger,
        mode: input.mode,
        pages: this.pages,
        counts: { ...this.counts },
        ...facts,
      });
    } catch (err) {
      log.warn('notification not delivered', { kind, error: innermostMessage(err) });
    }
  }

  /** The failure a run that passed its overall timeout ends with (what it wrote is kept). */
  timeoutFailure(): ApplicationFailure {
    const { input, counts } = this;
    return ApplicationFailure.create({
      type: SyncTimeoutError.name,
      nonRetryable: true,
      message:
        `Sync of ${input.campaign} stopped at its overall timeout (${input.timeout}) after ${this.pages} pages: ` +
        `${counts.created} created, ${counts.updated} updated; what was written is kept. Run it again to go on.`,
    });
  }

  /** Records the stats of a completed run and returns its summary. */
  async complete(): Promise<SyncSummary> {
    this.enter('recording');
    const summary = this.summarize('completed');
    await quick.recordSyncStats(summary);
    this.enter('completed');
    this.endAs('completed');
    this.logProgress(true);
    log.info('campaign sync completed', { campaign: this.input.campaign, pages: this.pages, ...this.counts });
    return summary;
  }

  /**
   * Ends a run that threw: a destination found gone starts the sync again (continue-as-new, looking
   * the group and field up); otherwise what it met so far is recorded and counted, a person is told
   * of a failure or timeout, and the error is thrown on (cancelled, failed or timed out).
   */
  async fail(caught: unknown): Promise<never> {
    const { input } = this;
    // Continuing as new is thrown too (by `continueAsNew`): it is no failure.
    if (caught instanceof ContinueAsNew) throw caught;
    let err = caught;
    if (this.destinationReused && hasCause(err, DestinationGoneError.name)) {
      // The group or field the last run wrote to was deleted: start again, looking them up (and
      // creating what is missing), with this run's input. Nothing it wrote is lost.
      log.warn('campaign sync: the MailerLite group or field is gone; starting again with a look-up', {
        campaign: input.campaign,
        error: innermostMessage(err),
      });
      await this.flushReport().catch(() => undefined);
      return await continueAsNew<(input: SyncOptions) => Promise<SyncSummary>>({
        ...input,
        resume: undefined,
        refreshDestination: true,
      });
    }
    if (this.destinationReused && MAILERLITE_WRITES.has(failedActivity(err) ?? '')) {
      // The run skipped MailerLite's connection check: when a write fails, the check says why in
      // terms of the setting to fix (a wrong token, an unreachable server), if that is the cause.
      try {
        await checkMailerLiteWithinBudget(this.info.taskQueue);
      } catch (checkFailure) {
        err = checkFailure;
      }
    }
    if (isCancellation(err)) {
      // Keep what was written, record the partial stats, then end as cancelled (freeing the lock).
      this.enter('cancelled');
      await CancellationScope.nonCancellable(async () => {
        await this.flushReport();
        await quick.recordSyncStats(this.summarize('cancelled'));
      });
      this.endAs('cancelled');
      throw err;
    }
    this.enter('failed');
    const status = this.timedOut || isTimeout(err) ? 'timed-out' : 'failed';
    // Whatever ended the run, what it met so far stays readable and counted.
    await this.flushReport().catch(() => undefined);
    await quick.recordSyncStats(this.summarize(status)).catch(() => undefined);
    await this.notify(status === 'timed-out' ? 'sync-timed-out' : 'sync-failed', {
      error: innermostMessage(err),
    });
    this.endAs(status);
    throw err;
  }

  /** The run's final state, as the `SyncStatus` search attribute (set just before it returns or throws). */
  private endAs(status: SyncSummary['status']): void {
    upsertSearchAttributes([{ key: SYNC_STATUS, value: status }]);
  }
}

/** The activities that write to MailerLite on the per-buyer paths. */
const MAILERLITE_WRITES = new Set(['mailerliteExchange', 'writeRecordsPage']);

/** The type of the activity whose failure this is, if it is one. */
function failedActivity(err: unknown): string | undefined {
  for (let current: unknown = err; current instanceof Error; current = current.cause) {
    if (current instanceof ActivityFailure) return current.activityType;
  }
  return undefined;
}

/** A failure that is the sync's overall timeout (the page loop's, or the mirror step's wait). */
function isTimeout(err: unknown): boolean {
  return err instanceof ApplicationFailure && err.type === SyncTimeoutError.name;
}
