import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { CampaignListing } from '../shared/activity-io';
import { WORKFLOW_TYPES } from '../shared/names';
import { markStatus, plain, type Emphasis } from './present';
import { whenAndAge } from '../shared/when';
import { syncHistory, type SyncHistoryEntry } from './sync-history';

/** A campaign, and its last sync when it has one (from Temporal's visibility). */
export interface CampaignWithLastSync extends CampaignListing {
  lastSync?: Pick<SyncHistoryEntry, 'runId' | 'status' | 'trigger' | 'startedAt' | 'closedAt'>;
}

/**
 * The campaigns EDD's products give, with their MailerLite resources (read on a worker), and each
 * one's last sync: its result and when.
 */
export async function listCampaigns(client: Client, taskQueue: string): Promise<CampaignWithLastSync[]> {
  const campaigns = await client.workflow.execute<() => Promise<CampaignListing[]>>(
    WORKFLOW_TYPES.listCampaigns,
    { taskQueue, workflowId: `campaign-list-${randomUUID()}`, args: [] },
  );
  return Promise.all(
    campaigns.map(async (c) => {
      const [last] = await syncHistory(client, c.campaign, 1, { results: false });
      if (!last) return c;
      const { runId, status, trigger, startedAt, closedAt } = last;
      return {
        ...c,
        lastSync: {
          runId,
          status,
          startedAt,
          ...(trigger ? { trigger } : {}),
          ...(closedAt ? { closedAt } : {}),
        },
      };
    }),
  );
}

export function formatCampaigns(
  campaigns: CampaignWithLastSync[],
  now = new Date(),
  emphasis: Emphasis = plain,
): string {
  if (campaigns.length === 0) return 'No album campaigns found: no EDD product is titled "Artist - Album".';
  return [
    'Campaigns found in EDD (MailerLite resources):',
    ...campaigns.map(
      (c) =>
        `  ${c.campaign.padEnd(20)} product ${String(c.productId).padEnd(6)} groups ${c.groupsPresent}/${c.groupsExpected}` +
        `  purchase field ${c.purchaseField ? 'yes' : 'no '}  ${c.title}` +
        `\n  ${''.padEnd(20)} last sync: ${
          c.lastSync
            ? `${markStatus(c.lastSync.status, emphasis)} ${whenAndAge(c.lastSync.closedAt ?? c.lastSync.startedAt, now)}, by ${c.lastSync.trigger ?? 'unknown'}`
            : 'never'
        }`,
    ),
  ].join('\n');
}
