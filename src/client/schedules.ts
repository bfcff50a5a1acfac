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
  syncScheduleId,
  syncWorkflowId,
  type ScheduleKind,
} from '../shared/names';
import type { LockHolder, ScheduledSyncResult, ScheduleTiming } from '../shared/provisioning';
import {
  buildSyncSchedule,
  describeTiming,
  SCHEDULE_OVERLAP,
  scheduleTimingProblem,
} from '../shared/sync-schedule';
import type { SyncCounts, SyncInput, SyncProgress, SyncSummary } from '../shared/sync-types';
import { checkSyncInput } from './sync-start';
import { failureMessage } from './sync-status';
import type { SyncOptionValues } from './sync-options';

/** `--incremental` when the kind is incremental: what a command names such a schedule with. */
function kindFlag(kind: ScheduleKind): string {
  return kind === 'incremental' ? ' --incremental' : '';
}

/** `an incremental sync schedule` or `a sync schedule`. */
function scheduleWords(kind: ScheduleKind): string {
  return kind === 'incremental' ? 'an incremental sync schedule' : 'a sync schedule';
}

/** The campaign already has a sync schedule of that kind. */
export class ScheduleExistsError extends Error {
  constructor(
    readonly campaign: string,
    readonly scheduleId: string,
    readonly kind: ScheduleKind = 'full',
  ) {
    super(
      `Campaign ${campaign} already has ${scheduleWords(kind)} (${scheduleId}). See 'campaign-sync schedule describe ${campaign}${kindFlag(kind)}'; ` +
        `delete it first to create another.` +
        (kind === 'full'
          ? ' (A campaign can also have one incremental schedule beside it: create it with --incremental.)'
          : ''),
    );
    this.name = 'ScheduleExistsError';
  }
}

/** The campaign has no sync schedule of that kind. */
export class ScheduleMissingError extends Error {
  constructor(
    readonly campaign: string,
    readonly scheduleId: string,
    readonly kind: ScheduleKind = 'full',
  ) {
    super(
      `Campaign ${campaign} has ${kind === 'incremental' ? 'no incremental sync schedule' : 'no sync schedule'} (${scheduleId}). Create one with 'campaign-sync schedule create ${campaign}${kindFlag(kind)} --every <interval>' (or --cron).`,
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
  kind: ScheduleKind,
  fn: (handle: ScheduleHandle) => Promise<T>,
): Promise<T> {
  const scheduleId = syncScheduleId(campaign, kind);
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
  holder?: LockHolder;
  progress?: SyncProgress;
  error?: string;
}

/** What `schedule describe` shows. */
export interface ScheduleView {
  campaign: string;
  /** A schedule of full syncs or of incremental ones (a campaign can have one of each). */
  kind: ScheduleKind;
  scheduleId: string;
  /** As given at creation (from the memo), when known. */
  timing?: ScheduleTiming;
  /** The spec in words: `every 1h`, `cron "0 * * * *" (UTC)`, or the server's calendar. */
  spec: string;
  paused: boolean;
  note?: string;
  createdBy?: string;
  createdAt: string;
  taskQueue: string;
  overlap: string;
  catchupWindowMs: number;
  /** The launcher's input: the options of every scheduled sync. */
  sync: SyncInput;
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
 * A campaign's sync schedule: spec, policies, paused state and note, the sync options, the next
 * action times and the recent actions with their results (the launcher's result: the sync's
 * summary, or `skipped` with the lock's holder; a running one with the sync's progress).
 */
export async function describeSyncSchedule(
  client: Client,
  campaign: string,
  opts: { results?: boolean; kind?: ScheduleKind } = {},
): Promise<ScheduleView> {
  const kind = opts.kind ?? 'full';
  const d = await onSchedule(client, campaign, kind, (handle) => handle.describe());
  const timing = timingOf(d.memo);
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
    ...(d.state.note ? { note: d.state.note } : {}),
    ...(typeof createdBy === 'string' ? { createdBy } : {}),
    createdAt: d.info.createdAt.toISOString(),
    taskQueue: d.action.taskQueue,
    overlap: d.policies.overlap ?? 'SKIP',
    catchupWindowMs: d.policies.catchupWindow,
    sync: (d.action.args?.[0] ?? {}) as SyncInput,
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
            recent.map(async (a) => ({ ...a, ...(await launcherOutcome(client, campaign, a)) })),
          ),
  };
}

/** What came of one launcher run (its result, or its state while it runs). */
export async function launcherOutcome(
  client: Client,
  campaign: string,
  run: { workflowId: string; runId: string },
): Promise<Pick<ScheduleActionView, 'status' | 'summary' | 'holder' | 'progress' | 'error'>> {
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
      const progress = await syncProgressUnder(client, campaign, run.workflowId);
      return { status: 'running', ...(progress ? { progress } : {}) };
    }
    case 'COMPLETED': {
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
      client.workflow.getHandle(d.workflowId, d.runId).query<SyncProgress>('progress'),
    );
  } catch {
    return undefined;
  }
}

/** One line of `schedule list`. */
export interface ScheduleListing {
  campaign: string;
  kind: ScheduleKind;
  scheduleId: string;
  spec: string;
  paused: boolean;
  note?: string;
  nextActionAt?: string;
  lastActionAt?: string;
  lastWorkflowId?: string;
}

/**
 * Every campaign sync schedule (IDs `campaign-sync-schedule-<CODE>[-incremental]`), by campaign. Schedule
 * listing is eventually consistent: a schedule created a moment ago may not be listed yet.
 */
export async function listSyncSchedules(client: Client): Promise<ScheduleListing[]> {
  const listings: ScheduleListing[] = [];
  for await (const s of client.schedule.list()) {
    const id = parseSyncScheduleId(s.scheduleId);
    if (!id) continue;
    const last = s.info.recentActions[s.info.recentActions.length - 1];
    const next = s.info.nextActionTimes[0];
    listings.push({
      campaign: id.campaign,
      kind: id.kind,
      scheduleId: s.scheduleId,
      spec: specText({ spec: s.spec ?? {} }, timingOf(s.memo)),
      paused: s.state.paused,
      ...(s.state.note ? { note: s.state.note } : {}),
      ...(next ? { nextActionAt: next.toISOString() } : {}),
      ...(last
        ? { lastActionAt: last.takenAt.toISOString(), lastWorkflowId: last.action.workflow.workflowId }
        : {}),
    });
  }
  return listings.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

/** Pauses the campaign's schedule with a note (why, and who). Running syncs go on. */
export async function pauseSyncSchedule(
  client: Client,
  campaign: string,
  note: string,
  kind: ScheduleKind = 'full',
): Promise<void> {
  await onSchedule(client, campaign, kind, (h) => h.pause(note));
}

/** Unpauses the campaign's schedule with a note. */
export async function unpauseSyncSchedule(
  client: Client,
  campaign: string,
  note: string,
  kind: ScheduleKind = 'full',
): Promise<void> {
  await onSchedule(client, campaign, kind, (h) => h.unpause(note));
}

/** What came of `schedule trigger`. */
export interface TriggerOutcome {
  /**
   * `started` (a launcher run began: `workflowId`, `runId`), `overlap` (dropped by the overlap
   * policy: a scheduled run is still going, see `running`), or `unknown` (no sign of it yet).
   */
  outcome: 'started' | 'overlap' | 'unknown';
  overlap: ScheduleOverlapPolicy;
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
  opts: { overlap?: ScheduleOverlapPolicy; waitMs?: number; kind?: ScheduleKind } = {},
): Promise<TriggerOutcome> {
  const overlap = opts.overlap ?? SCHEDULE_OVERLAP;
  return onSchedule(client, campaign, opts.kind ?? 'full', async (handle) => {
    const key = (w: { workflowId: string; firstExecutionRunId: string }) =>
      `${w.workflowId}/${w.firstExecutionRunId}`;
    const before = await handle.describe();
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
          workflowId: started.workflowId,
          runId: started.firstExecutionRunId,
        };
      if (now.info.numActionsSkippedOverlap > before.info.numActionsSkippedOverlap)
        return {
          outcome: 'overlap',
          overlap,
          running: now.info.runningActions.map((a) => ({
            workflowId: a.workflow.workflowId,
            runId: a.workflow.firstExecutionRunId,
          })),
        };
      if (Date.now() >= until) return { outcome: 'unknown', overlap };
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
  range: { from: Date; to: Date; overlap?: ScheduleOverlapPolicy; kind?: ScheduleKind },
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
  kind: ScheduleKind = 'full',
): Promise<void> {
  await onSchedule(client, campaign, kind, (h) => h.delete());
}
