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
import type { Activities, ExistingCampaignResources } from '../activities';
import { purchaseFieldName } from '../shared/campaign';
import {
  CampaignProvisioningError,
  CampaignResourceConflictError,
  NON_RETRYABLE_ERROR_TYPES,
  ProviderRequestError,
} from '../shared/errors';
import { mailerliteTaskQueue, syncScheduleId } from '../shared/names';
import {
  CampaignCreateInputSchema,
  scheduledSyncInput,
  type CampaignCreateInput,
  type CampaignCreateOptions,
  type ProvisionedResource,
  type ProvisioningFailureDetails,
} from '../shared/provisioning';
import {
  createOutcome,
  fieldConflictMessage,
  planProvisioning,
  provisioningFailureMessage,
  resourceLabel,
  type CampaignCreateOutcome,
  type ProvisioningPlan,
} from '../shared/provisioning-plan';
import { acquireCampaignLocks, type LockSet } from './campaign-lock';
import { parseWorkflowInput } from './input';
import { Saga } from './saga';

/** A saga step: a few attempts, then the saga undoes what it created and fails. */
const stepRetry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '10s',
  maximumAttempts: 3,
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};

/** A compensation: tried harder than a step (a failed undo leaves something behind). */
const undoRetry: RetryPolicy = { ...stepRetry, maximumAttempts: 5 };

const main = proxyActivities<Activities>({ startToCloseTimeout: '2m', retry: stepRetry });
const mainUndo = proxyActivities<Activities>({ startToCloseTimeout: '2m', retry: undoRetry });

const LOCK_STEP = 'take the campaign lock';

/**
 * Provisions a campaign's MailerLite resources as a saga (`campaign create`): its tier groups
 * `<CAMPAIGN>_<TIER>`, its number field `<CAMPAIGN>_PURCHASE` and, if asked, a recurring sync
 * schedule, one step (one activity) each, holding the campaign's lock throughout. Existing
 * resources are reused, so a second run creates nothing. Each step that creates something pushes
 * its undo; when a step fails after its retries, the undos run newest first, and the run fails
 * with a {@link CampaignProvisioningError} naming the step, what was undone and anything left
 * behind. The client words the result for people (`createResultMessage`).
 */
export async function campaignCreate(rawInput: CampaignCreateInput): Promise<CampaignCreateOutcome> {
  const input: CampaignCreateOptions = parseWorkflowInput(
    CampaignCreateInputSchema,
    rawInput,
    'campaign create',
  );
  const run = new CreateRun(input);
  let lock: LockSet | null = null;
  try {
    const productId = input.custom
      ? null
      : (await main.resolveCampaign({ campaign: input.campaign, productId: input.productId })).productId;
    // A dry run only reads, so it takes no lock (and is not refused while a sync runs).
    if (!input.dryRun) {
      lock = await run.at(LOCK_STEP, () =>
        acquireCampaignLocks([input.campaign], `create:${workflowInfo().workflowId}`),
      );
    }
    const { found, plan } = await run.look();
    if (input.dryRun) return run.outcome(productId, plan, plan.existing);
    run.refuseConflicts(plan);
    for (const group of found.groups) await run.ensureGroup(group);
    await run.ensureField(found.field);
    if (input.schedule) await run.ensureSchedule(productId, plan);
    log.info('campaign provisioned', {
      campaign: input.campaign,
      created: run.saga.done.map(resourceLabel),
      reused: run.reused.length,
    });
    return run.outcome(productId, plan, run.reused);
  } catch (err) {
    throw await run.failed(err);
  } finally {
    const held = lock;
    if (held) await CancellationScope.nonCancellable(() => held.release());
  }
}

/** One create run's steps and what they made: the saga of undos, what was reused, the step at. */
class CreateRun {
  step = 'resolve campaign in EDD';
  readonly saga = new Saga<ProvisionedResource>();
  readonly reused: ProvisionedResource[] = [];
  private scheduleCreated = false;
  private readonly fieldName: string;
  private readonly scheduleId: string;
  // One MailerLite request per activity, on the task queue whose rate limit is the account's budget.
  private readonly ml = proxyActivities<Activities>({
    taskQueue: mailerliteTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '2m',
    retry: stepRetry,
  });
  private readonly mlUndo = proxyActivities<Activities>({
    taskQueue: mailerliteTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '2m',
    retry: undoRetry,
  });

  constructor(readonly input: CampaignCreateOptions) {
    this.fieldName = purchaseFieldName(input.campaign);
    this.scheduleId = syncScheduleId(input.campaign);
  }

  /** Runs one step, named for the failure message should it fail. */
  at<T>(step: string, fn: () => Promise<T>): Promise<T> {
    this.step = step;
    return fn();
  }

  /** What exists (groups, field, schedule) and what a run must create or would refuse. */
  async look(): Promise<{ found: ExistingCampaignResources; plan: ProvisioningPlan }> {
    const { campaign, tiers, schedule } = this.input;
    const found = await this.at('look up existing groups and field', () =>
      main.lookupCampaignResources({ campaign, tiers }),
    );
    const scheduleExists = schedule
      ? (
          await this.at(`look up schedule ${this.scheduleId}`, () =>
            main.findSyncSchedule({ scheduleId: this.scheduleId }),
          )
        ).exists
      : false;
    const plan = planProvisioning(
      campaign,
      this.fieldName,
      found,
      schedule ? { id: this.scheduleId, exists: scheduleExists } : undefined,
    );
    log.info('MailerLite account groups', { campaign, ...plan.room, needed: plan.missingGroups });
    return { found, plan };
  }

  /** A real run refuses a text purchase field, and groups that do not fit, before creating anything. */
  refuseConflicts(plan: ProvisioningPlan): void {
    if (plan.fieldConflict) {
      this.step = `check field ${this.fieldName}`;
      throw conflictFailure(this.fieldName, plan.fieldConflict);
    }
    if (plan.roomConflict) {
      this.step = `check the account has room for ${plan.missingGroups} groups`;
      throw ApplicationFailure.create({
        type: 'AccountGroupLimitError',
        nonRetryable: true,
        message: plan.roomConflict,
        details: [{ ...plan.room, needed: plan.missingGroups }],
      });
    }
  }

  async ensureGroup(group: ExistingCampaignResources['groups'][number]): Promise<void> {
    const { name } = group;
    if (group.id !== null) return void this.reused.push({ kind: 'group', name });
    const outcome = await this.at(`create group ${name}`, () => this.ml.createCampaignGroup({ name }));
    if (!outcome.created) return void this.reused.push({ kind: 'group', name });
    const { id } = outcome;
    this.saga.push({ kind: 'group', name, id }, () => this.mlUndo.deleteCampaignGroup({ id, name }));
  }

  async ensureField(existing: ExistingCampaignResources['field']): Promise<void> {
    const name = this.fieldName;
    if (existing) return void this.reused.push({ kind: 'field', name });
    const outcome = await this.at(`create field ${name}`, () => this.ml.createCampaignField({ name }));
    if (outcome.created) {
      const { id } = outcome;
      this.saga.push({ kind: 'field', name, id }, () => this.mlUndo.deleteCampaignField({ id, name }));
      return;
    }
    // Taken since the look-up: use it if it is a number field.
    const field = await this.at(
      `check field ${name}`,
      async () => (await main.lookupCampaignResources({ campaign: this.input.campaign, tiers: [] })).field,
    );
    if (!field) {
      throw ApplicationFailure.create({
        type: ProviderRequestError.name,
        nonRetryable: true,
        message: `MailerLite refused to create ${name} as taken, yet lists no field with its name or key`,
      });
    }
    if (field.type !== 'number') throw conflictFailure(name, fieldConflictMessage(name, field.type));
    this.reused.push({ kind: 'field', name });
  }

  async ensureSchedule(productId: number | null, plan: ProvisioningPlan): Promise<void> {
    const { campaign, tiers, schedule } = this.input;
    const scheduleId = this.scheduleId;
    if (!schedule) return;
    if (plan.existing.some((r) => r.kind === 'schedule')) {
      return void this.reused.push({ kind: 'schedule', name: scheduleId });
    }
    const info = workflowInfo();
    const { every, cron, sync = {} } = schedule;
    const outcome = await this.at(`create schedule ${scheduleId}`, () =>
      main.createSyncSchedule({
        campaign,
        scheduleId,
        timing: every !== undefined ? { every } : { cron: cron! },
        taskQueue: info.taskQueue,
        // Pin the product the campaign was resolved to, unless the sync options name one.
        args: scheduledSyncInput(
          campaign,
          tiers,
          { ...(productId !== null ? { productId } : {}), ...sync },
          `schedule:${scheduleId}`,
        ),
        owner: `${info.workflowId}/${info.runId}`,
      }),
    );
    this.scheduleCreated = outcome.created;
    if (!outcome.created) return void this.reused.push({ kind: 'schedule', name: scheduleId });
    this.saga.push({ kind: 'schedule', name: scheduleId }, () => mainUndo.deleteSyncSchedule({ scheduleId }));
  }

  outcome(productId: number | null, plan: ProvisioningPlan, reused: ProvisionedResource[]) {
    const done = { created: this.saga.done, reused, scheduleCreated: this.scheduleCreated };
    return createOutcome(this.input, productId, plan, done);
  }

  /**
   * Undoes what this run created (also when cancelled: a cancelled create leaves nothing behind
   * either) and returns the error to end the run with.
   */
  async failed(err: unknown): Promise<unknown> {
    const { undone, failed } = await CancellationScope.nonCancellable(() => this.saga.compensate());
    // The lock is someone else's: nothing was done, and the refusal keeps its own type.
    if (isCancellation(err) || this.step === LOCK_STEP) return err;
    const details: ProvisioningFailureDetails = {
      campaign: this.input.campaign,
      failedStep: this.step,
      cause: causeOf(err),
      created: this.saga.done.map(resourceLabel),
      undone: undone.map(resourceLabel),
      leftBehind: failed.map(({ item, error }) => ({ ...item, reason: causeOf(error) })),
    };
    log.warn('campaign provisioning failed', { ...details });
    return ApplicationFailure.create({
      type: CampaignProvisioningError.name,
      nonRetryable: true,
      message: provisioningFailureMessage(details),
      details: [details],
    });
  }
}

/** The message of a step's failure: an activity's own error, not "Activity task failed". */
function causeOf(err: unknown): string {
  if (err instanceof ActivityFailure && err.cause) return err.cause.message;
  return err instanceof Error ? err.message : String(err);
}

function conflictFailure(resource: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: CampaignResourceConflictError.name,
    nonRetryable: true,
    message,
    details: [{ resource }],
  });
}
