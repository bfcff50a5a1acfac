import {
  ApplicationFailure,
  condition,
  isCancellation,
  log,
  ParentClosePolicy,
  setHandler,
  startChild,
  WorkflowIdReusePolicy,
  workflowInfo,
  type ChildWorkflowHandle,
  type ChildWorkflowOptions,
  type Workflow,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError, type WithWorkflowArgs } from '@temporalio/common';
import { CampaignLockedError } from '../shared/errors';
import { syncWorkflowId } from '../shared/names';
import { CAMPAIGN_CODE, SYNC_TRIGGER } from '../shared/search-attributes';
import { lockHolderQuery, releaseLockSignal, type CampaignLockInput } from '../shared/messages';

/**
 * Holds a campaign's lock for another workflow: it runs under the campaign's sync workflow ID
 * (`campaign-sync-<CODE>`), so while it is open no sync of the campaign can start, and ends when
 * its parent signals `release`, or when the parent closes (parent close policy TERMINATE), so a
 * lock can never outlive the work it protects.
 */
export async function campaignLock(input: CampaignLockInput): Promise<{ campaign: string; holder: string }> {
  let released = false;
  setHandler(releaseLockSignal, () => {
    released = true;
  });
  setHandler(lockHolderQuery, () => input);
  try {
    await condition(() => released);
  } catch (err) {
    if (!isCancellation(err)) throw err;
  }
  return { campaign: input.campaign, holder: input.holder };
}

/**
 * Starts `workflow` as a child under a lock ID (`options.workflowId`, e.g. `campaign-sync-<CODE>`):
 * Temporal refuses a second open run with that ID, so the child runs only while no one else holds
 * the lock. Returns the child, or `undefined` when the lock is held (nothing was started; ask
 * `describeLockHolder` who holds it). Closing the parent requests the child's cancellation.
 */
export async function startChildUnderLock<T extends Workflow>(
  workflow: T,
  // The close and reuse policies are the lock's own. (`startChild` sets `typeInfo` itself for a
  // workflow function; typed out, the options pass through to it.)
  options: WithWorkflowArgs<
    T,
    Omit<ChildWorkflowOptions, 'typeInfo' | 'parentClosePolicy' | 'workflowIdReusePolicy'> & {
      workflowId: string;
      typeInfo?: undefined;
    }
  >,
): Promise<ChildWorkflowHandle<T> | undefined> {
  try {
    return await startChild(workflow, {
      ...options,
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return undefined;
    throw err;
  }
}

/** Locks held by one workflow; release them all with {@link LockSet.release}. */
export class LockSet {
  constructor(private readonly handles: ChildWorkflowHandle<typeof campaignLock>[]) {}

  get campaigns(): string[] {
    return this.handles.map((h) => h.workflowId);
  }

  /**
   * Ends every lock run and waits for it to close. A lock run that has ended already (cancelled
   * with its parent, or terminated by hand) is free, which is all releasing wants.
   */
  async release(): Promise<void> {
    await Promise.all(
      this.handles.map(async (handle) => {
        try {
          await handle.signal(releaseLockSignal);
          await handle.result();
        } catch (err) {
          log.warn('campaign lock had ended before its release', {
            workflowId: handle.workflowId,
            error: err instanceof Error ? err.message : String(err),
          });
        }
      }),
    );
  }
}

/**
 * Takes the locks of several campaigns for the calling workflow, in code order (so two callers
 * wanting the same pair cannot each hold one and wait for the other). A campaign already locked,
 * by a running sync or another holder, fails at once with {@link CampaignLockedError} naming the
 * lock's workflow ID; the locks taken so far are released first.
 */
export async function acquireCampaignLocks(campaigns: string[], holder: string): Promise<LockSet> {
  const taken: ChildWorkflowHandle<typeof campaignLock>[] = [];
  const info = workflowInfo();
  for (const campaign of [...new Set(campaigns)].sort()) {
    const workflowId = syncWorkflowId(campaign);
    try {
      taken.push(
        await startChild(campaignLock, {
          workflowId,
          args: [{ campaign, holder }],
          taskQueue: info.taskQueue,
          parentClosePolicy: ParentClosePolicy.TERMINATE,
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
          typedSearchAttributes: [
            { key: CAMPAIGN_CODE, value: campaign },
            { key: SYNC_TRIGGER, value: holder },
          ],
        }),
      );
    } catch (err) {
      await new LockSet(taken).release();
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw ApplicationFailure.create({
          type: CampaignLockedError.name,
          nonRetryable: true,
          message:
            `Campaign ${campaign} is locked: workflow ${workflowId} is running (a sync, or another ` +
            `workflow holding the lock). See 'campaign-sync locks'; try again once it ends.`,
          details: [{ campaign, workflowId }],
        });
      }
      throw err;
    }
  }
  return new LockSet(taken);
}
