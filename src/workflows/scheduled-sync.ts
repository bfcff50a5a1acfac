import {
  ApplicationFailure,
  log,
  ParentClosePolicy,
  proxyActivities,
  startChild,
  WorkflowIdReusePolicy,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Activities } from '../activities';
import { InvalidInputError, NON_RETRYABLE_ERROR_TYPES } from '../shared/errors';
import { scheduleKind, syncRunSummary, syncScheduleId, syncWorkflowId } from '../shared/names';
import type { ScheduledSyncResult } from '../shared/provisioning';
import { CAMPAIGN_CODE, SYNC_TRIGGER } from '../shared/search-attributes';
import { describeZodIssues, SyncInputSchema, type SyncInput } from '../shared/sync-types';
import { campaignSync } from './campaign-sync';

const { describeLockHolder } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
});

/**
 * The action of a campaign's sync schedule. A Schedule appends its action time to the workflow ID
 * of every run it starts, so a scheduled run cannot itself run under the campaign's lock ID; this
 * launcher starts `campaignSync` as a child under `campaign-sync-<CODE>` (the lock), waits for it
 * and returns its summary. When the campaign is locked (a manual sync, a create, a transition), it
 * starts nothing and returns `skipped`, naming the holder. Closing the launcher (e.g. cancelling
 * it) requests the sync's cancellation.
 */
export async function scheduledCampaignSync(rawInput: SyncInput): Promise<ScheduledSyncResult> {
  const parsed = SyncInputSchema.safeParse(rawInput ?? {});
  if (!parsed.success) {
    const issues = describeZodIssues(parsed.error);
    throw ApplicationFailure.create({
      type: InvalidInputError.name,
      nonRetryable: true,
      message: `Invalid scheduled sync input: ${issues.join('; ')}`,
      details: [issues],
    });
  }
  const { campaign } = parsed.data;
  const trigger = rawInput.trigger ?? `schedule:${syncScheduleId(campaign, scheduleKind(parsed.data))}`;
  let child: ChildWorkflowHandle<typeof campaignSync>;
  try {
    child = await startChild(campaignSync, {
      workflowId: syncWorkflowId(campaign),
      args: [{ ...rawInput, trigger }],
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      staticSummary: syncRunSummary({ ...parsed.data, trigger }),
      typedSearchAttributes: [
        { key: CAMPAIGN_CODE, value: campaign },
        { key: SYNC_TRIGGER, value: trigger },
      ],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const holder = await describeLockHolder({ campaign });
    log.info('scheduled sync skipped: the campaign is locked', { campaign, ...holder });
    return { status: 'skipped', campaign, holder };
  }
  return await child.result();
}
