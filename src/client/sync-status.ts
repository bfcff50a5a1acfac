import { hostname, userInfo } from 'node:os';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { optionalTsToDate } from '@temporalio/common/lib/time';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { innermostMessage } from '../shared/errors';
import { syncWorkflowId } from '../shared/names';
import type { SyncProgress, SyncSummary } from '../shared/sync-types';
import { SyncNotFoundError } from '../temporal/errors';
import { pendingActivities, type PendingActivity } from '../temporal/system';
import type { RunHeader } from './present';
import { workerPolls } from './worker-presence';
import { syncProgressQuery } from '../shared/messages';

/** Who stopped a run and why, from its history. */
export interface StopInfo {
  at?: Date;
  /** The identity of the client that asked (e.g. `campaign-sync CLI alice@host`), or Temporal's. */
  by?: string;
  reason?: string;
}

export interface SyncStatus extends RunHeader {
  campaign: string;
  /** Live progress of a running sync; for a terminated one, where it was (replayed by a worker). */
  progress?: SyncProgress;
  /** Activities in flight of a running sync, those retrying first. */
  activities?: PendingActivity[];
  /** Summary of a completed sync. */
  summary?: SyncSummary;
  /**
   * What a run that did not complete had done when it stopped: the summary it recorded (cancelled,
   * failed, timed out), read from its history.
   */
  partial?: SyncSummary;
  /** A cancellation requested (of a running sync, not yet taken effect; or of a cancelled one). */
  cancellation?: StopInfo;
  /** Who terminated the run and why (`sync cancel --force`, health, the Web UI). */
  termination?: StopInfo;
  /** Failure message of a failed sync. */
  failure?: string;
}

/** Activity type of the stats step, whose input is the run's summary (also a partial one). */
const STATS_ACTIVITY = 'recordSyncStats';
/** Events read from the end of a run's history to find its stop and its last summary. */
const TAIL_PAGE_EVENTS = 50;
const TAIL_MAX_PAGES = 20;

/** The latest run of a campaign's sync: its state, live progress, and its summary or failure. */
export async function syncStatus(client: Client, campaign: string): Promise<SyncStatus> {
  const workflowId = syncWorkflowId(campaign);
  const handle = client.workflow.getHandle(workflowId);
  let description: WorkflowExecutionDescription;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new SyncNotFoundError(campaign);
    throw err;
  }
  const status: SyncStatus = {
    campaign,
    workflowId,
    runId: description.runId,
    status: description.status.name,
    startedAt: description.startTime,
    closedAt: description.closeTime,
    taskQueue: description.taskQueue,
  };
  const run = client.workflow.getHandle(workflowId, description.runId);
  const name = description.status.name;
  if (name === 'RUNNING') {
    status.workerPolling = await workerPolls(client, description.taskQueue);
    // Without a worker the query would wait for one; there is nothing to answer it.
    if (status.workerPolling)
      status.progress = await client
        .withDeadline(Date.now() + 5000, () => run.query(syncProgressQuery))
        .catch(() => undefined);
    status.activities = pendingActivities(description);
    if (description.raw.workflowExtendedInfo?.cancelRequested)
      status.cancellation = (await readStops(client, workflowId, description.runId, name)).cancellation ?? {};
  } else if (name === 'COMPLETED') {
    status.summary = (await run.result()) as SyncSummary;
  } else {
    if (name === 'FAILED')
      status.failure = await run.result().then(
        () => undefined,
        (err: unknown) => failureMessage(err),
      );
    const stops = await readStops(client, workflowId, description.runId, name);
    if (stops.partial) status.partial = stops.partial;
    if (stops.cancellation) status.cancellation = stops.cancellation;
    if (stops.termination) status.termination = stops.termination;
    if (name === 'TERMINATED' && !stops.partial) {
      // A terminated run recorded nothing; a worker replaying its history answers where it was.
      status.progress = await client
        .withDeadline(Date.now() + 5000, () => run.query(syncProgressQuery))
        .catch(() => undefined);
    }
  }
  return status;
}

type Stops = { partial?: SyncSummary; cancellation?: StopInfo; termination?: StopInfo };

/** What to read from a run's history, by its status, and when that has been found. */
const ENOUGH: Record<string, (found: Stops, pagesRead: number) => boolean> = {
  RUNNING: (f) => f.cancellation !== undefined,
  CANCELLED: (f) => f.cancellation !== undefined,
  FAILED: (f) => f.partial !== undefined,
  TIMED_OUT: (f) => f.partial !== undefined,
  // A cancellation asked before a termination (`sync cancel`, then `--force`) is near the end.
  TERMINATED: (f, pages) => f.termination !== undefined && (f.cancellation !== undefined || pages >= 2),
};

/**
 * Reads a run's history from its end: the last summary it recorded (the input of its stats step:
 * a cancelled, failed or timed-out run records what it did so far), who asked for its cancellation
 * and why, and who terminated it and why. Reads only as far back as its status needs.
 */
export async function readStops(
  client: Client,
  workflowId: string,
  runId: string,
  status: string,
): Promise<Stops> {
  const found: Stops = {};
  const enough = ENOUGH[status] ?? (() => true);
  let nextPageToken: Uint8Array | undefined;
  for (let page = 1; page <= TAIL_MAX_PAGES; page++) {
    const res = await client.workflowService.getWorkflowExecutionHistoryReverse({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      maximumPageSize: TAIL_PAGE_EVENTS,
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    for (const event of res.history?.events ?? []) {
      const at = optionalTsToDate(event.eventTime);
      const terminated = event.workflowExecutionTerminatedEventAttributes;
      if (terminated && !found.termination)
        found.termination = stopInfo(at, terminated.identity, terminated.reason);
      const cancel = event.workflowExecutionCancelRequestedEventAttributes;
      if (cancel && !found.cancellation) found.cancellation = stopInfo(at, cancel.identity, cancel.cause);
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name === STATS_ACTIVITY && !found.partial && !found.cancellation)
        found.partial = await decodeFromPayloadsAtIndex<SyncSummary>(
          client.options.loadedDataConverter,
          0,
          scheduled.input?.payloads,
        );
    }
    if (enough(found, page)) break;
    nextPageToken = res.nextPageToken && res.nextPageToken.length > 0 ? res.nextPageToken : undefined;
    if (!nextPageToken) break;
  }
  return found;
}

/** A stop's when, who and why, each only when history has it. */
function stopInfo(
  at: Date | undefined,
  by: string | null | undefined,
  reason: string | null | undefined,
): StopInfo {
  return { ...(at ? { at } : {}), ...(by ? { by } : {}), ...(reason ? { reason } : {}) };
}

/**
 * The identity the CLI gives Temporal for the requests it makes (recorded with a cancellation or a
 * termination): the person (`USER`, else the account the CLI runs as) and the host.
 */
export function cliIdentity(user: string | undefined): string {
  let who = user;
  if (!who) {
    try {
      who = userInfo().username;
    } catch {
      who = 'unknown';
    }
  }
  return `campaign-sync CLI ${who}@${hostname()}`;
}

/** The innermost message of a workflow failure (the one that says what went wrong). */
export const failureMessage = innermostMessage;
