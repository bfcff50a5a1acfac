import { log, proxyActivities, sleep } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { NON_RETRYABLE_ERROR_TYPES } from '../shared/errors';
import {
  scheduleKind,
  SYNC_ALL_WORKFLOW_ID,
  syncRunSummary,
  syncScheduleId,
  syncWorkflowId,
} from '../shared/names';
import type { ScheduledSyncAllResult, ScheduledSyncResult } from '../shared/provisioning';
import { SyncAllInputSchema, type SyncAllInput } from '../shared/sync-all';
import { CAMPAIGN_CODE, SYNC_TRIGGER } from '../shared/search-attributes';
import { SyncInputSchema, type SyncInput, type SyncOptions } from '../shared/sync-types';
import { campaignSync } from './campaign-sync';
import { startChildUnderLock } from './campaign-lock';
import { parseWorkflowInput } from './input';
import { syncAllCampaigns } from './sync-all';

/**
 * How long a full schedule's run waits for the campaign's incremental sync holding the lock (both
 * schedules tick on the minute, so at a full tick an incremental run may have just taken it), and
 * how often it tries again meanwhile. An incremental run takes seconds; past this, it is skipped.
 */
const FULL_WAITS_FOR_INCREMENTAL_MS = 10 * 60_000;
const RETRY_EVERY = '10s';

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
  const options: SyncOptions = parseWorkflowInput(SyncInputSchema, rawInput, 'scheduled sync');
  const { campaign } = options;
  const kind = scheduleKind(options);
  const trigger = rawInput.trigger ?? `schedule:${syncScheduleId(campaign, kind)}`;
  const incremental = `schedule:${syncScheduleId(campaign, 'incremental')}`;
  const waitUntil = Date.now() + FULL_WAITS_FOR_INCREMENTAL_MS;
  for (;;) {
    const child = await startChildUnderLock(campaignSync, {
      workflowId: syncWorkflowId(campaign),
      args: [{ ...rawInput, trigger }],
      staticSummary: syncRunSummary({ ...options, trigger }),
      typedSearchAttributes: [
        { key: CAMPAIGN_CODE, value: campaign },
        { key: SYNC_TRIGGER, value: trigger },
      ],
    });
    if (child) return await child.result();
    const holder = await describeLockHolder({ campaign });
    if (kind !== 'full' || holder.trigger !== incremental || Date.now() >= waitUntil) {
      log.info('scheduled sync skipped: the campaign is locked', { campaign, ...holder });
      return { status: 'skipped', campaign, holder };
    }
    // A full sync is what reconciles refunds and name changes: it waits for the short incremental
    // run rather than losing its night.
    log.info('scheduled full sync waits for the incremental sync holding the lock', { campaign, ...holder });
    await sleep(RETRY_EVERY);
  }
}

/**
 * The action of the all-campaigns schedule (`schedule create --all-campaigns`): starts `sync all`
 * (`syncAllCampaigns`) as its child under its lock ID `campaign-sync-all` (`lockWorkflowId` for
 * tests sharing a server), waits for it and returns its summary. The campaigns are found when the
 * run starts (EDD's album products, as `sync all` finds them), so a campaign added after the
 * schedule was made is synced by its next run. While a `sync all` runs (a manual one), it starts
 * nothing and returns `skipped`, naming the holder. Closing the launcher requests the cancellation
 * of the `sync all` (which cancels its syncs).
 */
export async function scheduledSyncAll(
  rawInput: SyncAllInput & { lockWorkflowId?: string },
): Promise<ScheduledSyncAllResult> {
  const { lockWorkflowId = SYNC_ALL_WORKFLOW_ID, ...input } = rawInput ?? {};
  const { trigger } = parseWorkflowInput(SyncAllInputSchema, input, 'scheduled sync all');
  const child = await startChildUnderLock(syncAllCampaigns, {
    workflowId: lockWorkflowId,
    args: [input],
    staticSummary: `Sync all campaigns, by ${trigger}`,
    typedSearchAttributes: [{ key: SYNC_TRIGGER, value: trigger }],
  });
  if (!child) {
    const holder = await describeLockHolder({ campaign: '', workflowId: lockWorkflowId });
    log.info('scheduled sync all skipped: a sync all is running', { ...holder });
    return { status: 'skipped', holder };
  }
  return { status: 'completed', ...(await child.result()) };
}
