import {
  CancellationScope,
  CancelledFailure,
  ChildWorkflowFailure,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { syncAllProgressQuery } from '../shared/messages';
import type { Activities } from '../activities';
import { DEFAULT_TIERS } from '../shared/campaign';
import { innermostMessage, NON_RETRYABLE_ERROR_TYPES } from '../shared/errors';
import { syncRunSummary, syncWorkflowId } from '../shared/names';
import { CAMPAIGN_CODE, SYNC_TRIGGER } from '../shared/search-attributes';
import {
  childSyncInput,
  recordCompleted,
  syncAllProgress,
  syncAllTrigger,
  SyncAllInputSchema,
  syncAllTargets,
  type SyncAllCampaignResult,
  type SyncAllInput,
  type SyncAllOptions,
  type SyncAllProgress,
  type SyncAllSummary,
  type SyncAllTarget,
  unstartedSyncStats,
} from '../shared/sync-all';
import { emptyCounts, SyncInputSchema, type SyncInput, type SyncOptions } from '../shared/sync-types';
import { describeZodIssues } from '../shared/schemas';
import { checkConnectionsWithinBudget } from './budgeted-preparation';
import { campaignSync } from './campaign-sync';
import { startChildUnderLock } from './campaign-lock';
import { notifier, quick as stats } from './sync-activities';
import { invalidInput, parseWorkflowInput } from './input';

const { listCampaigns, describeLockHolder, endStorePass } = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
});

/**
 * Syncs every campaign (EDD's album campaigns, or the `campaigns` given): one child `campaignSync`
 * per campaign under its lock ID `campaign-sync-<CODE>`, at most `concurrency` at once. A campaign
 * whose lock is held (a manual or scheduled sync, a transition, a create) is skipped and its
 * holder named; a failed sync is reported with its message and the others go on. Returns every
 * campaign's outcome and the completed syncs' counts added up. Cancelling it cancels the running
 * syncs and waits for them to end (each records what it did), starts no other, and ends CANCELLED;
 * its children's parent close policy (REQUEST_CANCEL) covers a termination too.
 *
 * History: about ten events a campaign, and at most 500 campaigns a run (the input schema), so a
 * run stays far below Temporal's limits without continuing as new.
 */
export async function syncAllCampaigns(rawInput: SyncAllInput = {}): Promise<SyncAllSummary> {
  const options: SyncAllOptions = parseWorkflowInput(SyncAllInputSchema, rawInput, 'sync all');
  const info = workflowInfo();
  const run = new SyncAllRun(options);
  setHandler(syncAllProgressQuery, () => run.progress());

  const targets = await discover(options);
  // One pass over EDD's sales list for every campaign: a page one campaign's sync read is kept on
  // its worker and read from there by the others (store-pass.ts), so the store is read once, not
  // once a campaign. Both connections are checked here, once, instead of by each sync.
  const storePass = `sync-all:${info.runId}`;
  const inputs = targets.map((target) => ({
    ...childSyncInput(options, target, info.workflowId),
    storePass,
  }));
  checkChildInputs(inputs);
  if (targets.length > 0) {
    try {
      await checkConnectionsWithinBudget(info.taskQueue);
    } catch (err) {
      // No campaign's sync starts: each is a failed sync a person must hear of, as its own failed
      // check would have been (webhook, and the failed-runs metric behind CampaignSyncFailing).
      await reportUnstarted(inputs, err);
      throw err;
    }
  }
  run.start(targets);
  log.info('sync all started', { campaigns: targets.length, concurrency: options.concurrency });

  // `concurrency` lanes, each taking the next campaign when its last one has finished.
  let next = 0;
  const lane = async () => {
    while (next < targets.length) {
      const index = next++;
      await run.syncOne(run.results[index]!, inputs[index]!);
    }
  };
  try {
    // Every lane settles before the run ends: when it is cancelled, its running syncs have ended
    // (cancelled, their stats recorded) by the time it closes, and none outlives it.
    const lanes = await Promise.allSettled(
      Array.from({ length: Math.min(options.concurrency, targets.length) }, lane),
    );
    const failed = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
    if (failed) throw failed.reason;
  } finally {
    // The pass's windows, on the worker that answers (others delete theirs after an idle hour, or
    // at exit), whether the run completed, failed or was cancelled.
    await CancellationScope.nonCancellable(() =>
      endStorePass({ storePass }).catch((err: unknown) =>
        log.warn('sync all: the pass over the store was not cleared', { error: innermostMessage(err) }),
      ),
    );
  }
  const summary = run.summary();
  log.info('sync all finished', {
    campaigns: summary.total,
    completed: summary.completed,
    skipped: summary.skipped,
    failed: summary.failed,
    cancelled: summary.cancelled,
    maxConcurrent: summary.maxConcurrent,
  });
  return summary;
}

/** A `sync all` run's state: each campaign's outcome, the syncs running, the counts so far. */
class SyncAllRun {
  private readonly startedAt = new Date();
  readonly results: SyncAllCampaignResult[] = [];
  private readonly running = new Set<string>();
  private readonly totals = emptyCounts();
  private phase: SyncAllProgress['phase'] = 'discovering';
  private maxConcurrent = 0;

  constructor(private readonly options: SyncAllOptions) {}

  progress(): SyncAllProgress {
    return syncAllProgress({
      phase: this.phase,
      concurrency: this.options.concurrency,
      maxConcurrent: this.maxConcurrent,
      startedAt: this.startedAt.toISOString(),
      totals: this.totals,
      results: this.results,
      running: this.running,
    });
  }

  start(targets: SyncAllTarget[]): void {
    for (const target of targets) {
      this.results.push({ ...target, workflowId: syncWorkflowId(target.campaign), status: 'pending' });
    }
    this.phase = 'syncing';
  }

  /** Starts one campaign's sync under its lock ID (skipped when the lock is held) and waits for it. */
  async syncOne(result: SyncAllCampaignResult, input: SyncInput): Promise<void> {
    const child = await startChildUnderLock(campaignSync, {
      workflowId: result.workflowId,
      args: [input],
      staticSummary: syncRunSummary({ ...input, campaign: result.campaign }),
      typedSearchAttributes: [
        { key: CAMPAIGN_CODE, value: result.campaign },
        { key: SYNC_TRIGGER, value: input.trigger! },
      ],
    });
    if (!child) {
      result.holder = await describeLockHolder({ campaign: result.campaign });
      result.status = 'skipped';
      log.info('sync all: campaign skipped, its lock is held', {
        campaign: result.campaign,
        ...result.holder,
      });
      return;
    }
    result.status = 'running';
    result.runId = child.firstExecutionRunId;
    result.startedAt = new Date().toISOString();
    this.running.add(result.campaign);
    this.maxConcurrent = Math.max(this.maxConcurrent, this.running.size);
    try {
      recordCompleted(result, await child.result(), this.totals);
    } catch (err) {
      // This run's own cancellation ends it: its running children are cancelled with it (each
      // stops after its activities in flight and records what it did), and it waits for them.
      if (CancellationScope.current().consideredCancelled) {
        result.status = 'cancelled';
        result.error = 'cancelled with the sync of all campaigns';
        throw err;
      }
      result.status =
        err instanceof ChildWorkflowFailure && err.cause instanceof CancelledFailure ? 'cancelled' : 'failed';
      result.error = innermostMessage(err);
      log.warn('sync all: a campaign sync did not complete', {
        campaign: result.campaign,
        status: result.status,
        error: result.error,
      });
    } finally {
      result.finishedAt = new Date().toISOString();
      this.running.delete(result.campaign);
    }
  }

  summary(): SyncAllSummary {
    this.phase = 'completed';
    const finishedAt = new Date();
    const { phase: _phase, running: _running, done: _done, ...rest } = this.progress();
    return {
      ...rest,
      mode: (this.options.sync.mode as SyncOptions['mode'] | undefined) ?? 'upsert',
      dryRun: this.options.sync.dryRun === true,
      campaigns: this.results,
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - this.startedAt.getTime(),
    };
  }
}

/** The campaigns given, or every campaign EDD's album products give (each code once). */
async function discover(options: SyncAllOptions): Promise<SyncAllTarget[]> {
  const given = syncAllTargets(options.campaigns);
  if (given) return given;
  const tiers = Array.isArray(options.sync.tiers) ? (options.sync.tiers as string[]) : [...DEFAULT_TIERS];
  const listed = await listCampaigns({ tiers });
  const seen = new Set<string>();
  return listed.flatMap(({ campaign, productId }) => {
    if (seen.has(campaign)) return [];
    seen.add(campaign);
    return [{ campaign, productId }];
  });
}

/** Every child's input must be valid before any child starts: a bad option fails the run at once. */
function checkChildInputs(inputs: SyncInput[]): void {
  const issues = inputs.flatMap((input) => {
    const parsed = SyncInputSchema.safeParse(input);
    return parsed.success ? [] : describeZodIssues(parsed.error).map((i) => `${input.campaign}: ${i}`);
  });
  if (issues.length === 0) return;
  throw invalidInput(`Invalid sync options for sync all: ${issues.slice(0, 10).join('; ')}`, issues);
}

/**
 * The connection check failed before any campaign's sync started: for each campaign, the failure
 * notification and failed-run stats its sync would have sent (so the alerts that count failed
 * syncs see them). A notification that cannot be delivered does not hide the failure.
 */
async function reportUnstarted(inputs: SyncInput[], err: unknown): Promise<void> {
  const info = workflowInfo();
  const reason = innermostMessage(err);
  await Promise.all(
    inputs.map(async (input) => {
      const mode = input.mode ?? 'upsert';
      await notifier
        .notifySync({
          kind: 'sync-failed',
          campaign: input.campaign,
          workflowId: info.workflowId,
          runId: info.runId,
          trigger: input.trigger ?? syncAllTrigger(info.workflowId),
          mode,
          error: reason,
          notStarted: true,
          pages: 0,
          counts: emptyCounts(),
        })
        .catch(() => undefined);
      await stats
        .recordSyncStats(unstartedSyncStats(input, info.startTime, new Date()))
        .catch(() => undefined);
    }),
  );
}
