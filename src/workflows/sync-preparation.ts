import { log } from '@temporalio/workflow';
import type { CampaignResources } from '../activities';
import { checkEddConnection, ensureResourcesWithinBudget } from './budgeted-preparation';
import { mailerliteActivities, quick } from './sync-activities';
import type { SyncRun } from './sync-run';

/**
 * Where a sync writes: the campaign's purchase group and purchase field (a dry run's missing group
 * is ''); `missing`: a dry run's groups and fields a real run would create; the group's member
 * counts when provisioning read them (the list path's estimate).
 */
export type SyncDestination = Pick<
  CampaignResources,
  'purchaseGroupId' | 'purchaseFieldKey' | 'missing' | 'purchaseGroupMembers'
>;

/**
 * A sync's preparation: its watermark (incremental runs), EDD's connection check, the campaign's
 * EDD product, and its MailerLite group and field (created when missing). Every MailerLite request
 * goes within the account's budget (see budgeted-preparation.ts). MailerLite's connection check is
 * the first look-up of the group: it fails at once, naming the setting to fix, as the check would,
 * and a separate check would cost a request of every run.
 *
 * An incremental run writes where the last run wrote, as its watermark names it, with no look-up
 * and no MailerLite check: with nothing new it makes no MailerLite request at all. If MailerLite
 * says the group or field is gone, the run starts again looking them up (`SyncRun.fail`), and then
 * syncs in full. A continued run carries what its first run found.
 */
export async function prepare(run: SyncRun): Promise<SyncDestination> {
  const { input, resume } = run;
  if (input.incremental && !resume) {
    run.incrementalFrom = await quick.readWatermark({ campaign: input.campaign });
    if (run.incrementalFrom === null) run.inFull = 'no-watermark';
  }
  // Only the group of this run's purchase tier (a watermark from a run with another tier names
  // another group).
  const kept = run.incrementalFrom?.destination;
  const reuse =
    run.destination ??
    (input.incremental && !input.refreshDestination && !input.dryRun && kept?.tier === input.purchaseTier
      ? kept
      : undefined);
  // Carried over continue-as-new: a continued run writes to what its first run took unchecked.
  run.destinationReused ||= reuse !== undefined && run.destination === undefined;
  // A campaign of `sync all`'s pass: the pass checked both connections at its start.
  if (input.storePass === undefined) {
    run.enter('checking-connections');
    await checkEddConnection();
  }

  run.enter('preparing');
  if (!resume) {
    run.productId = (
      await quick.resolveCampaign({ campaign: input.campaign, productId: input.productId })
    ).productId;
  }
  const resources: SyncDestination = reuse
    ? { purchaseGroupId: reuse.groupId, purchaseFieldKey: reuse.fieldKey, missing: [] }
    : await ensureResourcesWithinBudget(
        { quick, mailerlite: mailerliteActivities(run.info.taskQueue) },
        {
          campaign: input.campaign,
          tiers: input.tiers,
          purchaseTier: input.purchaseTier,
          dryRun: input.dryRun,
        },
      );
  run.resourcesToCreate = resources.missing;
  if (resources.purchaseGroupId !== '') {
    run.destination = {
      groupId: resources.purchaseGroupId,
      fieldKey: resources.purchaseFieldKey,
      tier: input.purchaseTier,
    };
  }
  const moved =
    kept !== undefined &&
    (kept.groupId !== resources.purchaseGroupId || kept.fieldKey !== resources.purchaseFieldKey);
  if (!resume && run.incrementalFrom && !input.dryRun && (input.refreshDestination || moved)) {
    // The watermark's promise (every purchase up to it is in the group, with its field) held for a
    // group or field that is gone (`refreshDestination`, set after MailerLite said so) or is not
    // this run's (another purchase tier): this run fills the group and field it writes in full.
    log.warn("campaign sync: the purchase group or field is not the watermark's; syncing in full", {
      campaign: input.campaign,
    });
    run.incrementalFrom = null;
    run.inFull = input.refreshDestination ? 'destination-gone' : 'other-destination';
  }
  return resources;
}
