/**
 * Reads the state of the whole system from Temporal: the workers polling the task queues, the
 * running campaign syncs with their progress, lock holders, recent failures and the campaign sync
 * schedules. `status` (the CLI) and the health check's activities both use these.
 * Listings come from Temporal's visibility store, which is eventually consistent.
 */
import { WorkflowFailedError, type Client, type ScheduleSummary } from '@temporalio/client';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type {
  CampaignFailures,
  LockRunInfo,
  QueueKind,
  QueuePollers,
  RunningSyncInfo,
  SyncProgressBrief,
} from '../shared/health';
import { HEALTH_PAUSE_NOTE_PREFIX } from '../shared/health';
import { campaignFromWorkflowId, mailerliteTaskQueue, WORKFLOW_TYPES } from '../shared/names';
import { SYNC_TRIGGER } from '../shared/search-attributes';
import type { SyncProgress } from '../shared/sync-types';
import { failureMessage } from './sync-status';

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
    fetched: p.fetched,
    valid: p.valid,
    invalid: p.invalid,
    created: p.created,
    updated: p.updated,
    unchanged: p.unchanged,
    skipped: p.skipped,
    failed: p.failed,
    startedAt: p.startedAt,
    updatedAt: p.updatedAt,
  };
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
          };
          try {
            const progress = await client.withDeadline(Date.now() + timeout, () =>
              handle.query<SyncProgress>('progress'),
            );
            info.progress = briefProgress(progress);
          } catch (err) {
            info.progressError = err instanceof Error ? err.message : String(err);
          }
          try {
            const described = await handle.describe();
            info.pendingActivities = (described.raw.pendingActivities ?? []).map((a) => ({
              type: a.activityType?.name ?? '(unknown)',
              attempt: a.attempt ?? 1,
              ...(a.lastFailure
                ? {
                    lastFailure: {
                      ...(a.lastFailure.applicationFailureInfo?.type
                        ? { type: a.lastFailure.applicationFailureInfo.type }
                        : {}),
                      message: a.lastFailure.message ?? '',
                    },
                  }
                : {}),
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
          f.last.message = err instanceof WorkflowFailedError ? failureMessage(err) : String(err);
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
  /** Paused by health because of an overload (health resumes it). */
  pausedByHealth: boolean;
  nextRun?: string;
  lastRun?: string;
}

const SCHEDULE_PREFIX = 'campaign-sync-schedule-';

/** The campaign a sync schedule ID belongs to (`campaign-sync-schedule-<CODE>`). */
function campaignOfSchedule(scheduleId: string): string | undefined {
  return scheduleId.startsWith(SCHEDULE_PREFIX) ? scheduleId.slice(SCHEDULE_PREFIX.length) : undefined;
}

function isSyncSchedule(s: ScheduleSummary): boolean {
  return (
    s.scheduleId.startsWith(SCHEDULE_PREFIX) &&
    (s.action === undefined || s.action.workflowType === WORKFLOW_TYPES.scheduledCampaignSync)
  );
}

/** Every campaign sync schedule (ID `campaign-sync-schedule-<CODE>`), paused or not, with its next run. */
export async function listCampaignSyncSchedules(
  client: Client,
  opts: { campaignPrefix?: string } = {},
): Promise<SyncScheduleInfo[]> {
  const out: SyncScheduleInfo[] = [];
  for await (const s of client.schedule.list()) {
    const campaign = campaignOfSchedule(s.scheduleId);
    if (!isSyncSchedule(s) || !wanted(campaign, opts.campaignPrefix)) continue;
    const next = s.info.nextActionTimes[0];
    const last = s.info.recentActions.at(-1);
    out.push({
      scheduleId: s.scheduleId,
      campaign,
      paused: s.state.paused,
      ...(s.state.note ? { note: s.state.note } : {}),
      pausedByHealth: s.state.paused && (s.state.note ?? '').startsWith(HEALTH_PAUSE_NOTE_PREFIX),
      ...(next ? { nextRun: next.toISOString() } : {}),
      ...(last ? { lastRun: last.takenAt.toISOString() } : {}),
    });
  }
  return out.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
}

/**
 * Pauses every campaign sync schedule of the task queue that is not paused, with a note marking
 * the pause as health's (so only those are resumed). The listing may lag; each schedule's state is
 * read again (described) before it is paused.
 */
export async function pauseSyncSchedules(
  client: Client,
  opts: { taskQueue: string; campaignPrefix?: string; reason: string; at: Date },
): Promise<string[]> {
  const paused: string[] = [];
  for (const s of await listCampaignSyncSchedules(client, opts)) {
    if (s.paused) continue;
    const handle = client.schedule.getHandle(s.scheduleId);
    const described = await handle.describe();
    if (described.state.paused || described.action.taskQueue !== opts.taskQueue) continue;
    await handle.pause(
      `${HEALTH_PAUSE_NOTE_PREFIX} at ${opts.at.toISOString()}: overloaded (${opts.reason})`,
    );
    paused.push(s.scheduleId);
  }
  return paused;
}

/**
 * Unpauses the campaign sync schedules of the task queue that health paused (their note says so);
 * schedules a person paused stay paused, and are listed as kept.
 */
export async function resumeSyncSchedules(
  client: Client,
  opts: { taskQueue: string; campaignPrefix?: string },
): Promise<{ resumed: string[]; keptPaused: string[] }> {
  const resumed: string[] = [];
  const keptPaused: string[] = [];
  for (const s of await listCampaignSyncSchedules(client, opts)) {
    if (!s.paused) continue;
    const handle = client.schedule.getHandle(s.scheduleId);
    const described = await handle.describe();
    if (!described.state.paused || described.action.taskQueue !== opts.taskQueue) continue;
    if ((described.state.note ?? '').startsWith(HEALTH_PAUSE_NOTE_PREFIX)) {
      await handle.unpause('Unpaused by campaign-sync health: no longer overloaded');
      resumed.push(s.scheduleId);
    } else {
      keptPaused.push(s.scheduleId);
    }
  }
  return { resumed, keptPaused };
}
