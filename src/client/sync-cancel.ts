import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { syncWorkflowId } from '../shared/names';
import { SyncNotFoundError } from './errors';

/**
 * Asks a campaign's running sync to cancel. The run stops after the activity in flight, records
 * its partial stats and ends as cancelled, which frees the campaign's lock.
 */
export async function cancelSync(
  client: Client,
  campaign: string,
): Promise<{ workflowId: string; runId: string }> {
  const workflowId = syncWorkflowId(campaign);
  const handle = client.workflow.getHandle(workflowId);
  try {
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING')
      throw new SyncNotRunningError(campaign, description.status.name);
    await client.workflow.getHandle(workflowId, description.runId).cancel();
    return { workflowId, runId: description.runId };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new SyncNotFoundError(campaign);
    throw err;
  }
}

export class SyncNotRunningError extends Error {
  constructor(
    readonly campaign: string,
    readonly status: string,
  ) {
    super(`Campaign ${campaign} has no running sync to cancel (its latest run is ${status}).`);
    this.name = 'SyncNotRunningError';
  }
}
