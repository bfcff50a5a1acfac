/**
 * Reads the state of the whole system from Temporal: the workers polling the task queues, the
 * running campaign syncs with their progress, lock holders, recent failures and the campaign sync
 * schedules. `status` (the CLI) and the health check's activities both use these.
 * Listings come from Temporal's visibility store, which is eventually consistent.
 */
import { randomUUID } from 'node:crypto';
import {
  ScheduleNotFoundError,
  WorkflowFailedError,
  type Client,
  type ScheduleDescription,
  type ScheduleSummary,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import {
  BRIEF_COUNTS,
  type BriefCounts,
  type CampaignFailures,
  type HealthReport,
  type HeldPause,
  type LockRunInfo,
  type QueueKind,
  type QueuePollers,
  type RunningSyncInfo,
  type SyncProgressBrief,
} from '../shared/health';
import {
  campaignFromWorkflowId,
  mailerliteTaskQueue,
  parseSyncScheduleId,
  syncWorkflowId,
  WORKFLOW_TYPES,
} from '../shared/names';
import { SYNC_TRIGGER } from '../shared/search-attributes';
import type { SyncProgress } from '../shared/sync-types';
import { innermostMessage } from '../shared/errors';
import { syncProgressQuery } from '../shared/messages';

/** A string literal of Temporal's list-filter language. */
export function queryString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** The queues a deployment's workers poll: the main one (workflows, activities) and the MailerLite one. */
export function deploymentQueues(taskQueue: string): { taskQueue: string; kind: QueueKind }[] {
  return [
    { taskQueue, kind: 'workflow' },
    { taskQueue, kind: 'activity' },
    { taskQueue: mailerliteTaskQueue(taskQueue), kind: 'activity' },
  ];
}

/** The pollers Temporal has seen on each queue within the last minutes, with when each was last seen. */
export async function describePollers(
  client: Client,
  queues: { taskQueue: string; kind: QueueKind }[],
): Promise<QueuePollers[]> {
  const { TaskQueueKind, TaskQueueType } = temporal.api.enums.v1;
  return Promise.all(
    queues.map(async ({ taskQueue, kind }) => {
      const res = await client.workflowService.describeTaskQueue({
        namespace: client.options.namespace,
        taskQueue: { name: taskQueue, kind: TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType:
          kind === 'workflow'
            ? TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW
            : TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
      });
      return {
        taskQueue,
        kind,
        pollers: (res.pollers ?? []).map((p) => ({
          identity: p.identity ?? '(unknown)',
          lastSeen: optionalTsToDate(p.lastAccessTime)?.toISOString() ?? null,
          ...(p.ratePerSecond ? { ratePerSecond: p.ratePerSecond } : {}),
        })),
      };
    }),
  );
}

export interface ScanOptions {
  /** Only runs on this task queue. Default: every queue. */
  taskQueue?: string;
  /** Only campaigns whose code starts with this. */
  campaignPrefix?: string;
  /** Syncs listed at most (the rest are counted). Default 100. */
  limit?: number;
  /** How long a progress query may take. Default 5 s. */
  queryTimeoutMs?: number;
  /**
   * Check whether a worker polls each sync's task queue (`taskQueuePolled`), and do not query the
   * progress of a sync nobody polls (the query would wait out its timeout). Default false.
   */
  checkPollers?: boolean;
}

function scope(opts: { taskQueue?: string }): string {
  return opts.taskQueue ? ` AND TaskQueue = ${queryString(opts.taskQueue)}` : '';
}

function wanted(campaign: string | undefined, prefix: string | undefined): campaign is string {
  return campaign !== undefined && (!prefix || campaign.startsWith(prefix));
}

/** A progress answer cut to what a report needs. */
export function briefProgress(p: SyncProgress): SyncProgressBrief {
  return {
    phase: p.phase,
    pages: p.pages,
    ...(Object.fromEntries(BRIEF_COUNTS.map((key) => [key, p[key]])) as BriefCounts),
    startedAt: p.startedAt,
    updatedAt: p.updatedAt,
    ...(p.phase === 'awaiting-approval' && p.mirror ? { pendingRemovals: p.mirror.toRemove } : {}),
  };
}

/**
 * The task queues, among those given, on which no worker polls workflow tasks: a workflow there
 * runs nothing, not even a cancellation. (Temporal forgets a poller a few minutes after its last poll.)
 */
export async function queuesWithoutWorkflowPollers(
  client: Client,
  taskQueues: string[],
): Promise<Set<string>> {
  const unique = [...new Set(taskQueues)];
  const pollers = await describePollers(
    client,
    unique.map((taskQueue) => ({ taskQueue, kind: 'workflow' as const })),
  );
  return new Set(pollers.filter((q) => q.pollers.length === 0).map((q) => q.taskQueue));
}

/** An activity of a running sync that has not finished: what it is, its attempt and its last failure. */
export interface PendingActivity {
  type: string;
  /** SCHEDULED (waiting for a worker), STARTED (running) or CANCEL_REQUESTED. */
  state: string;
  attempt: number;
  /** 0 = no limit. */
  maximumAttempts: number;
  lastFailure?: { type?: string; message: string };
  /** When the next attempt starts, while it waits out the retry backoff. */
  nextAttemptAt?: Date;
}

/** The activities of a run still in flight, those that failed an attempt first. */
export function pendingActivities(description: WorkflowExecutionDescription): PendingActivity[] {
  const list = (description.raw.pendingActivities ?? []).map((a): PendingActivity => {
    const next = optionalTsToDate(a.nextAttemptScheduleTime);
    return {
      type: a.activityType?.name ?? '(unknown)',
      state: stateName(a.state),
      attempt: a.attempt ?? 1,
      maximumAttempts: a.maximumAttempts ?? 0,
      ...(a.lastFailure
        ? {
            lastFailure: {
              ...(a.lastFailure.applicationFailureInfo?.type
                ? { type: a.lastFailure.applicationFailureInfo.type }
                : {}),
              message: innermost(a.lastFailure),
            },
          }
        : {}),
      ...(next ? { nextAttemptAt: next } : {}),
    };
  });
  return list.sort(
    (a, b) => Number(Boolean(b.lastFailure)) - Number(Boolean(a.lastFailure)) || b.attempt - a.attempt,
  );
}

function stateName(state: number | null | undefined): string {
  switch (state) {
    case 1:
      return 'SCHEDULED';
    case 2:
      return 'STARTED';
    case 3:
      return 'CANCEL_REQUESTED';
    case 4:
      return 'PAUSED';
    case 5:
      return 'PAUSE_REQUESTED';
    default:
      return 'UNKNOWN';
  }
}

/** The innermost message of a failure chain in history (the one that says what went wrong). */
function innermost(failure: temporal.api.failure.v1.IFailure): string {
  let message = failure.message ?? '';
  for (let f = failure.cause; f; f = f.cause) if (f.message) message = f.message;
  return message;
}

/**
 * The running campaign syncs (with their live progress and pending activities) and the runs
 * holding a campaign's lock for another workflow.
 */
export async function listRunningSyncs(
  client: Client,
  opts: ScanOptions = {},
): Promise<{ running: RunningSyncInfo[]; runningOmitted: number; locks: LockRunInfo[] }> {
  const limit = opts.limit ?? 100;
  const query =
    `WorkflowType IN ('${WORKFLOW_TYPES.campaignSync}', '${WORKFLOW_TYPES.campaignLock}') ` +
    `AND ExecutionStatus = 'Running'${scope(opts)}`;
  const syncs: {
    campaign: string;
    workflowId: string;
    runId: string;
    taskQueue: string;
    startedAt: Date;
    trigger?: string;
  }[] = [];
  const locks: LockRunInfo[] = [];
  let runningOmitted = 0;
  for await (const run of client.workflow.list({ query })) {
    const campaign = campaignFromWorkflowId(run.workflowId);
    if (!wanted(campaign, opts.campaignPrefix)) continue;
    const trigger = run.typedSearchAttributes.get(SYNC_TRIGGER);
    if (run.type === WORKFLOW_TYPES.campaignLock) {
      locks.push({
        campaign,
        workflowId: run.workflowId,
        runId: run.runId,
        startedAt: run.startTime.toISOString(),
        ...(trigger !== undefined ? { holder: trigger } : {}),
      });
    } else if (syncs.length < limit) {
      syncs.push({
        campaign,
        workflowId: run.workflowId,
        runId: run.runId,
        taskQueue: run.taskQueue,
        startedAt: run.startTime,
        ...(trigger !== undefined ? { trigger } : {}),
      });
    } else {
      runningOmitted++;
    }
  }
  const timeout = opts.queryTimeoutMs ?? 5000;
  const unpolled = opts.checkPollers
    ? await queuesWithoutWorkflowPollers(
        client,
        syncs.map((s) => s.taskQueue),
      )
    : undefined;
  const running: RunningSyncInfo[] = [];
  // A few at a time: each is a query (answered by a worker) and a describe.
  for (let i = 0; i < syncs.length; i += 10) {
    running.push(
      ...(await Promise.all(
        syncs.slice(i, i + 10).map(async (s): Promise<RunningSyncInfo> => {
          const handle = client.workflow.getHandle(s.workflowId, s.runId);
          const info: RunningSyncInfo = {
            campaign: s.campaign,
            workflowId: s.workflowId,
            runId: s.runId,
            taskQueue: s.taskQueue,
            startedAt: s.startedAt.toISOString(),
            ...(s.trigger !== undefined ? { trigger: s.trigger } : {}),
            pendingActivities: [],
            ...(unpolled ? { taskQueuePolled: !unpolled.has(s.taskQueue) } : {}),
          };
          if (info.taskQueuePolled === false) {
            info.progressError = `no worker polls task queue ${s.taskQueue}`;
          } else {
            try {
              const progress = await client.withDeadline(Date.now() + timeout, () =>
                handle.query(syncProgressQuery),
              );
              info.progress = briefProgress(progress);
            } catch (err) {
              info.progressError = err instanceof Error ? err.message : String(err);
            }
          }
          try {
            const described = await handle.describe();
            info.pendingActivities = pendingActivities(described).map(({ type, attempt, lastFailure }) => ({
              type,
              attempt,
              ...(lastFailure ? { lastFailure } : {}),
            }));
          } catch {
            // Closed meanwhile: nothing pending.
          }
          return info;
        }),
      )),
    );
  }
  return { running, runningOmitted, locks };
}

/**
 * Campaign syncs that failed, timed out or were terminated since `since`, per campaign: how many,
 * and the last one with its failure message (read from its history when `messages` is on).
 */
export async function listRecentFailures(
  client: Client,
  opts: { since: Date; taskQueue?: string; campaignPrefix?: string; messages?: boolean; limit?: number },
): Promise<{ failures: CampaignFailures[]; total: number }> {
  const query =
    `WorkflowType = '${WORKFLOW_TYPES.campaignSync}' AND ExecutionStatus IN ('Failed', 'TimedOut', 'Terminated') ` +
    `AND CloseTime > ${queryString(opts.since.toISOString())}${scope(opts)}`;
  const byCampaign = new Map<string, CampaignFailures>();
  let total = 0;
  for await (const run of client.workflow.list({ query })) {
    const campaign = campaignFromWorkflowId(run.workflowId);
    if (!wanted(campaign, opts.campaignPrefix)) continue;
    total++;
    const closedAt = (run.closeTime ?? run.startTime).toISOString();
    const entry = byCampaign.get(campaign);
    const last = { workflowId: run.workflowId, runId: run.runId, status: run.status.name, closedAt };
    if (!entry) byCampaign.set(campaign, { campaign, count: 1, last });
    else {
      entry.count++;
      if (closedAt > entry.last.closedAt) entry.last = last;
    }
  }
  const failures = [...byCampaign.values()]
    .sort((a, b) => b.last.closedAt.localeCompare(a.last.closedAt))
    .slice(0, opts.limit ?? 50);
  if (opts.messages !== false) {
    await Promise.all(
      failures.map(async (f) => {
        try {
          await client.workflow.getHandle(f.last.workflowId, f.last.runId).result();
        } catch (err) {
          f.last.message = err instanceof WorkflowFailedError ? innermostMessage(err) : String(err);
        }
      }),
    );
  }
  return { failures, total };
}

/** A campaign sync schedule, as `status` shows it. */
export interface SyncScheduleInfo {
  scheduleId: string;
  campaign: string;
  paused: boolean;
  note?: string;
  /**
   * Paused by health because of an overload (health resumes it): health's latest report holds it
   * paused, and nobody changed the schedule since. The note is the person's, never health's.
   */
  pausedByHealth: boolean;
  nextRun?: string;
  lastRun?: string;
}

/** The campaign a sync schedule ID belongs to (`campaign-sync-schedule-<CODE>[-incremental]`). */
function campaignOfSchedule(scheduleId: string): string | undefined {
  return parseSyncScheduleId(scheduleId)?.campaign;
}

function isSyncSchedule(s: ScheduleSummary): boolean {
  return (
    parseSyncScheduleId(s.scheduleId) !== undefined &&
    (s.action === undefined || s.action.workflowType === WORKFLOW_TYPES.scheduledCampaignSync)
  );
}

/** The campaign sync schedules (ID `campaign-sync-schedule-<CODE>`) as the listing has them (eventually consistent). */
export async function listSyncScheduleSummaries(
  client: Client,
  opts: { campaignPrefix?: string } = {},
): Promise<(ScheduleSummary & { campaign: string })[]> {
  const out: (ScheduleSummary & { campaign: string })[] = [];
  for await (const s of client.schedule.list()) {
    const campaign = campaignOfSchedule(s.scheduleId);
    if (!isSyncSchedule(s) || !wanted(campaign, opts.campaignPrefix)) continue;
    out.push({ ...s, campaign });
  }
  return out.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

/**
 * Every campaign sync schedule (ID `campaign-sync-schedule-<CODE>`), paused or not, with its next
 * run, and whether health holds it paused (read from the latest health reports unless `heldByHealth`
 * gives them).
 */
export async function listCampaignSyncSchedules(
  client: Client,
  opts: { campaignPrefix?: string; heldByHealth?: HeldPause[] } = {},
): Promise<SyncScheduleInfo[]> {
  const summaries = await listSyncScheduleSummaries(client, opts);
  const anyPaused = summaries.some((s) => s.state.paused);
  const held = anyPaused ? (opts.heldByHealth ?? (await healthHeldPauses(client))) : [];
  const heldById = new Map(held.map((h) => [h.scheduleId, h]));
  return Promise.all(
    summaries.map(async (s): Promise<SyncScheduleInfo> => {
      const next = s.info.nextActionTimes[0];
      const last = s.info.recentActions.at(-1);
      const mark = s.state.paused ? heldById.get(s.scheduleId) : undefined;
      return {
        scheduleId: s.scheduleId,
        campaign: s.campaign,
        paused: s.state.paused,
        ...(s.state.note ? { note: s.state.note } : {}),
        pausedByHealth: mark ? await untouchedSince(client, mark) : false,
        ...(next ? { nextRun: next.toISOString() } : {}),
        ...(last ? { lastRun: last.takenAt.toISOString() } : {}),
      };
    }),
  );
}

/** A schedule's conflict token as hex: the server changes it at every update, pause, unpause or note. */
function conflictTokenOf(d: ScheduleDescription): string {
  return Buffer.from(d.raw.conflictToken ?? new Uint8Array()).toString('hex');
}

/** Whether a schedule health paused is still paused and unchanged since health paused it. */
async function untouchedSince(client: Client, held: HeldPause): Promise<boolean> {
  try {
    const d = await client.schedule.getHandle(held.scheduleId).describe();
    return d.state.paused && conflictTokenOf(d) === held.conflictToken;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

/**
 * The schedules health holds paused, from the latest completed health run of each task queue among
 * the newest 50 health runs (the mark lives in health's reports, see {@link HeldPause}). A
 * deployment whose health has not run for that long shows its pauses as a person's.
 */
export async function healthHeldPauses(client: Client): Promise<HeldPause[]> {
  const query = `WorkflowType = '${WORKFLOW_TYPES.systemHealth}' AND ExecutionStatus = 'Completed'`;
  const newest = new Map<string, { workflowId: string; runId: string; closedAt: number }>();
  let seen = 0;
  for await (const run of client.workflow.list({ query, pageSize: 50 })) {
    const closedAt = run.closeTime?.getTime() ?? 0;
    const current = newest.get(run.taskQueue);
    if (!current || closedAt > current.closedAt)
      newest.set(run.taskQueue, { workflowId: run.workflowId, runId: run.runId, closedAt });
    if (++seen >= 50) break;
  }
  const reports = await Promise.all(
    [...newest.values()].map((r) =>
      client.workflow
        .getHandle<() => Promise<HealthReport>>(r.workflowId, r.runId)
        .result()
        .catch(() => undefined),
    ),
  );
  return reports.flatMap((r) => r?.carry?.heldPaused ?? []);
}

/**
 * Sets a schedule's paused state without touching anything else (its note stays the person's):
 * the schedule exactly as described, with `paused` changed, sent back with the description's
 * conflict token, so a change made by someone in between wins (the server drops this update).
 * Returns the schedule as it is afterwards.
 */
async function setPaused(
  client: Client,
  d: ScheduleDescription,
  paused: boolean,
): Promise<ScheduleDescription> {
  const schedule = d.raw.schedule;
  if (!schedule) throw new Error(`schedule ${d.scheduleId} has no definition to update`);
  schedule.state = { ...(schedule.state ?? {}), paused };
  await client.workflowService.updateSchedule({
    namespace: client.options.namespace,
    scheduleId: d.scheduleId,
    schedule,
    conflictToken: d.raw.conflictToken,
    identity: client.options.identity,
    requestId: randomUUID(),
  });
  return client.schedule.getHandle(d.scheduleId).describe();
}

/**
 * Pauses every campaign sync schedule of the task queue that is not paused, keeping each one's note
 * (health's mark is the returned {@link HeldPause}s, which its reports carry). The listing may lag;
 * each schedule is described before it is paused, and one a person changed meanwhile is left alone.
 */
export async function pauseSchedulesForHealth(
  client: Client,
  opts: { taskQueue: string; campaignPrefix?: string; at: Date },
): Promise<HeldPause[]> {
  const held: HeldPause[] = [];
  for (const s of await listSyncScheduleSummaries(client, opts)) {
    if (s.state.paused) continue;
    let described: ScheduleDescription;
    try {
      described = await client.schedule.getHandle(s.scheduleId).describe();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) continue;
      throw err;
    }
    if (described.state.paused || described.action.taskQueue !== opts.taskQueue) continue;
    const after = await setPaused(client, described, true);
    if (!after.state.paused || (after.state.note ?? '') !== (described.state.note ?? '')) continue;
    held.push({
      scheduleId: s.scheduleId,
      campaign: s.campaign,
      pausedAt: opts.at.toISOString(),
      conflictToken: conflictTokenOf(after),
      ...(after.state.note ? { note: after.state.note } : {}),
    });
  }
  return held;
}

/**
 * Unpauses the schedules health holds paused, each only if nobody changed it since health paused
 * it (its conflict token is the one health saw): those a person changed (paused again with a note,
 * unpaused, edited) or deleted are released, left as the person left them; the still-paused ones
 * are listed as kept.
 */
export async function resumeSchedulesHeldByHealth(
  client: Client,
  held: HeldPause[],
): Promise<{ resumed: string[]; keptPaused: string[]; released: string[] }> {
  const resumed: string[] = [];
  const keptPaused: string[] = [];
  const released: string[] = [];
  for (const h of held) {
    let described: ScheduleDescription;
    try {
      described = await client.schedule.getHandle(h.scheduleId).describe();
    } catch (err) {
      if (err instanceof ScheduleNotFoundError) {
        released.push(h.scheduleId);
        continue;
      }
      throw err;
    }
    if (!described.state.paused || conflictTokenOf(described) !== h.conflictToken) {
      if (described.state.paused) keptPaused.push(h.scheduleId);
      released.push(h.scheduleId);
      continue;
    }
    const after = await setPaused(client, described, false);
    if (after.state.paused) keptPaused.push(h.scheduleId);
    else resumed.push(h.scheduleId);
    released.push(h.scheduleId);
  }
  return { resumed, keptPaused, released };
}

/**
 * The newest successful sync of a campaign that was not a dry run: a `campaignSync` run of its
 * lock ID that completed (`ExecutionStatus = 'Completed'`: a sync that failed, timed out, was
 * cancelled or terminated closes otherwise), its summary read to skip dry runs. Looks at the newest
 * `limit` completed runs (default 10); null when none of them is a real run.
 */
export async function lastSuccessfulSync(
  client: Client,
  campaign: string,
  opts: { limit?: number } = {},
): Promise<{ closedAt: string; workflowId: string; runId: string } | null> {
  const query =
    `WorkflowType = '${WORKFLOW_TYPES.campaignSync}' AND WorkflowId = ${queryString(syncWorkflowId(campaign))} ` +
    `AND ExecutionStatus = 'Completed'`;
  const runs: { workflowId: string; runId: string; closedAt: Date }[] = [];
  const limit = opts.limit ?? 10;
  for await (const run of client.workflow.list({ query, pageSize: limit })) {
    if (run.closeTime) runs.push({ workflowId: run.workflowId, runId: run.runId, closedAt: run.closeTime });
    if (runs.length >= limit) break;
  }
  runs.sort((a, b) => b.closedAt.getTime() - a.closedAt.getTime());
  for (const run of runs) {
    const summary = await client.workflow
      .getHandle<() => Promise<{ dryRun?: boolean; status?: string }>>(run.workflowId, run.runId)
      .result()
      .catch(() => undefined);
    if (summary && !summary.dryRun && (summary.status ?? 'completed') === 'completed')
      return { closedAt: run.closedAt.toISOString(), workflowId: run.workflowId, runId: run.runId };
  }
  return null;
}

/** Whether any run of a campaign's sync is still in visibility (within the namespace's retention). */
export async function campaignHasSyncRuns(client: Client, campaign: string): Promise<boolean> {
  const query = `WorkflowType = '${WORKFLOW_TYPES.campaignSync}' AND WorkflowId = ${queryString(syncWorkflowId(campaign))}`;
  for await (const _run of client.workflow.list({ query, pageSize: 1 })) return true;
  return false;
}
