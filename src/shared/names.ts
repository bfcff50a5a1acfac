/** Names shared by the client, the worker and workflows. */

/** The task queue the campaign-sync worker polls unless `TEMPORAL_TASK_QUEUE` says otherwise. */
export const DEFAULT_TASK_QUEUE = 'campaign-sync';

/**
 * The task queue of the activities that each make one MailerLite request. Its rate limit, set by
 * the workers and enforced by the Temporal server across all of them, is the account's budget.
 */
export function mailerliteTaskQueue(taskQueue: string): string {
  return `${taskQueue}-mailerlite`;
}

/**
 * A worker process's own task queue (worker-specific task queues): the steps of a full sync's list
 * path that use the destination index run there, on the process holding it. `hostId` is the
 * process's (src/activities/destination-index.ts).
 */
export function hostTaskQueue(taskQueue: string, hostId: string): string {
  return `${taskQueue}-host-${hostId}`;
}

/** Workflow type names, as registered by the worker (the exported function names). */
export const WORKFLOW_TYPES = {
  campaignSync: 'campaignSync',
  listCampaigns: 'listCampaigns',
  campaignLock: 'campaignLock',
  campaignTransition: 'campaignTransition',
  transitionTier: 'transitionTier',
  campaignCreate: 'campaignCreate',
  scheduledCampaignSync: 'scheduledCampaignSync',
  scheduledSyncAll: 'scheduledSyncAll',
  syncAllCampaigns: 'syncAllCampaigns',
  systemHealth: 'systemHealth',
} as const;

/** Prefix of every campaign sync's workflow ID. */
export const SYNC_WORKFLOW_ID_PREFIX = 'campaign-sync-';

/**
 * The workflow ID of a campaign's sync. It is the campaign's lock: Temporal allows only one
 * running execution per workflow ID, so two syncs of one campaign can never run at once.
 */
export function syncWorkflowId(campaign: string): string {
  return `${SYNC_WORKFLOW_ID_PREFIX}${campaign}`;
}

/**
 * The one-line summary (Temporal user metadata, `staticSummary`) a sync run carries, which the Web
 * UI shows on the run's page (Web UI 2.42 has no list column for it; the list shows the search
 * attributes as columns instead). E.g. `Sync 2024_ETB_NBL: mirror, dry run, by schedule:...`.
 */
export function syncRunSummary(input: {
  campaign: string;
  mode?: string;
  dryRun?: boolean;
  trigger?: string;
}): string {
  return `Sync ${input.campaign}: ${input.mode ?? 'upsert'}${input.dryRun ? ', dry run' : ''}, by ${input.trigger ?? 'manual'}`;
}

/** The campaign a sync workflow ID belongs to, or undefined when the ID is not a sync's. */
export function campaignFromWorkflowId(workflowId: string): string | undefined {
  return workflowId.startsWith(SYNC_WORKFLOW_ID_PREFIX)
    ? workflowId.slice(SYNC_WORKFLOW_ID_PREFIX.length)
    : undefined;
}

/** The workflow ID of a campaign's provisioning (`campaign create`): one at a time per campaign. */
export function createWorkflowId(campaign: string): string {
  return `campaign-create-${campaign}`;
}

/**
 * Which of a campaign's two sync schedules: `full` syncs (the default), or `incremental` ones. A
 * campaign can have one of each (e.g. incremental every minute, full nightly); both start the sync
 * under the campaign's lock, so while one runs the other's tick is skipped.
 */
export type ScheduleKind = 'full' | 'incremental';

/** A schedule of incremental syncs, or of full ones: by the syncs' `incremental` option. */
export function scheduleKind(args: { incremental?: boolean | undefined }): ScheduleKind {
  return args.incremental ? 'incremental' : 'full';
}

/** What ends an incremental schedule's ID (campaign codes hold no `-`). */
const INCREMENTAL_SUFFIX = '-incremental';

/** The ID of a campaign's sync schedule: `campaign-sync-schedule-<CODE>`, `...-<CODE>-incremental`. */
export function syncScheduleId(campaign: string, kind: ScheduleKind = 'full'): string {
  return `campaign-sync-schedule-${campaign}${kind === 'incremental' ? INCREMENTAL_SUFFIX : ''}`;
}

/** The campaign and kind of a sync schedule ID (undefined: not one). */
export function parseSyncScheduleId(
  scheduleId: string,
): { campaign: string; kind: ScheduleKind } | undefined {
  const prefix = syncScheduleId('');
  if (!scheduleId.startsWith(prefix)) return undefined;
  const rest = scheduleId.slice(prefix.length);
  return rest.endsWith(INCREMENTAL_SUFFIX)
    ? { campaign: rest.slice(0, -INCREMENTAL_SUFFIX.length), kind: 'incremental' }
    : { campaign: rest, kind: 'full' };
}

/**
 * The workflow ID a campaign's schedule gives its launcher runs (the schedule appends each action
 * time to it). The launcher then starts the sync under {@link syncWorkflowId}, the campaign's lock.
 */
export function launcherWorkflowId(campaign: string, kind: ScheduleKind = 'full'): string {
  return `campaign-sync-launch-${campaign}${kind === 'incremental' ? INCREMENTAL_SUFFIX : ''}`;
}

/**
 * The workflow ID of `sync all` (workflow `syncAllCampaigns`), started with conflict policy FAIL so
 * two runs of it never overlap. (It cannot be a campaign's lock: `all` is no campaign code.)
 */
export const SYNC_ALL_WORKFLOW_ID = 'campaign-sync-all';

/**
 * The ID of the schedule that syncs every campaign (`schedule create --all-campaigns`): one per
 * namespace, as `sync all` is one at a time. It is no campaign's schedule ({@link
 * parseSyncScheduleId} does not take it), so health judges and pauses campaigns' schedules only.
 */
export const SYNC_ALL_SCHEDULE_ID = 'campaign-sync-all-schedule';

/**
 * The workflow ID the all-campaigns schedule gives its launcher runs (`scheduledSyncAll`; the
 * schedule appends the action time). The launcher starts `sync all` under {@link
 * SYNC_ALL_WORKFLOW_ID}, so a scheduled and a manual `sync all` never run at once.
 */
export const SYNC_ALL_LAUNCHER_WORKFLOW_ID = 'campaign-sync-all-launch';

/** Prefix of every transition's workflow ID. */
export const TRANSITION_WORKFLOW_ID_PREFIX = 'campaign-transition-';

/**
 * The workflow ID of a transition from one campaign to another: one transition of a pair runs at
 * a time. (The campaigns themselves are locked by the lock runs the transition holds.)
 */
export function transitionWorkflowId(source: string, destination: string): string {
  return `${TRANSITION_WORKFLOW_ID_PREFIX}${source}-${destination}`;
}

/**
 * The ID of the health schedule of a deployment (a task queue): `campaign-sync-health` for the
 * default queue, `campaign-sync-health-<taskQueue>` for another. Its runs get this ID plus the
 * action time (the schedule appends it).
 */
export function healthScheduleId(taskQueue: string): string {
  return taskQueue === DEFAULT_TASK_QUEUE ? 'campaign-sync-health' : `campaign-sync-health-${taskQueue}`;
}

/** The workflow ID of a health run started by hand (`health run`): unique per start. */
export function manualHealthWorkflowId(taskQueue: string, at: Date): string {
  return `${healthScheduleId(taskQueue)}-manual-${at.toISOString()}`;
}
