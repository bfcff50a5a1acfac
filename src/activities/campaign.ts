import {
  CampaignNotFoundError,
  CampaignResourceConflictError,
  ProviderRequestError,
  ProviderTransientError,
} from '../shared/errors';
import {
  campaignFromProduct,
  closestCampaignCodes,
  fieldKey,
  purchaseFieldName,
  tierGroupName,
} from '../shared/campaign';
import { pickGroup, type MailerLiteClient, type MlGroup } from '../providers';
import { checkFailure } from './connections';
import { unreachable } from '../providers/connection-failure';
import type { ActivityDeps } from './deps';

export interface ResolvedCampaign {
  campaign: string;
  productId: number;
  productTitle: string;
}

export interface CampaignResources {
  /** Group ID by tier name. */
  groupIds: Record<string, string>;
  /** The group purchasers join. */
  purchaseGroupId: string;
  /** Key of the `<CAMPAIGN>_PURCHASE` field in subscribers' `fields`. */
  purchaseFieldKey: string;
  /**
   * The purchase group's members by status, as the group listing reported them before this call
   * (absent when the group was just created or the listing gave no counts): what reading the group
   * would cost a full sync's list path (see workflows/list-path.ts).
   */
  purchaseGroupMembers?: GroupMemberCounts;
  /** Names of the groups and fields this call created (empty when all existed). */
  created: string[];
  /** In a dry run: names of the groups and fields a real run would create (nothing is created). */
  missing: string[];
}

/** A group's members by status (MailerLite's group object). */
export interface GroupMemberCounts {
  active: number;
  unsubscribed: number;
  unconfirmed: number;
  bounced: number;
  junk: number;
}

function memberCounts(group: MlGroup | undefined): GroupMemberCounts | undefined {
  if (group?.active_count === undefined) return undefined;
  return {
    active: group.active_count,
    unsubscribed: group.unsubscribed_count ?? 0,
    unconfirmed: group.unconfirmed_count ?? 0,
    bounced: group.bounced_count ?? 0,
    junk: group.junk_count ?? 0,
  };
}

export function campaignActivities({ providers, logger }: ActivityDeps) {
  return {
    /** Finds the EDD album product of a campaign (by its derived code, or by the given product ID). */
    async resolveCampaign(input: { campaign: string; productId?: number }): Promise<ResolvedCampaign> {
      const known: string[] = [];
      for (const { info } of await providers.edd.listAllProducts()) {
        const code = campaignFromProduct({ title: info.title, createDate: info.create_date });
        const matches = input.productId !== undefined ? info.id === input.productId : code === input.campaign;
        if (matches) return { campaign: input.campaign, productId: info.id, productTitle: info.title };
        if (code) known.push(code);
      }
      throw new CampaignNotFoundError(
        input.campaign,
        input.productId === undefined ? closestCampaignCodes(input.campaign, known) : [],
      );
    },

    /**
     * Makes no request: it runs on the MailerLite task queue, whose rate limit is the account's
     * budget, so running it takes one request's place in the budget for a request that another
     * activity makes (`ensureCampaignResources` makes its few in one activity). A sync takes a turn
     * for each such request first, so every MailerLite request it causes is within the budget.
     */
    async mailerliteTurn(): Promise<void> {},

    /**
     * Makes sure the campaign's tier groups and its purchase field exist in MailerLite, creating
     * what is missing. Safe to repeat and to race: a duplicate-name refusal means another run
     * created it first, and the existing one is used.
     */
    async ensureCampaignResources(input: {
      campaign: string;
      tiers: string[];
      purchaseTier: string;
      /** Look only: report what is missing instead of creating it (a missing group's ID is ''). */
      dryRun?: boolean;
    }): Promise<CampaignResources> {
      const ml = providers.mailerlite;
      const created: string[] = [];
      const missing: string[] = [];
      const groupIds: Record<string, string> = {};
      // One listing finds every group whose name contains the campaign code (MailerLite filters
      // names partially), instead of one look-up per tier: requests are the scarce resource. It is
      // also the sync's MailerLite connection check: a refused token or an unreachable server fails
      // it naming the setting to fix, as `checkMailerLiteConnection` would.
      const existing = await reread(() => ml.listAllGroups(input.campaign), {
        quickWhenUnreachable: true,
      }).catch((err: unknown) => {
        throw checkFailure('mailerlite', ml.baseUrl, err);
      });
      for (const tier of input.tiers) {
        const name = tierGroupName(input.campaign, tier);
        if (input.dryRun) {
          const found = pickGroup(existing, name);
          if (!found) missing.push(name);
          groupIds[tier] = found?.id ?? '';
          continue;
        }
        const { group, wasCreated } = await ensureGroup(ml, name, existing);
        if (wasCreated) created.push(name);
        groupIds[tier] = group.id;
      }
      const purchaseGroupMembers = memberCounts(
        pickGroup(existing, tierGroupName(input.campaign, input.purchaseTier)),
      );
      const members = purchaseGroupMembers ? { purchaseGroupMembers } : {};
      const fieldName = purchaseFieldName(input.campaign);
      const wantedKey = fieldKey(fieldName);
      let field = (await reread(() => ml.listFields())).find(
        (f) => f.name === fieldName || f.key === wantedKey,
      );
      if (!field && input.dryRun) {
        missing.push(fieldName);
        return {
          groupIds,
          purchaseGroupId: groupIds[input.purchaseTier]!,
          purchaseFieldKey: wantedKey,
          ...members,
          created,
          missing,
        };
      }
      if (!field) {
        const made = await createOnce(
          () => ml.createField(fieldName, 'number'),
          async () => (await ml.listFields()).find((f) => f.name === fieldName || f.key === wantedKey),
        );
        field = made.value;
        if (made.created) created.push(fieldName);
      }
      if (field.type !== 'number') {
        throw new CampaignResourceConflictError(
          fieldName,
          `MailerLite field ${fieldName} is a ${field.type} field; the purchase field must be a number field ` +
            `(it holds EDD order IDs). Delete or rename it in MailerLite, then sync again.`,
        );
      }
      if (created.length > 0)
        logger.info({ campaign: input.campaign, created }, 'created campaign resources');
      return {
        groupIds,
        purchaseGroupId: groupIds[input.purchaseTier]!,
        purchaseFieldKey: field.key,
        ...members,
        created,
        missing,
      };
    },
  };
}

/**
 * A read of the provisioning, tried twice more in place on a transient failure (a 5xx, a reset, a
 * malformed body), as the EDD client does. Provisioning makes a dozen requests in one activity; an
 * attempt that fails keeps what it created, but one lost to a blip on a read makes no progress, and
 * under a flaky MailerLite the retry policy's ten attempts could run out before every group exists.
 */
async function reread<T>(read: () => Promise<T>, opts: { quickWhenUnreachable?: boolean } = {}): Promise<T> {
  for (let failures = 0; ; failures++) {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof ProviderTransientError) || failures >= 2) throw err;
      // As a connection check: a server that cannot be reached is the attempt's answer (the
      // client already tried it in place); the activity's few quick attempts decide.
      if (opts.quickWhenUnreachable && unreachable(err)) throw err;
      await pause(100 * 4 ** failures);
    }
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function ensureGroup(
  ml: MailerLiteClient,
  name: string,
  existing: MlGroup[],
): Promise<{ group: MlGroup; wasCreated: boolean }> {
  const found = pickGroup(existing, name);
  if (found) return { group: found, wasCreated: false };
  const made = await createOnce(
    () => ml.createGroup(name),
    () => ml.findGroupByName(name),
  );
  return { group: made.value, wasCreated: made.created };
}

/**
 * Creates a group or field, tried twice more in place on a transient failure. A failed create may
 * have been applied (a 500 after the write, a timeout), so before trying again it looks the
 * resource up and takes it when it is there: no duplicate, whether or not MailerLite refuses
 * duplicate names. A duplicate-name refusal (422) means another run created it first.
 */
async function createOnce<T>(
  create: () => Promise<T>,
  lookUp: () => Promise<T | undefined>,
): Promise<{ value: T; created: boolean }> {
  for (let failures = 0; ; failures++) {
    try {
      return { value: await create(), created: true };
    } catch (err) {
      if (err instanceof ProviderRequestError && err.status === 422) {
        const raced = await reread(lookUp);
        if (!raced) throw err;
        return { value: raced, created: false };
      }
      if (!(err instanceof ProviderTransientError) || failures >= 2) throw err;
      await pause(100 * 4 ** failures);
      const applied = await reread(lookUp);
      if (applied) return { value: applied, created: true };
    }
  }
}
