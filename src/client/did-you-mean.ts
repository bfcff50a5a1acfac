import type { Client } from '@temporalio/client';
import { closestCampaignCodes } from '../shared/campaign';
import { campaignFromWorkflowId, WORKFLOW_TYPES } from '../shared/names';
import { SyncNotFoundError } from '../temporal/errors';
import { ScheduleMissingError } from './schedules';
import { listSyncScheduleSummaries } from '../temporal/system';

/** Runs of campaign syncs read at most to learn the campaigns that have syncs (newest first). */
const RUNS_READ = 2000;

/** The campaigns with a sync in Temporal's visibility (among the latest {@link RUNS_READ} runs). */
export async function campaignsWithSyncs(client: Client): Promise<string[]> {
  const found = new Set<string>();
  let read = 0;
  for await (const run of client.workflow.list({
    query: `WorkflowType = '${WORKFLOW_TYPES.campaignSync}'`,
    pageSize: 1000,
  })) {
    const campaign = campaignFromWorkflowId(run.workflowId);
    if (campaign) found.add(campaign);
    if (++read >= RUNS_READ) break;
  }
  return [...found];
}

/** The campaigns with a sync schedule. */
export async function campaignsWithSchedules(client: Client): Promise<string[]> {
  return (await listSyncScheduleSummaries(client)).map((s) => s.campaign);
}

/**
 * A "not found" for a campaign that is likely a typo of a known one, said with the known codes it
 * most likely meant (in upper case, or at most two edits away) instead of advice to start or create
 * something for the typo: `sync status/cancel/report/approve/reject` (known: the campaigns with
 * syncs) and the schedule commands (known: the campaigns with schedules). Other errors, and a
 * look-up that fails, leave `err` as it is.
 */
export async function withSuggestions(err: unknown, client: Client | undefined): Promise<unknown> {
  if (!client) return err;
  try {
    if (err instanceof SyncNotFoundError && err.runId === undefined && err.suggestions.length === 0) {
      const suggestions = closestCampaignCodes(err.campaign, await campaignsWithSyncs(client));
      return suggestions.length > 0 ? new SyncNotFoundError(err.campaign, undefined, suggestions) : err;
    }
    if (err instanceof ScheduleMissingError) {
      const suggestions = closestCampaignCodes(err.campaign, await campaignsWithSchedules(client));
      if (suggestions.length === 0) return err;
      const meant = new ScheduleMissingError(err.campaign, err.scheduleId, err.kind);
      meant.message =
        `Campaign ${err.campaign} has no sync schedule (${err.scheduleId}); did you mean ` +
        `${suggestions.join(' or ')}? 'campaign-sync schedule list' lists the schedules.`;
      return meant;
    }
  } catch {
    // The suggestion is a courtesy: without it, the error is still true.
  }
  return err;
}

/** `; did you mean A or B?` for a line that lists nothing for `campaign`, or '' when none is close. */
export async function didYouMeanSynced(client: Client, campaign: string): Promise<string> {
  const suggestions = closestCampaignCodes(campaign, await campaignsWithSyncs(client).catch(() => []));
  return suggestions.length > 0 ? ` Did you mean ${suggestions.join(' or ')}?` : '';
}
