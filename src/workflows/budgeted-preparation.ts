import { proxyActivities } from '@temporalio/workflow';
import type { Activities, CampaignResources } from '../activities';
import { mailerliteTaskQueue } from '../shared/names';
import { ACTIVITY_RETRY } from './retry';

/** MailerLite requests `ensureCampaignResources` makes to look: the campaign's groups, the fields. */
export const PROVISIONING_LOOKUPS = 2;

/**
 * The connection checks retry as any activity does, but fail the run at once, naming the setting
 * to fix, when the provider refuses the worker's credentials or requests (not retried), or cannot
 * be reached at all (refused, no such host, no answer: its third attempt, within about 3 s, is
 * final; see `UNREACHABLE_ATTEMPTS`). A passing error (a 5xx, a reset, a rate limit) is retried.
 */
const CHECK_RETRY = ACTIVITY_RETRY;

/** Two minutes: an EDD read is tried three times in place, each within the 30 s HTTP timeout. */
const CHECK_TIMEOUT = '2m';

const mainChecks = proxyActivities<Activities>({ startToCloseTimeout: CHECK_TIMEOUT, retry: CHECK_RETRY });

/** The activities a workflow's preparation calls, on the main queue and on the MailerLite queue. */
export interface PreparationActivities {
  quick: Pick<Activities, 'ensureCampaignResources'>;
  mailerlite: Pick<Activities, 'mailerliteTurn'>;
}

/**
 * Both connection checks with the worker's settings (MailerLite's one request, EDD's two); the
 * MailerLite one on the MailerLite queue of `taskQueue` (the workflow's), so its request is within
 * the account's budget like every other. A provider that cannot be used fails the run here, naming the setting to fix.
 */
export async function checkConnectionsWithinBudget(taskQueue: string): Promise<void> {
  await Promise.all([checkEddConnection(), checkMailerLiteWithinBudget(taskQueue)]);
}

/** EDD's connection check alone (two requests; EDD has no request budget). */
export async function checkEddConnection(): Promise<void> {
  await mainChecks.checkEddConnection();
}

/** MailerLite's connection check alone: one request, on the MailerLite queue of `taskQueue`. */
export async function checkMailerLiteWithinBudget(taskQueue: string): Promise<void> {
  const mailerliteChecks = proxyActivities<Activities>({
    taskQueue: mailerliteTaskQueue(taskQueue),
    startToCloseTimeout: CHECK_TIMEOUT,
    retry: CHECK_RETRY,
  });
  await mailerliteChecks.checkMailerLiteConnection();
}

/**
 * `ensureCampaignResources` with its MailerLite requests within the account's budget. Its few
 * requests run in one activity (look-ups, then creations with their race handling), so it first
 * takes a turn on the MailerLite queue for each: the two look-ups, then, when something is missing
 * (a campaign's first sync), one per creation and the look-ups again.
 */
export async function ensureResourcesWithinBudget(
  { quick, mailerlite }: PreparationActivities,
  input: { campaign: string; tiers: string[]; purchaseTier: string; dryRun: boolean },
): Promise<CampaignResources> {
  const turns = (n: number) => Promise.all(Array.from({ length: n }, () => mailerlite.mailerliteTurn()));
  await turns(PROVISIONING_LOOKUPS);
  const looked = await quick.ensureCampaignResources({ ...input, dryRun: true });
  if (input.dryRun || looked.missing.length === 0) return looked;
  await turns(looked.missing.length + PROVISIONING_LOOKUPS);
  return quick.ensureCampaignResources(input);
}
