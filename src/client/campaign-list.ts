import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { CampaignListing } from '../activities';
import { WORKFLOW_TYPES } from '../shared/names';

/** The campaigns EDD's products give, with their MailerLite resources (read on a worker). */
export function listCampaigns(client: Client, taskQueue: string): Promise<CampaignListing[]> {
  return client.workflow.execute<() => Promise<CampaignListing[]>>(WORKFLOW_TYPES.listCampaigns, {
    taskQueue,
    workflowId: `campaign-list-${randomUUID()}`,
    args: [],
  });
}

export function formatCampaigns(campaigns: CampaignListing[]): string {
  if (campaigns.length === 0) return 'No album campaigns found: no EDD product is titled "Artist - Album".';
  return [
    'Campaigns found in EDD (MailerLite resources):',
    ...campaigns.map(
      (c) =>
        `  ${c.campaign.padEnd(20)} product ${String(c.productId).padEnd(6)} groups ${c.groupsPresent}/${c.groupsExpected}` +
        `  purchase field ${c.purchaseField ? 'yes' : 'no '}  ${c.title}`,
    ),
  ].join('\n');
}
