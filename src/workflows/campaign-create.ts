import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  proxyActivities,
  workflowInfo,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { purchaseFieldName } from '../shared/campaign';
import {
  CampaignProvisioningError,
  CampaignResourceConflictError,
  InvalidInputError,
  NON_RETRYABLE_ERROR_TYPES,
  ProviderRequestError,
} from '../shared/errors';
import { mailerliteTaskQueue, syncScheduleId } from '../shared/names';
import {
  CampaignCreateInputSchema,
  scheduledSyncInput,
  type CampaignCreateInput,
  type CampaignCreateOptions,
  type CampaignCreateResult,
  type LeftBehind,
  type ProvisionedResource,
  type ProvisioningFailureDetails,
} from '../shared/provisioning';
import { describeZodIssues } from '../shared/sync-types';
import { acquireCampaignLocks, type LockSet } from './campaign-lock';

/** A saga step: a few attempts, then the saga undoes what it created and fails. */
const stepRetry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '10s',
  maximumAttempts: 3,
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};

/** A compensation: tried harder than a step (a failed undo leaves something behind). */
const undoRetry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '10s',
  maximumAttempts: 5,
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};

/**
 * Provisions a campaign's MailerLite resources as a saga (`campaign create`): its tier groups
 * `<CAMPAIGN>_<TIER>`, its number field `<CAMPAIGN>_PURCHASE` and, if asked, a recurring sync
 * schedule, one step (one activity) each, holding the campaign's lock throughout. Existing
 * resources are reused, so a second run creates nothing. When a step fails after its retries, the
 * resources THIS run created are deleted again in reverse order, and the run fails with a
 * {@link CampaignProvisioningError} naming the step, what was undone and anything left behind.
 */
export async function campaignCreate(rawInput: CampaignCreateInput): Promise<CampaignCreateResult> {
  const input = parseInput(rawInput);
  const info = workflowInfo();
  const { campaign } = input;
  const fieldName = purchaseFieldName(campaign);
  const scheduleId = syncScheduleId(campaign);

  const main = proxyActivities<Activities>({ startToCloseTimeout: '2m', retry: stepRetry });
  const mainUndo = proxyActivities<Activities>({ startToCloseTimeout: '2m', retry: undoRetry });
  // One MailerLite request per activity, on the task queue whose rate limit is the account's budget.
  const mlQueue = mailerliteTaskQueue(info.taskQueue);
  const ml = proxyActivities<Activities>({ taskQueue: mlQueue, startToCloseTimeout: '2m', retry: stepRetry });
  const mlUndo = proxyActivities<Activities>({
    taskQueue: mlQueue,
    startToCloseTimeout: '2m',
    retry: undoRetry,
  });

  const created: ProvisionedResource[] = [];
  const reused: ProvisionedResource[] = [];
  let step = 'resolve campaign in EDD';
  let productId: number | null = null;
  let lock: LockSet | null = null;

  /** Deletes what this run created, newest first; each undo is retried, and a failed one reported. */
  const compensate = async (): Promise<{ undone: string[]; leftBehind: LeftBehind[] }> => {
    const undone: string[] = [];
    const leftBehind: LeftBehind[] = [];
    for (const resource of [...created].reverse()) {
      try {
        if (resource.kind === 'group') {
          await mlUndo.deleteCampaignGroup({ id: resource.id!, name: resource.name });
        } else if (resource.kind === 'field') {
          await mlUndo.deleteCampaignField({ id: resource.id!, name: resource.name });
        } else {
          await mainUndo.deleteSyncSchedule({ scheduleId: resource.name });
        }
        undone.push(label(resource));
      } catch (err) {
        leftBehind.push({ ...resource, reason: causeOf(err) });
      }
    }
    return { undone, leftBehind };
  };

  try {
    if (!input.custom) {
      productId = (await main.resolveCampaign({ campaign, productId: input.productId })).productId;
    }
    // A dry run only reads, so it takes no lock (and is not refused while a sync runs).
    if (!input.dryRun) {
      step = 'take the campaign lock';
      lock = await acquireCampaignLocks([campaign], `create:${info.workflowId}`);
    }

    step = 'look up existing groups and field';
    const existing = await main.lookupCampaignResources({ campaign, tiers: input.tiers });
    let scheduleExists = false;
    if (input.schedule) {
      step = `look up schedule ${scheduleId}`;
      scheduleExists = (await main.findSyncSchedule({ scheduleId })).exists;
    }
    const fieldConflict =
      existing.field && existing.field.type !== 'number'
        ? fieldConflictMessage(fieldName, existing.field.type)
        : undefined;
    // The account's group limit, checked before anything is created: a campaign whose groups do
    // not all fit is refused whole, rather than failing at the first refused group and undoing.
    const missingGroups = existing.groups.filter((g) => g.id === null).length;
    const { count: used, max } = existing.accountGroups;
    const room = { used, max, leftBefore: Math.max(0, max - used) };
    log.info('MailerLite account groups', { campaign, ...room, needed: missingGroups });
    const roomConflict =
      missingGroups > room.leftBefore ? groupRoomMessage(campaign, room, missingGroups) : undefined;
    const conflicts = [fieldConflict, roomConflict].filter((c): c is string => c !== undefined);

    if (input.dryRun) {
      const wouldCreate: ProvisionedResource[] = [
        ...existing.groups
          .filter((g) => g.id === null)
          .map((g) => ({ kind: 'group' as const, name: g.name })),
        ...(existing.field ? [] : [{ kind: 'field' as const, name: fieldName }]),
        ...(input.schedule && !scheduleExists ? [{ kind: 'schedule' as const, name: scheduleId }] : []),
      ];
      reused.push(
        ...existing.groups
          .filter((g) => g.id !== null)
          .map((g) => ({ kind: 'group' as const, name: g.name })),
        ...(existing.field ? [{ kind: 'field' as const, name: fieldName }] : []),
        ...(input.schedule && scheduleExists ? [{ kind: 'schedule' as const, name: scheduleId }] : []),
      );
      return result(input, productId, [], reused, wouldCreate, conflicts, false, room);
    }

    if (fieldConflict) {
      step = `check field ${fieldName}`;
      throw conflictFailure(fieldName, fieldConflict);
    }
    if (roomConflict) {
      step = `check the account has room for ${missingGroups} groups`;
      throw ApplicationFailure.create({
        type: 'AccountGroupLimitError',
        nonRetryable: true,
        message: roomConflict,
        details: [{ ...room, needed: missingGroups }],
      });
    }

    for (const group of existing.groups) {
      if (group.id !== null) {
        reused.push({ kind: 'group', name: group.name });
        continue;
      }
      step = `create group ${group.name}`;
      const outcome = await ml.createCampaignGroup({ name: group.name });
      if (outcome.created) created.push({ kind: 'group', name: group.name, id: outcome.id });
      else reused.push({ kind: 'group', name: group.name });
    }

    if (existing.field) {
      reused.push({ kind: 'field', name: fieldName });
    } else {
      step = `create field ${fieldName}`;
      const outcome = await ml.createCampaignField({ name: fieldName });
      if (outcome.created) {
        created.push({ kind: 'field', name: fieldName, id: outcome.id });
      } else {
        // Taken since the look-up: use it if it is a number field.
        step = `check field ${fieldName}`;
        const field = (await main.lookupCampaignResources({ campaign, tiers: [] })).field;
        if (!field) {
          throw ApplicationFailure.create({
            type: ProviderRequestError.name,
            nonRetryable: true,
            message: `MailerLite refused to create ${fieldName} as taken, yet lists no field with its name or key`,
          });
        }
        if (field.type !== 'number')
          throw conflictFailure(fieldName, fieldConflictMessage(fieldName, field.type));
        reused.push({ kind: 'field', name: fieldName });
      }
    }

    let scheduleCreated = false;
    if (input.schedule) {
      if (scheduleExists) {
        reused.push({ kind: 'schedule', name: scheduleId });
      } else {
        step = `create schedule ${scheduleId}`;
        const { every, cron, sync = {} } = input.schedule;
        const outcome = await main.createSyncSchedule({
          campaign,
          scheduleId,
          timing: every !== undefined ? { every } : { cron: cron! },
          taskQueue: info.taskQueue,
          // Pin the product the campaign was resolved to, unless the sync options name one.
          args: scheduledSyncInput(
            campaign,
            input.tiers,
            { ...(productId !== null ? { productId } : {}), ...sync },
            `schedule:${scheduleId}`,
          ),
          owner: `${info.workflowId}/${info.runId}`,
        });
        scheduleCreated = outcome.created;
        (outcome.created ? created : reused).push({ kind: 'schedule', name: scheduleId });
      }
    }

    log.info('campaign provisioned', {
      campaign,
      created: created.map(label),
      reused: reused.length,
    });
    return result(input, productId, created, reused, [], [], scheduleCreated, room);
  } catch (err) {
    const cancelled = isCancellation(err);
    // Undo even when cancelled: a cancelled create leaves nothing behind either.
    const { undone, leftBehind } = await CancellationScope.nonCancellable(compensate);
    if (cancelled) throw err;
    // The lock is someone else's: nothing was done, and the refusal keeps its own type.
    if (step === 'take the campaign lock') throw err;
    const details: ProvisioningFailureDetails = {
      campaign,
      failedStep: step,
      cause: causeOf(err),
      created: created.map(label),
      undone,
      leftBehind,
    };
    log.warn('campaign provisioning failed', { ...details });
    throw ApplicationFailure.create({
      type: CampaignProvisioningError.name,
      nonRetryable: true,
      message: failureMessage(details),
      details: [details],
    });
  } finally {
    const held = lock;
    if (held) await CancellationScope.nonCancellable(() => held.release());
  }
}

function parseInput(rawInput: CampaignCreateInput): CampaignCreateOptions {
  const parsed = CampaignCreateInputSchema.safeParse(rawInput ?? {});
  if (parsed.success) return parsed.data;
  const issues = describeZodIssues(parsed.error);
  throw ApplicationFailure.create({
    type: InvalidInputError.name,
    nonRetryable: true,
    message: `Invalid campaign create input: ${issues.join('; ')}`,
    details: [issues],
  });
}

function label(resource: ProvisionedResource): string {
  return `${resource.kind} ${resource.name}`;
}

/** The message of a step's failure: an activity's own error, not "Activity task failed". */
function causeOf(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

function fieldConflictMessage(fieldName: string, type: string): string {
  return (
    `MailerLite field ${fieldName} is a ${type} field; the purchase field must be a number field ` +
    `(it holds EDD order IDs). Delete or rename it in MailerLite, then create the campaign again.`
  );
}

/** Why a campaign's missing groups do not fit the account, and what to do about it. */
function groupRoomMessage(
  campaign: string,
  room: { used: number; max: number; leftBefore: number },
  needed: number,
): string {
  return (
    `The MailerLite account holds ${room.used} of its ${room.max} groups: ${room.leftBefore} left, and ` +
    `campaign ${campaign} needs ${needed} more. Delete groups that are no longer needed in MailerLite ` +
    `(or raise MAILERLITE_MAX_GROUPS if the account allows more), then create the campaign again.`
  );
}

function conflictFailure(resource: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: CampaignResourceConflictError.name,
    nonRetryable: true,
    message,
    details: [{ resource }],
  });
}

function failureMessage(d: ProvisioningFailureDetails): string {
  let text = `Creating campaign ${d.campaign} failed: step '${d.failedStep}' failed: ${d.cause}`;
  if (d.created.length === 0) text += '; nothing to undo (this run had created nothing)';
  else if (d.undone.length > 0) text += `; undone: ${d.undone.join(', ')}`;
  if (d.leftBehind.length > 0) {
    text +=
      `; NOT undone, left behind in ${d.leftBehind.some((r) => r.kind === 'schedule') ? 'MailerLite/Temporal' : 'MailerLite'} ` +
      `(delete by hand): ${d.leftBehind
        .map((r) => `${r.kind} ${r.name}${r.id ? ` (id ${r.id})` : ''}: ${r.reason}`)
        .join('; ')}`;
  }
  return text;
}

function result(
  input: CampaignCreateOptions,
  productId: number | null,
  created: ProvisionedResource[],
  reused: ProvisionedResource[],
  wouldCreate: ProvisionedResource[],
  conflicts: string[],
  scheduleCreated: boolean,
  room: { used: number; max: number; leftBefore: number },
): CampaignCreateResult {
  const { campaign, schedule } = input;
  const listed = (items: ProvisionedResource[]) => describeResources(items);
  // Groups this run adds (a dry run: a real run would add, if they fit; if not, it adds none).
  const wanted = (input.dryRun ? wouldCreate : created).filter((r) => r.kind === 'group').length;
  const adding = wanted <= room.leftBefore ? wanted : 0;
  const accountGroups = { ...room, leftAfter: room.leftBefore - adding };
  let message: string;
  if (input.dryRun) {
    message =
      wouldCreate.length > 0
        ? `Dry run: would create ${listed(wouldCreate)} for campaign ${campaign}; nothing was created.`
        : `Dry run: nothing to create for campaign ${campaign}: ${listed(reused)} exist already.`;
    if (conflicts.length > 0) message += ` A real run would fail: ${conflicts.join(' ')}`;
  } else {
    message =
      created.length > 0
        ? `Created ${listed(created)} for campaign ${campaign}` +
          (reused.length > 0 ? `; reused ${listed(reused)} that existed.` : '.')
        : `Nothing to create for campaign ${campaign}: ${listed(reused)} exist already.`;
  }
  message +=
    ` MailerLite account: ${room.used} of ${room.max} groups used, ${room.leftBefore} left` +
    (adding > 0 ? `; ${accountGroups.leftAfter} after ${input.dryRun ? 'a real run' : 'this run'}.` : '.');
  return {
    campaign,
    productId,
    custom: input.custom,
    dryRun: input.dryRun,
    created,
    reused,
    wouldCreate,
    conflicts,
    accountGroups,
    schedule: schedule
      ? {
          scheduleId: syncScheduleId(campaign),
          timing: schedule.every !== undefined ? { every: schedule.every } : { cron: schedule.cron! },
          created: scheduleCreated,
        }
      : null,
    message,
  };
}

/** `8 groups, field X and schedule Y`. */
function describeResources(items: ProvisionedResource[]): string {
  const groups = items.filter((r) => r.kind === 'group').length;
  const parts = [
    ...(groups > 0 ? [`${groups} group${groups === 1 ? '' : 's'}`] : []),
    ...items.filter((r) => r.kind !== 'group').map(label),
  ];
  if (parts.length <= 1) return parts[0] ?? 'nothing';
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}
