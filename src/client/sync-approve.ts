import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { syncWorkflowId } from '../shared/names';
import { decideRemovalsUpdate, type RemovalDecision, type RemovalDecisionResult } from '../shared/messages';
import { SyncNotFoundError } from '../temporal/errors';

/** A mirror sync's removals could not be decided (none are waiting, or the count differs). */
export class RemovalDecisionError extends Error {
  override name = 'RemovalDecisionError';
}

/**
 * Approves or refuses the removals a mirror sync waits for, through the `decideRemovals` update:
 * the workflow checks the decision before accepting it, so a decision sent when none is awaited,
 * or for another count than is pending, is refused with the reason instead of being lost.
 */
export async function decideRemovals(
  client: Client,
  campaign: string,
  decision: RemovalDecision & { approve: boolean },
): Promise<RemovalDecisionResult> {
  const handle = client.workflow.getHandle(syncWorkflowId(campaign));
  try {
    return await handle.executeUpdate(decideRemovalsUpdate, { args: [decision] });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      // The server says "not found" for an update to a closed run too: say which it is.
      const closed = await handle.describe().then(
        (d) => d.status.name,
        () => undefined,
      );
      if (closed === undefined) throw new SyncNotFoundError(campaign);
      throw new RemovalDecisionError(
        `Campaign ${campaign}: no sync is waiting for a decision on removals; its latest sync is ${closed} ` +
          `('campaign-sync sync status ${campaign}' shows it).`,
      );
    }
    if (err instanceof WorkflowUpdateFailedError) {
      const cause = err.cause instanceof Error ? err.cause.message : err.message;
      throw new RemovalDecisionError(`Campaign ${campaign}: ${cause}`);
    }
    throw err;
  }
}
