import type { Client } from '@temporalio/client';
import { campaignFromWorkflowId, WORKFLOW_TYPES } from '../shared/names';
import { SYNC_TRIGGER } from '../shared/search-attributes';

export interface HeldLock {
  campaign: string;
  workflowId: string;
  runId: string;
  startedAt: Date;
  /** Who started the run (`manual`, a schedule, ...), when recorded. */
  trigger?: string;
  /** `campaignSync`, or `campaignLock` when another workflow (a transition, a provisioning) holds it. */
  workflowType: string;
}

/**
 * Every campaign lock held now: the running sync workflows, and the lock-holding runs other
 * workflows (transitions, provisioning) start under a campaign's sync workflow ID. Read from Temporal's visibility
 * store, which is eventually consistent: a run started a moment ago may not be listed yet.
 */
export async function listLocks(client: Client): Promise<HeldLock[]> {
  const locks: HeldLock[] = [];
  const query = `WorkflowType IN ('${WORKFLOW_TYPES.campaignSync}', '${WORKFLOW_TYPES.campaignLock}') AND ExecutionStatus = 'Running'`;
  for await (const execution of client.workflow.list({ query })) {
    const campaign = campaignFromWorkflowId(execution.workflowId);
    if (!campaign) continue;
    locks.push({
      campaign,
      workflowId: execution.workflowId,
      runId: execution.runId,
      startedAt: execution.startTime,
      trigger: execution.typedSearchAttributes.get(SYNC_TRIGGER),
      workflowType: execution.type,
    });
  }
  return locks.sort((a, b) => a.campaign.localeCompare(b.campaign));
}
