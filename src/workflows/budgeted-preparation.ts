import type { Activities, CampaignResources } from '../activities';

/** MailerLite requests `ensureCampaignResources` makes to look: the campaign's groups, the fields. */
export const PROVISIONING_LOOKUPS = 2;

/** The activities a workflow's preparation calls, on the main queue and on the MailerLite queue. */
export interface PreparationActivities {
  quick: Pick<Activities, 'checkEdd' | 'ensureCampaignResources'>;
  mailerlite: Pick<Activities, 'checkMailerLite' | 'mailerliteTurn'>;
}

/**
 * Both connection checks, the MailerLite one on the MailerLite queue, so its request is within the
 * account's budget like every other.
 */
export async function checkConnectionsWithinBudget({
  quick,
  mailerlite,
}: PreparationActivities): Promise<void> {
  await Promise.all([quick.checkEdd(), mailerlite.checkMailerLite()]);
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
