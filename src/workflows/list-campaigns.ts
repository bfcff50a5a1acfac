import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CampaignListing } from '../shared/activity-io';
import { DEFAULT_TIERS } from '../shared/campaign';
import { NON_RETRYABLE_ERROR_TYPES } from '../shared/errors';

const { listCampaigns: list } = proxyActivities<Activities>({
  startToCloseTimeout: '2m',
  retry: { maximumAttempts: 5, nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES] },
});

/**
 * The campaigns EDD's products give and their MailerLite resources. A workflow, so the CLI needs
 * no provider credentials: the reads run on a worker, which has them.
 */
export async function listCampaigns(input: { tiers?: string[] } = {}): Promise<CampaignListing[]> {
  return list({ tiers: input.tiers ?? [...DEFAULT_TIERS] });
}
