import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import { optionalTsToDate } from '@temporalio/common';
import { campaignFromWorkflowId, WORKFLOW_TYPES } from '../shared/names';
import { SYNC_TRIGGER } from '../shared/search-attributes';
import type { SyncProgress } from '../shared/sync-types';
import { lockHolderQuery, syncProgressQuery } from '../shared/messages';

/** How long `locks` waits for a run's answer to a query (a run nobody polls never answers). */
const QUERY_TIMEOUT_MS = 3000;

/** When a lock is released at the latest, and why then. */
export interface LockRelease {
  /** ISO time; absent when nothing bounds the run. */
  at?: string;
  /** What sets that time, or `when the run ends (no timeout set)`. */
  reason: string;
}

export interface HeldLock {
  campaign: string;
  workflowId: string;
  runId: string;
  startedAt: Date;
  /** Who started the run (`cli`, `schedule:<id>`, `sync-all:<id>`, `transition:<id>`, `create:<id>`), when recorded. */
  trigger?: string;
  /** `campaignSync`, or `campaignLock` when another workflow (a transition, a provisioning) holds it. */
  workflowType: string;
  /** Who holds the lock: the trigger, or for a lock run the holder it answers to its `holder` query. */
  holder: string;
  /** The workflow that started the run (a schedule's launcher, a sync all, a transition), if any. */
  parentWorkflowId?: string;
  /** A sync's live progress (phase, pages, counts), when it answered in time. */
  progress?: SyncProgress;
  /** When the lock is released at the latest. */
  releaseBy: LockRelease;
}

/** Runs `fn` with a deadline, giving undefined when it fails or the run does not answer in time. */
async function within<T>(client: Client, fn: () => Promise<T>): Promise<T | undefined> {
  try {
    return await client.withDeadline(Date.now() + QUERY_TIMEOUT_MS, fn);
  } catch {
    return undefined;
  }
}

/** The time Temporal itself ends a run (its execution or run timeout), if it has one. */
function expiration(d: WorkflowExecutionDescription | undefined): Date | undefined {
  const extended = d?.raw.workflowExtendedInfo;
  const times = [
    optionalTsToDate(extended?.executionExpirationTime),
    optionalTsToDate(extended?.runExpirationTime),
  ].filter((t): t is Date => t !== undefined && t.getTime() > 0);
  return times.sort((a, b) => a.getTime() - b.getTime())[0];
}

/**
 * When a lock is released at the latest: the earliest of a sync's overall `timeout` deadline
 * (it stops at the next page boundary after it), the run's own execution timeout, and the
 * execution timeout of the workflow that started it (a lock run ends with its holder; a child
 * sync is cancelled with its parent). Without any: when the run ends.
 */
function releaseBy(
  progress: SyncProgress | undefined,
  own: WorkflowExecutionDescription | undefined,
  parent: WorkflowExecutionDescription | undefined,
): LockRelease {
  const bounds: { at: Date; reason: string }[] = [];
  if (progress?.deadline)
    bounds.push({
      at: new Date(progress.deadline),
      reason: "the sync's overall timeout (it stops at the next page boundary after it)",
    });
  const ownEnd = expiration(own);
  if (ownEnd) bounds.push({ at: ownEnd, reason: "the run's execution timeout" });
  const parentEnd = expiration(parent);
  if (parentEnd && parent)
    bounds.push({ at: parentEnd, reason: `the execution timeout of ${parent.workflowId}, which holds it` });
  bounds.sort((a, b) => a.at.getTime() - b.at.getTime());
  const first = bounds[0];
  if (first) return { at: first.at.toISOString(), reason: first.reason };
  return own?.type === WORKFLOW_TYPES.campaignLock
    ? { reason: `when its holder ends or releases it (no timeout set)` }
    : { reason: 'when the run ends (no timeout set)' };
}

/**
 * Every campaign lock held now: the running sync workflows, and the lock-holding runs other
 * workflows (transitions, provisioning) start under a campaign's sync workflow ID, each with its
 * holder, start time, progress and when it is released at the latest. Read from Temporal's
 * visibility store, which is eventually consistent: a run started a moment ago may not be listed
 * yet. A run that does not answer its query within a few seconds (no worker) is listed without
 * progress.
 */
export async function listLocks(client: Client): Promise<HeldLock[]> {
  const query = `WorkflowType IN ('${WORKFLOW_TYPES.campaignSync}', '${WORKFLOW_TYPES.campaignLock}') AND ExecutionStatus = 'Running'`;
  const listed: Omit<HeldLock, 'holder' | 'releaseBy'>[] = [];
  for await (const execution of client.workflow.list({ query })) {
    const campaign = campaignFromWorkflowId(execution.workflowId);
    if (!campaign) continue;
    listed.push({
      campaign,
      workflowId: execution.workflowId,
      runId: execution.runId,
      startedAt: execution.startTime,
      trigger: execution.typedSearchAttributes.get(SYNC_TRIGGER),
      workflowType: execution.type,
      ...(execution.parentExecution?.workflowId
        ? { parentWorkflowId: execution.parentExecution.workflowId }
        : {}),
    });
  }
  const locks = await Promise.all(
    listed.map(async (lock): Promise<HeldLock> => {
      const handle = client.workflow.getHandle(lock.workflowId, lock.runId);
      const own = await within(client, () => handle.describe());
      const parentId = own?.parentExecution?.workflowId;
      const parentRunId = own?.parentExecution?.runId ?? undefined;
      const [parent, progress, holder] = await Promise.all([
        parentId
          ? within(client, () => client.workflow.getHandle(parentId, parentRunId).describe())
          : undefined,
        lock.workflowType === WORKFLOW_TYPES.campaignSync
          ? within(client, () => handle.query(syncProgressQuery))
          : undefined,
        lock.workflowType === WORKFLOW_TYPES.campaignLock
          ? within(client, () => handle.query(lockHolderQuery))
          : undefined,
      ]);
      return {
        ...lock,
        holder: holder?.holder ?? lock.trigger ?? progress?.trigger ?? 'unknown',
        ...(progress ? { progress } : {}),
        releaseBy: releaseBy(progress, own, parent),
      };
    }),
  );
  return locks.sort((a, b) => a.campaign.localeCompare(b.campaign));
}
