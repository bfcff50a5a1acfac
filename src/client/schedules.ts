import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  WorkflowNotFoundError,
  type Client,
  type ScheduleDescription,
  type ScheduleHandle,
  type ScheduleOverlapPolicy,
} from '@temporalio/client';
import { InvalidInputError } from '../shared/errors';
import {
  parseSyncScheduleId,
  scheduleKind,
  SYNC_ALL_SCHEDULE_ID,
  syncScheduleId,
  syncWorkflowId,
  type ScheduleKind,
} from '../shared/names';
import type {
  LockHolder,
  ScheduledSyncAllResult,
  ScheduledSyncResult,
  ScheduleTiming,
} from '../shared/provisioning';
import type { SyncAllInput, SyncAllSummary } from '../shared/sync-all';
import {
  buildSyncAllSchedule,
  buildSyncSchedule,
  cleanTiming,
  describeTiming,
  SCHEDULE_OVERLAP,
  scheduleStateNote,
  scheduleTimingProblem,
  type ScheduleSettings,
} from '../shared/sync-schedule';
import type { SyncCounts, SyncInput, SyncProgress, SyncSummary } from '../shared/sync-types';
import { checkSyncAllInput } from './sync-all';
import { checkSyncInput } from '../temporal/sync-start';
import { failureMessage } from './sync-status';
import type { SyncOptionValues } from './sync-options';
import { syncProgressQuery } from '../shared/messages';

/**
 * Which schedule: a campaign's `full` or `incremental` one, or the one schedule that syncs
 * `all-campaigns` (its campaign is {@link ALL_CAMPAIGNS}).
 */
export type ScheduleScope = ScheduleKind | 'all-campaigns';

/** The campaign of the all-campaigns schedule in views and listings. */
export const ALL_CAMPAIGNS = '*';

/** The schedule's ID. */
export function scopeScheduleId(campaign: string, scope: ScheduleScope): string {
  return scope === 'all-campaigns' ? SYNC_ALL_SCHEDULE_ID : syncScheduleId(campaign, scope);
}

/** What a command names the schedule with: `2024_ETB_NBL`, `2024_ETB_NBL --incremental`, `--all-campaigns`. */
export function scheduleArgs(campaign: string, scope: ScheduleScope): string {
  if (scope === 'all-campaigns') return '--all-campaigns';
  return `${campaign}${scope === 'incremental' ? ' --incremental' : ''}`;
}

/** `--incremental` when the kind is incremental: what a command names such a schedule with. */
function kindFlag(kind: ScheduleKind): string {
  return kind === 'incremental' ? ' --incremental' : '';
}

/** `an incremental sync schedule` or `a sync schedule`. */
function scheduleWords(kind: ScheduleKind): string {
  return kind === 'incremental' ? 'an incremental sync schedule' : 'a sync schedule';
}

/** A campaign's schedule of one kind (or the all-campaigns one) that a command needed absent or present. */
abstract class ScheduleLookupError extends Error {
  constructor(
    message: string,
    readonly campaign: string,
    readonly scheduleId: string,
    readonly kind: ScheduleScope,
  ) {
    super(message);
  }
}

/** The campaign already has a sync schedule of that kind. */
export class ScheduleExistsError extends ScheduleLookupError {
  constructor(campaign: string, scheduleId: string, kind: ScheduleScope = 'full') {
    super(
      kind === 'all-campaigns'
        ? `The schedule of all campaigns exists already (${scheduleId}). See 'campaign-sync schedule describe --all-campaigns'; ` +
            "change it with 'campaign-sync schedule update --all-campaigns'."
        : `Campaign ${campaign} already has ${scheduleWords(kind)} (${scheduleId}). See 'campaign-sync schedule describe ${campaign}${kindFlag(kind)}'; ` +
            `delete it first to create another.` +
            (kind === 'full'
              ? ' (A campaign can also have one incremental schedule beside it: create it with --incremental.)'
              : ''),
      campaign,
      scheduleId,
      kind,
    );
    this.name = 'ScheduleExistsError';
  }
}

/** The campaign has no sync schedule of that kind. */
export class ScheduleMissingError extends ScheduleLookupError {
  constructor(campaign: string, scheduleId: string, kind: ScheduleScope = 'full') {
    super(
      kind === 'all-campaigns'
        ? `There is no schedule of all campaigns (${scheduleId}). Create it with 'campaign-sync schedule create --all-campaigns --every <interval>' (or --cron).`
        : `Campaign ${campaign} has ${kind === 'incremental' ? 'no incremental sync schedule' : 'no sync schedule'} (${scheduleId}). Create one with 'campaign-sync schedule create ${campaign}${kindFlag(kind)} --every <interval>' (or --cron).`,
      campaign,
      scheduleId,
      kind,
    );
    this.name = 'ScheduleMissingError';
  }
}

export interface ScheduleCreateRequest {
  campaign: string;
  timing: ScheduleTiming;
  /** Options of every scheduled sync (mode, dryRun, productId, timeout, ...). */
  sync?: SyncOptionValues & { productId?: number };
  note?: string;
  paused?: boolean;
  /** Recorded in the schedule's memo. Default `cli`. */
  createdBy?: string;
}

/** Runs `fn` against the campaign's schedule; a missing schedule becomes {@link ScheduleMissingError}. */
async function onSchedule<T>(
  client: Client,
  campaign: string,
  kind: ScheduleScope,
  fn: (handle: ScheduleHandle) => Promise<T>,
): Promise<T> {
  const scheduleId = scopeScheduleId(campaign, kind);
  try {
    return await fn(client.schedule.getHandle(scheduleId));
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) throw new ScheduleMissingError(campaign, scheduleId, kind);
    throw err;
  }
}

/**
 * The options a campaign's schedule would be created with, checked: the timing (exactly one of an
 * interval and a five-field cron expression, in range) and every sync option, so a mistake is
 * reported (exit 2) before anything reaches the server.
 */
export function checkScheduleRequest(request: ScheduleCreateRequest, taskQueue: string) {
  const problem = scheduleTimingProblem(request.timing);
  if (problem) throw new InvalidInputError(`Invalid schedule: ${problem}`, [problem]);
  const options = buildSyncSchedule({
    campaign: request.campaign,
    timing: request.timing,
    taskQueue,
    args: { ...(request.sync ?? {}), campaign: request.campaign },
    createdBy: request.createdBy ?? 'cli',
    ...(request.note !== undefined ? { note: request.note } : {}),
    ...(request.paused ? { paused: true } : {}),
  });
  checkSyncInput(options.action.args![0] as SyncInput);
  return options;
}

/**
 * Creates a campaign's sync schedule (`schedule create`), exactly as `campaign create --every/--cron`
 * does (both build it with `buildSyncSchedule`): overlap SKIP, catch-up window 10 minutes, the
 * launcher as its action. An existing schedule is not changed: {@link ScheduleExistsError}.
 */
export async function createSyncSchedule(
  client: Client,
  taskQueue: string,
  request: ScheduleCreateRequest,
): Promise<ScheduleView> {
  const options = checkScheduleRequest(request, taskQueue);
  try {
    await client.schedule.create(options);
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning)
      throw new ScheduleExistsError(request.campaign, options.scheduleId, scheduleKind(request.sync ?? {}));
    // The server's refusal of the spec (e.g. a cron field it cannot parse).
    if (err instanceof TypeError)
      throw new InvalidInputError(`Invalid schedule: ${err.message}`, [err.message]);
    throw err;
  }
  return describeSyncSchedule(client, request.campaign, {
    results: false,
    kind: scheduleKind(request.sync ?? {}),
  });
}

/** What the all-campaigns schedule is created with (`schedule create --all-campaigns`). */
export interface AllCampaignsScheduleRequest {
  timing: ScheduleTiming;
  /** Options of every campaign's sync (mode, dryRun, timeout, ...). */
  sync?: SyncOptionValues;
  /** Campaigns synced at once (default 2, as `sync all`). */
  concurrency?: number;
  note?: string;
  paused?: boolean;
  createdBy?: string;
}

/** The all-campaigns schedule's options, checked as `schedule create` and `sync all` check theirs. */
export function checkAllCampaignsScheduleRequest(
  request: AllCampaignsScheduleRequest,
  taskQueue: string,
  opts: { lockWorkflowId?: string } = {},
) {
  const problem = scheduleTimingProblem(request.timing);
  if (problem) throw new InvalidInputError(`Invalid schedule: ${problem}`, [problem]);
  const options = buildSyncAllSchedule({
    timing: request.timing,
    taskQueue,
    options: {
      ...(request.concurrency !== undefined ? { concurrency: request.concurrency } : {}),
      sync: { ...(request.sync ?? {}) },
    },
    createdBy: request.createdBy ?? 'cli',
    ...(request.note !== undefined ? { note: request.note } : {}),
    ...(request.paused ? { paused: true } : {}),
    ...(opts.lockWorkflowId ? { lockWorkflowId: opts.lockWorkflowId } : {}),
  });
  const { lockWorkflowId: _lock, ...input } = options.action.args![0] as SyncAllInput & {
    lockWorkflowId?: string;
  };
  checkSyncAllInput(input);
  return options;
}

/**
 * Creates the schedule that syncs every campaign: each run is a `sync all` of the campaigns EDD
 * gives at that time. `lockWorkflowId` is for tests sharing a server.
 */
export async function createAllCampaignsSchedule(
  client: Client,
  taskQueue: string,
  request: AllCampaignsScheduleRequest,
  opts: { lockWorkflowId?: string } = {},
): Promise<ScheduleView> {
  const options = checkAllCampaignsScheduleRequest(request, taskQueue, opts);
  try {
    await client.schedule.create(options);
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning)
      throw new ScheduleExistsError(ALL_CAMPAIGNS, options.scheduleId, 'all-campaigns');
    if (err instanceof TypeError)
      throw new InvalidInputError(`Invalid schedule: ${err.message}`, [err.message]);
    throw err;
  }
  return describeSyncSchedule(client, ALL_CAMPAIGNS, { results: false, kind: 'all-campaigns' });
}

/** A schedule run (a launcher run) and what came of it. */
export interface ScheduleActionView {
  scheduledAt: string;
  takenAt: string;
  workflowId: string;
  runId: string;
  /**
   * `completed` (the sync ran: `summary`), `skipped` (the campaign was locked: `holder`), `running`
   * (with the sync's `progress`), `failed` (`error`), `cancelled`, `terminated`, `timed-out`, or
   * `unknown` (its history is gone).
   */
  status:
    'completed' | 'skipped' | 'running' | 'failed' | 'cancelled' | 'terminated' | 'timed-out' | 'unknown';
  summary?: Pick<SyncSummary, 'status' | 'pages' | 'runs' | 'durationMs' | 'dryRun' | 'mode'> & SyncCounts;
  /** The all-campaigns schedule's completed run: how many campaigns, and their counts added up. */
  allSummary?: Pick<
    SyncAllSummary,
    'total' | 'completed' | 'skipped' | 'failed' | 'cancelled' | 'totals' | 'durationMs' | 'dryRun' | 'mode'
  > & { campaigns: { campaign: string; status: string }[] };
  holder?: LockHolder;
  progress?: SyncProgress;
  error?: string;
}

/** What `schedule describe` shows. */
export interface ScheduleView {
  campaign: string;
  /**
   * A schedule of full syncs or of incremental ones (a campaign can have one of each), or the
   * schedule of all campaigns (`campaign` is `*`).
   */
  kind: ScheduleScope;
  scheduleId: string;
  /** As given at creation (from the memo), when known. */
  timing?: ScheduleTiming;
  /** The spec in words: `every 1h`, `cron "0 * * * *" (UTC)`, or the server's calendar. */
  spec: string;
  paused: boolean;
  /** The person's note: what the schedule is for (kept by pauses and unpauses). */
  note?: string;
  /** The last pause or unpause by a person: who, when and why. */
  pause?: ScheduleSettings['pause'];
  createdBy?: string;
  createdAt: string;
  /** When the schedule was last changed (an update, a pause or unpause), and who last updated it. */
  updatedAt?: string;
  updatedBy?: string;
  taskQueue: string;
  overlap: string;
  catchupWindowMs: number;
  /** The options of every scheduled sync (the launcher's input; for all campaigns, its `sync`). */
  sync: SyncInput;
  /** The all-campaigns schedule: campaigns synced at once. */
  concurrency?: number;
  nextActionTimes: string[];
  numActionsTaken: number;
  numActionsSkippedOverlap: number;
  numActionsMissedCatchupWindow: number;
  /** Launcher runs going on now. */
  running: { workflowId: string; runId: string }[];
  /** The latest actions (oldest first), each with its result. */
  recent: ScheduleActionView[];
}

function specText(
  description: Pick<ScheduleDescription, 'spec'>,
  timing: ScheduleTiming | undefined,
): string {
  if (timing) return describeTiming(timing);
  const { intervals = [], calendars = [] } = description.spec;
  if (intervals.length > 0) return intervals.map((i) => `every ${i.every / 1000} s`).join(', ');
  return calendars.length > 0 ? `${calendars.length} calendar spec(s)` : 'no times';
}

function timingOf(memo: Record<string, unknown> | undefined): ScheduleTiming | undefined {
  const timing = memo?.timing as ScheduleTiming | undefined;
  return timing && (timing.every !== undefined || timing.cron !== undefined) ? timing : undefined;
}

/**
 * A schedule's {@link ScheduleSettings}: from its action's memo, where `schedule update` keeps them;
 * for a schedule made elsewhere (the Web UI, another tool), what its memo, input and note give.
 */
export function settingsOf(
  d: Pick<ScheduleDescription, 'memo' | 'action' | 'state'>,
): Partial<ScheduleSettings> & { note: string; options: Record<string, unknown> } {
  const kept = (d.action.type === 'startWorkflow' ? d.action.memo?.settings : undefined) as
    ScheduleSettings | undefined;
  if (kept && timingOf(kept as unknown as Record<string, unknown>) && typeof kept.note === 'string')
    return kept;
  const args = (d.action.type === 'startWorkflow' ? d.action.args?.[0] : undefined) as
    Record<string, unknown> | undefined;
  const { campaign: _campaign, ...options } = args ?? {};
  const timing = timingOf(d.memo);
  return { ...(timing ? { timing } : {}), options, note: d.state.note ?? '' };
}

/**
 * A campaign's sync schedule: spec, policies, paused state and note, the sync options, the next
 * action times and the recent actions with their results (the launcher's result: the sync's
 * summary, or `skipped` with the lock's holder; a running one with the sync's progress).
 */
export async function describeSyncSchedule(
  client: Client,
  campaign: string,
  opts: { results?: boolean; kind?: ScheduleScope } = {},
): Promise<ScheduleView> {
  const kind = opts.kind ?? 'full';
  const d = await onSchedule(client, campaign, kind, (handle) => handle.describe());
  const settings = settingsOf(d);
  const timing = settings.timing;
  const createdBy = d.memo?.createdBy;
  const recent = d.info.recentActions.map((a) => ({
    scheduledAt: a.scheduledAt.toISOString(),
    takenAt: a.takenAt.toISOString(),
    workflowId: a.action.workflow.workflowId,
    runId: a.action.workflow.firstExecutionRunId,
  }));
  return {
    campaign,
    kind,
    scheduleId: d.scheduleId,
    ...(timing ? { timing } : {}),
    spec: specText(d, timing),
    paused: d.state.paused,
    ...(settings.note ? { note: settings.note } : {}),
    ...(settings.pause ? { pause: settings.pause } : {}),
    ...(typeof createdBy === 'string' ? { createdBy } : {}),
    createdAt: d.info.createdAt.toISOString(),
    ...(d.info.lastUpdatedAt ? { updatedAt: d.info.lastUpdatedAt.toISOString() } : {}),
    ...(settings.updatedBy ? { updatedBy: settings.updatedBy } : {}),
    taskQueue: d.action.taskQueue,
    overlap: d.policies.overlap ?? 'SKIP',
    catchupWindowMs: d.policies.catchupWindow,
    ...launcherInput(d, kind),
    nextActionTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
    numActionsTaken: d.info.numActionsTaken,
    numActionsSkippedOverlap: d.info.numActionsSkippedOverlap,
    numActionsMissedCatchupWindow: d.info.numActionsMissedCatchupWindow,
    running: d.info.runningActions.map((a) => ({
      workflowId: a.workflow.workflowId,
      runId: a.workflow.firstExecutionRunId,
    })),
    recent:
      opts.results === false
        ? recent.map((a) => ({ ...a, status: 'unknown' as const }))
        : await Promise.all(
            recent.map(async (a) => ({ ...a, ...(await launcherOutcome(client, campaign, a, kind)) })),
          ),
  };
}

/** The options of every scheduled sync, from the launcher's input. */
function launcherInput(
  d: Pick<ScheduleDescription, 'action'>,
  kind: ScheduleScope,
): Pick<ScheduleView, 'sync' | 'concurrency'> {
  const args: unknown = (d.action.type === 'startWorkflow' ? d.action.args?.[0] : undefined) ?? {};
  if (kind !== 'all-campaigns') return { sync: args as SyncInput };
  const input = args as SyncAllInput;
  return {
    sync: (input.sync ?? {}) as SyncInput,
    ...(input.concurrency !== undefined ? { concurrency: input.concurrency } : {}),
  };
}

/** What came of one launcher run (its result, or its state while it runs). */
export async function launcherOutcome(
  client: Client,
  campaign: string,
  run: { workflowId: string; runId: string },
  kind: ScheduleScope = 'full',
): Promise<Pick<ScheduleActionView, 'status' | 'summary' | 'allSummary' | 'holder' | 'progress' | 'error'>> {
  const handle = client.workflow.getHandle(run.workflowId, run.runId);
  let status: string;
  try {
    status = (await handle.describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { status: 'unknown' };
    throw err;
  }
  switch (status) {
    case 'RUNNING': {
      if (kind === 'all-campaigns') return { status: 'running' };
      const progress = await syncProgressUnder(client, campaign, run.workflowId);
      return { status: 'running', ...(progress ? { progress } : {}) };
    }
    case 'COMPLETED': {
      if (kind === 'all-campaigns') {
        const all = (await handle.result()) as ScheduledSyncAllResult;
        if (all.status === 'skipped') return { status: 'skipped', holder: all.holder };
        return {
          status: 'completed',
          allSummary: {
            total: all.total,
            completed: all.completed,
            skipped: all.skipped,
            failed: all.failed,
            cancelled: all.cancelled,
            totals: all.totals,
            durationMs: all.durationMs,
            dryRun: all.dryRun,
            mode: all.mode,
            campaigns: all.campaigns.map((c) => ({ campaign: c.campaign, status: c.status })),
          },
        };
      }
      const result = (await handle.result()) as ScheduledSyncResult;
      if (result.status === 'skipped') return { status: 'skipped', holder: result.holder };
      const rest = result;
      return {
        status: 'completed',
        summary: {
          status: rest.status,
          pages: rest.pages,
          runs: rest.runs,
          durationMs: rest.durationMs,
          dryRun: rest.dryRun,
          mode: rest.mode,
          fetched: rest.fetched,
          valid: rest.valid,
          invalid: rest.invalid,
          created: rest.created,
          updated: rest.updated,
          unchanged: rest.unchanged,
          superseded: rest.superseded,
          skipped: rest.skipped,
          failed: rest.failed,
          removed: rest.removed,
        },
      };
    }
    case 'FAILED':
      return {
        status: 'failed',
        error: await handle.result().then(
          () => 'failed',
          (err: unknown) => failureMessage(err),
        ),
      };
    case 'CANCELED':
    case 'CANCELLED':
      return { status: 'cancelled' };
    case 'TERMINATED':
      return { status: 'terminated' };
    case 'TIMED_OUT':
      return { status: 'timed-out' };
    default:
      return { status: 'unknown' };
  }
}

/** The progress of the campaign's sync when the given launcher runs it (within a few seconds). */
async function syncProgressUnder(
  client: Client,
  campaign: string,
  launcherId: string,
): Promise<SyncProgress | undefined> {
  const sync = client.workflow.getHandle(syncWorkflowId(campaign));
  try {
    const d = await sync.describe();
    if (d.status.name !== 'RUNNING' || d.parentExecution?.workflowId !== launcherId) return undefined;
    return await client.withDeadline(Date.now() + 3000, () =>
      client.workflow.getHandle(d.workflowId, d.runId).query(syncProgressQuery),
    );
  } catch {
    return undefined;
  }
}

/** One line of `schedule list`. */
export interface ScheduleListing {
  /** The campaign, or `*` for the schedule of all campaigns. */
  campaign: string;
  kind: ScheduleScope;
  scheduleId: string;
  spec: string;
  paused: boolean;
  /** The person's note. */
  note?: string;
  /** The last pause or unpause by a person. */
  pause?: ScheduleSettings['pause'];
  nextActionAt?: string;
  lastActionAt?: string;
  lastWorkflowId?: string;
  /** What came of the latest run (the launcher's result, or its state while it runs). */
  last?: ScheduleActionView;
}

/**
 * Every campaign sync schedule (IDs `campaign-sync-schedule-<CODE>[-incremental]`) and the
 * schedule of all campaigns, by ID, each described (its timing, note and pause as set, its next
 * run) with what came of its latest run. The listing the IDs come from is eventually consistent: a
 * schedule created a moment ago may not be listed yet.
 */
export async function listSyncSchedules(client: Client): Promise<ScheduleListing[]> {
  const ids: { scheduleId: string; campaign: string; kind: ScheduleScope }[] = [];
  for await (const s of client.schedule.list()) {
    const id = parseSyncScheduleId(s.scheduleId);
    if (id) ids.push({ scheduleId: s.scheduleId, ...id });
    else if (s.scheduleId === SYNC_ALL_SCHEDULE_ID)
      ids.push({ scheduleId: s.scheduleId, campaign: ALL_CAMPAIGNS, kind: 'all-campaigns' });
  }
  const listings = await Promise.all(
    ids.map(async ({ scheduleId, campaign, kind }): Promise<ScheduleListing | undefined> => {
      let d: ScheduleDescription;
      try {
        d = await client.schedule.getHandle(scheduleId).describe();
      } catch (err) {
        if (err instanceof ScheduleNotFoundError) return undefined;
        throw err;
      }
      const settings = settingsOf(d);
      const latest = d.info.recentActions.at(-1);
      const next = d.info.nextActionTimes[0];
      const run = latest && {
        scheduledAt: latest.scheduledAt.toISOString(),
        takenAt: latest.takenAt.toISOString(),
        workflowId: latest.action.workflow.workflowId,
        runId: latest.action.workflow.firstExecutionRunId,
      };
      return {
        campaign,
        kind,
        scheduleId,
        spec: specText(d, settings.timing),
        paused: d.state.paused,
        ...(settings.note ? { note: settings.note } : {}),
        ...(settings.pause ? { pause: settings.pause } : {}),
        ...(next ? { nextActionAt: next.toISOString() } : {}),
        ...(run
          ? {
              lastActionAt: run.takenAt,
              lastWorkflowId: run.workflowId,
              last: { ...run, ...(await launcherOutcome(client, campaign, run, kind)) },
            }
          : {}),
      };
    }),
  );
  return listings
    .filter((l): l is ScheduleListing => l !== undefined)
    .sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

/** What `schedule pause` and `schedule unpause` did. */
export interface PauseOutcome {
  campaign: string;
  kind: ScheduleScope;
  paused: boolean;
  /** Whether it was paused (or unpaused) already: then nothing was changed. */
  already: boolean;
  /** The person's note, kept. */
  note: string;
  pause: NonNullable<ScheduleSettings['pause']>;
}

/**
 * Pauses or unpauses the campaign's schedule, keeping its note (what the schedule is for): the
 * pause is recorded beside it (who, when, and the reason given), and the note Temporal shows says
 * who paused it and why while it is paused. One update with the schedule's conflict token, so a
 * change made by someone in between is not overwritten (the update fails instead). Pausing a
 * paused schedule (or unpausing an active one) changes nothing. Running syncs go on.
 */
export async function setSyncSchedulePaused(
  client: Client,
  campaign: string,
  change: { paused: boolean; by: string; reason?: string; kind?: ScheduleScope; at?: Date },
): Promise<PauseOutcome> {
  const kind = change.kind ?? 'full';
  const pause = {
    paused: change.paused,
    by: change.by,
    at: (change.at ?? new Date()).toISOString(),
    ...(change.reason ? { reason: change.reason } : {}),
  };
  let outcome: PauseOutcome | undefined;
  const unchanged = new Error('unchanged');
  await onSchedule(client, campaign, kind, (handle) =>
    handle.update((previous) => {
      const settings = settingsOf(previous);
      const already = previous.state.paused === change.paused;
      outcome = {
        campaign,
        kind,
        paused: change.paused,
        already,
        note: settings.note,
        pause: already && settings.pause?.paused === change.paused ? settings.pause : pause,
      };
      // Nothing to write: the schedule (and its conflict token, which health watches) stays as it is.
      if (already) throw unchanged;
      const next = { ...settings, pause };
      return {
        ...previous,
        action: { ...previous.action, memo: { ...(previous.action.memo ?? {}), settings: next } },
        state: { ...previous.state, paused: change.paused, note: scheduleStateNote(next) },
      };
    }),
  ).catch((err: unknown) => {
    if (err !== unchanged) throw err;
  });
  return outcome!;
}

/** What `schedule update` changes; what is not given is kept. */
export interface ScheduleUpdateRequest {
  /** The campaign (`*` for the schedule of all campaigns). */
  campaign: string;
  kind?: ScheduleScope;
  /** A new timing (`every` or `cron`, with a cron's `timezone`). */
  timing?: ScheduleTiming;
  /** Only a new time zone for the schedule's cron. */
  timezone?: string;
  /** Sync options to set; the others stay as they are unless `resetOptions`. */
  sync?: SyncOptionValues & { productId?: number };
  /** The all-campaigns schedule: campaigns synced at once. */
  concurrency?: number;
  /** The sync options become exactly `sync` (the rest back to the defaults). */
  resetOptions?: boolean;
  note?: string;
  /** Who updates it (recorded). */
  by: string;
}

/** The new timing of an update: what it gives, over the schedule's own. */
function updatedTiming(current: ScheduleTiming | undefined, request: ScheduleUpdateRequest): ScheduleTiming {
  const base = request.timing ?? current;
  if (!base)
    throw new InvalidInputError(
      'this schedule was not made by campaign-sync (its timing is unknown): give --every or --cron',
    );
  if (request.timezone === undefined) {
    // A new cron keeps the zone the schedule had unless one is given with it.
    if (request.timing?.cron !== undefined && current?.cron !== undefined && current.timezone)
      return { ...request.timing, timezone: current.timezone };
    return base;
  }
  if (base.every !== undefined)
    throw new InvalidInputError(
      `--timezone applies to --cron only: this schedule runs every ${base.every}; give --cron "..." with it`,
    );
  return { ...base, timezone: request.timezone };
}

interface Rebuilt {
  timing: ScheduleTiming;
  note: string;
  createdBy: string;
}

/** A campaign's schedule as the update leaves it: the options kept, with those given over them. */
function updatedCampaign(
  previous: ScheduleDescription,
  current: Record<string, unknown>,
  request: ScheduleUpdateRequest,
  rebuilt: Rebuilt,
) {
  const kind = request.kind ?? 'full';
  const { trigger, ...kept } = current;
  // The kind is the schedule's (its ID says it): an update never turns one into the other.
  const { incremental: _incremental, ...given } = request.sync ?? {};
  const options = {
    ...(request.resetOptions ? {} : kept),
    ...given,
    ...(kind === 'incremental' ? { incremental: true } : {}),
    ...(typeof trigger === 'string' ? { trigger } : {}),
  };
  return checkScheduleRequest(
    { campaign: request.campaign, ...rebuilt, sync: options },
    previous.action.taskQueue,
  );
}

/** The all-campaigns schedule as the update leaves it. */
function updatedAllCampaigns(
  previous: ScheduleDescription,
  current: Record<string, unknown>,
  request: ScheduleUpdateRequest,
  rebuilt: Rebuilt,
) {
  const kept = (current.sync ?? {}) as SyncOptionValues;
  const concurrency = request.concurrency ?? (request.resetOptions ? undefined : current.concurrency);
  const args = (previous.action.args?.[0] ?? {}) as { lockWorkflowId?: string };
  return checkAllCampaignsScheduleRequest(
    {
      ...rebuilt,
      sync: { ...(request.resetOptions ? {} : kept), ...(request.sync ?? {}) },
      ...(typeof concurrency === 'number' ? { concurrency } : {}),
    },
    previous.action.taskQueue,
    args.lockWorkflowId ? { lockWorkflowId: args.lockWorkflowId } : {},
  );
}

/**
 * Changes a campaign's schedule in place (`schedule update`): its timing, its syncs' options and
 * its note; what is not given is kept, and so are its paused state, its ID and its history (the
 * actions taken, the recent runs). Built as `schedule create` builds a schedule, and checked the
 * same way. Returns the schedule as it is afterwards.
 */
export async function updateSyncSchedule(
  client: Client,
  request: ScheduleUpdateRequest,
): Promise<{ before: ScheduleView; after: ScheduleView }> {
  const kind = request.kind ?? 'full';
  const before = await describeSyncSchedule(client, request.campaign, { kind, results: false });
  await onSchedule(client, request.campaign, kind, (handle) =>
    handle.update((previous) => {
      const settings = settingsOf(previous);
      const timing = cleanTiming(updatedTiming(settings.timing, request));
      const note = request.note ?? settings.note;
      const createdBy = typeof previous.memo?.createdBy === 'string' ? previous.memo.createdBy : 'cli';
      const built =
        kind === 'all-campaigns'
          ? updatedAllCampaigns(previous, settings.options, request, { timing, note, createdBy })
          : updatedCampaign(previous, settings.options, request, { timing, note, createdBy });
      const action = built.action as typeof built.action & { memo: { settings: ScheduleSettings } };
      const next: ScheduleSettings = {
        ...action.memo.settings,
        updatedBy: request.by,
        ...(settings.pause ? { pause: settings.pause } : {}),
      };
      return {
        spec: built.spec,
        action: { ...action, memo: { ...(previous.action.memo ?? {}), settings: next } },
        policies: previous.policies,
        state: { paused: previous.state.paused, note: scheduleStateNote(next) },
      };
    }),
  );
  const after = await describeSyncSchedule(client, request.campaign, { kind, results: false });
  return { before, after };
}

/** What came of `schedule trigger`. */
export interface TriggerOutcome {
  /**
   * `started` (a launcher run began: `workflowId`, `runId`), `overlap` (dropped by the overlap
   * policy: a scheduled run is still going, see `running`), or `unknown` (no sign of it yet).
   */
  outcome: 'started' | 'overlap' | 'unknown';
  overlap: ScheduleOverlapPolicy;
  /**
   * The schedule was paused: Temporal takes a trigger anyway (a paused schedule only stops its own
   * ticks), and the schedule stays paused. `pause` says who paused it and why, when known.
   */
  paused: boolean;
  pause?: ScheduleSettings['pause'];
  workflowId?: string;
  runId?: string;
  running?: { workflowId: string; runId: string }[];
}

/**
 * Takes one action of the schedule now. The overlap policy is passed explicitly (default the
 * schedule's own, SKIP), since the SDK's `trigger()` defaults to ALLOW_ALL. Then watches the
 * schedule for up to `waitMs` to say whether the action started or was dropped by the policy.
 */
export async function triggerSyncSchedule(
  client: Client,
  campaign: string,
  opts: { overlap?: ScheduleOverlapPolicy; waitMs?: number; kind?: ScheduleScope } = {},
): Promise<TriggerOutcome> {
  const overlap = opts.overlap ?? SCHEDULE_OVERLAP;
  return onSchedule(client, campaign, opts.kind ?? 'full', async (handle) => {
    const key = (w: { workflowId: string; firstExecutionRunId: string }) =>
      `${w.workflowId}/${w.firstExecutionRunId}`;
    const before = await handle.describe();
    const settings = settingsOf(before);
    const paused = {
      paused: before.state.paused,
      ...(before.state.paused && settings.pause?.paused ? { pause: settings.pause } : {}),
    };
    const known = new Set([
      ...before.info.recentActions.map((a) => key(a.action.workflow)),
      ...before.info.runningActions.map((a) => key(a.workflow)),
    ]);
    await handle.trigger(overlap);
    const until = Date.now() + (opts.waitMs ?? 15_000);
    for (;;) {
      const now = await handle.describe();
      const started = [
        ...now.info.recentActions.map((a) => a.action.workflow),
        ...now.info.runningActions.map((a) => a.workflow),
      ].find((w) => !known.has(key(w)));
      if (started)
        return {
          outcome: 'started',
          overlap,
          ...paused,
          workflowId: started.workflowId,
          runId: started.firstExecutionRunId,
        };
      if (now.info.numActionsSkippedOverlap > before.info.numActionsSkippedOverlap)
        return {
          outcome: 'overlap',
          overlap,
          ...paused,
          running: now.info.runningActions.map((a) => ({
            workflowId: a.workflow.workflowId,
            runId: a.workflow.firstExecutionRunId,
          })),
        };
      if (Date.now() >= until) return { outcome: 'unknown', overlap, ...paused };
      await new Promise((r) => setTimeout(r, 200));
    }
  });
}

/**
 * Takes the actions the schedule would have taken between `from` and `to` (e.g. after a long
 * outage, past the catch-up window), with an explicit overlap policy (default SKIP: since every
 * sync covers the whole campaign, one run covers the range).
 */
export async function backfillSyncSchedule(
  client: Client,
  campaign: string,
  range: { from: Date; to: Date; overlap?: ScheduleOverlapPolicy; kind?: ScheduleScope },
): Promise<void> {
  if (Number.isNaN(range.from.getTime()) || Number.isNaN(range.to.getTime()))
    throw new InvalidInputError('backfill needs --from and --to as ISO times, e.g. 2024-05-01T00:00:00Z');
  if (range.from.getTime() >= range.to.getTime())
    throw new InvalidInputError('backfill --from must be before --to');
  await onSchedule(client, campaign, range.kind ?? 'full', (h) =>
    h.backfill({ start: range.from, end: range.to, overlap: range.overlap ?? SCHEDULE_OVERLAP }),
  );
}

/** Deletes the campaign's schedule. A scheduled sync running now goes on to its end. */
export async function deleteSyncSchedule(
  client: Client,
  campaign: string,
  kind: ScheduleScope = 'full',
): Promise<void> {
  await onSchedule(client, campaign, kind, (h) => h.delete());
}
