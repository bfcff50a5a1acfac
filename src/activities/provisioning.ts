import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import { fieldKey, purchaseFieldName, tierGroupName } from '../shared/campaign';
import { InvalidInputError, ProviderNotFoundError, ProviderRequestError } from '../shared/errors';
import { syncWorkflowId } from '../shared/names';
import type { LockHolder, ScheduleTiming } from '../shared/provisioning';
import { SYNC_TRIGGER } from '../shared/search-attributes';
import { buildSyncSchedule } from '../shared/sync-schedule';
import type { SyncInput } from '../shared/sync-types';
import { pickGroup } from '../providers';
import { requireTemporalClient, type ActivityDeps } from './deps';

/** What of a campaign's MailerLite resources exists now. */
export interface ExistingCampaignResources {
  /** Each tier's group, in tier order; `id` null when it does not exist. */
  groups: { tier: string; name: string; id: string | null }[];
  /** The `<CAMPAIGN>_PURCHASE` field, or null. */
  field: { id: string; name: string; key: string; type: string } | null;
  /** Groups the whole account holds now, and the most it may hold (`MAILERLITE_MAX_GROUPS`). */
  accountGroups: { count: number; max: number };
}

/** A create step's answer: created now (with its ID), or found to exist already (reused). */
export type CreateOutcome = { created: true; id: string } | { created: false };

/** MailerLite's refusal of a duplicate name: `422 {"errors":{"name":["The name has already been taken."]}}`. */
function isNameTaken(err: unknown): boolean {
  return (
    err instanceof ProviderRequestError &&
    err.status === 422 &&
    (err.fieldErrors.name ?? []).some((m) => /already been taken/i.test(m))
  );
}

/**
 * The steps of `campaign create` (a saga, see src/workflows/campaign-create.ts). Every MailerLite
 * create or delete is one activity making exactly one API request (they run on the MailerLite task
 * queue, whose rate limit is the account's budget); the look-up pages, like the sync's. Each step
 * says whether it created its resource, so the saga undoes exactly what its own run created.
 */
export function provisioningActivities({ providers, logger, temporal, mailerliteMaxGroups }: ActivityDeps) {
  const ml = providers.mailerlite;

  const requireClient = (): Client => requireTemporalClient({ temporal }, 'schedule steps need');

  /** Creates a MailerLite group or field; a name already taken is reported, not created. */
  const createNamed = async (
    kind: 'group' | 'field',
    name: string,
    create: () => Promise<{ id: string }>,
  ): Promise<CreateOutcome> => {
    try {
      const { id } = await create();
      logger.info({ [kind]: name, id }, `created MailerLite ${kind}`);
      return { created: true, id };
    } catch (err) {
      if (isNameTaken(err)) return { created: false };
      throw err;
    }
  };

  /** Deletes a MailerLite group or field (a compensation); already gone (404) counts as done. */
  const deleteUnlessGone = async (
    kind: 'group' | 'field',
    input: { id: string; name: string },
    remove: () => Promise<void>,
  ): Promise<{ deleted: boolean }> => {
    try {
      await remove();
      logger.info({ [kind]: input.name, id: input.id }, `deleted MailerLite ${kind} (undo)`);
      return { deleted: true };
    } catch (err) {
      if (err instanceof ProviderNotFoundError) return { deleted: false };
      throw err;
    }
  };

  return {
    /**
     * The campaign's tier groups and purchase field as they exist now (one listing of each), and
     * how many groups the account holds against its limit.
     */
    async lookupCampaignResources(input: {
      campaign: string;
      tiers: string[];
    }): Promise<ExistingCampaignResources> {
      const groups = await ml.listAllGroups(input.campaign);
      const fieldName = purchaseFieldName(input.campaign);
      const wantedKey = fieldKey(fieldName);
      const field = (await ml.listFields()).find((f) => f.name === fieldName || f.key === wantedKey);
      const accountGroups = { count: await ml.countGroups(), max: mailerliteMaxGroups ?? 1000 };
      return {
        accountGroups,
        groups: input.tiers.map((tier) => {
          const name = tierGroupName(input.campaign, tier);
          return { tier, name, id: pickGroup(groups, name)?.id ?? null };
        }),
        field: field ? { id: field.id, name: field.name, key: field.key, type: field.type } : null,
      };
    },

    /** `POST /api/groups`. A name already taken (a race, or a lost answer) is reported, not created. */
    createCampaignGroup: (input: { name: string }) =>
      createNamed('group', input.name, () => ml.createGroup(input.name)),

    /** `DELETE /api/groups/{id}`: a compensation. Already gone (404) counts as done. */
    deleteCampaignGroup: (input: { id: string; name: string }) =>
      deleteUnlessGone('group', input, () => ml.deleteGroup(input.id)),

    /** `POST /api/fields {type: number}`. A name already taken is reported, not created. */
    createCampaignField: (input: { name: string }) =>
      createNamed('field', input.name, () => ml.createField(input.name, 'number')),

    /** `DELETE /api/fields/{id}`: a compensation. Already gone (404) counts as done. */
    deleteCampaignField: (input: { id: string; name: string }) =>
      deleteUnlessGone('field', input, () => ml.deleteField(input.id)),

    /** Whether a schedule with this ID exists. */
    async findSyncSchedule(input: { scheduleId: string }): Promise<{ exists: boolean }> {
      try {
        await requireClient().schedule.getHandle(input.scheduleId).describe();
        return { exists: true };
      } catch (err) {
        if (err instanceof ScheduleNotFoundError) return { exists: false };
        throw err;
      }
    },

    /**
     * Creates the campaign's sync schedule, built by `buildSyncSchedule` (src/shared/sync-schedule.ts,
     * which `schedule create` uses too): overlap SKIP, catch-up window 10 minutes, a default
     * `timeout` for its syncs; its action starts the launcher `scheduledCampaignSync` on the
     * worker's task queue. An existing schedule with the ID is reused, unless its memo names
     * `owner` (this run: an earlier attempt of this step created it, and its answer was lost).
     */
    async createSyncSchedule(input: {
      campaign: string;
      scheduleId: string;
      timing: ScheduleTiming;
      taskQueue: string;
      args: SyncInput;
      /** `<workflowId>/<runId>` of the provisioning run, recorded in the schedule's memo. */
      owner: string;
    }): Promise<{ created: boolean }> {
      const client = requireClient();
      try {
        await client.schedule.create(
          buildSyncSchedule({
            campaign: input.campaign,
            scheduleId: input.scheduleId,
            timing: input.timing,
            taskQueue: input.taskQueue,
            args: input.args,
            createdBy: input.owner,
            note: `Scheduled sync of campaign ${input.campaign} (campaign-sync campaign create)`,
          }),
        );
        logger.info({ scheduleId: input.scheduleId, timing: input.timing }, 'created sync schedule');
        return { created: true };
      } catch (err) {
        if (err instanceof ScheduleAlreadyRunning) {
          const existing = await client.schedule.getHandle(input.scheduleId).describe();
          return { created: existing.memo?.createdBy === input.owner };
        }
        // The server's (or the SDK's) refusal of the spec: retrying will not help.
        if (err instanceof TypeError) throw new InvalidInputError(`Invalid schedule: ${err.message}`);
        throw err;
      }
    },

    /** Deletes a sync schedule: a compensation. Already gone counts as done. */
    async deleteSyncSchedule(input: { scheduleId: string }): Promise<{ deleted: boolean }> {
      try {
        await requireClient().schedule.getHandle(input.scheduleId).delete();
        logger.info({ scheduleId: input.scheduleId }, 'deleted sync schedule (undo)');
        return { deleted: true };
      } catch (err) {
        if (err instanceof ScheduleNotFoundError) return { deleted: false };
        throw err;
      }
    },

    /**
     * The run holding a campaign's lock (`campaign-sync-<CODE>`): its type, run ID, start time and
     * `SyncTrigger`. Without a Temporal client, or when it has just ended, only its workflow ID.
     * `workflowId` names another lock instead (`campaign-sync-all`, the lock of `sync all`).
     */
    async describeLockHolder(input: { campaign: string; workflowId?: string }): Promise<LockHolder> {
      const workflowId = input.workflowId ?? syncWorkflowId(input.campaign);
      if (!temporal) return { workflowId };
      try {
        const run = await temporal.client.workflow.getHandle(workflowId).describe();
        const trigger = run.typedSearchAttributes.get(SYNC_TRIGGER);
        return {
          workflowId,
          workflowType: run.type,
          runId: run.runId,
          startedAt: run.startTime.toISOString(),
          ...(trigger !== undefined ? { trigger } : {}),
        };
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return { workflowId };
        throw err;
      }
    },
  };
}
