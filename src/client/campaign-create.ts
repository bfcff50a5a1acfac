import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type Client,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { CampaignLockedError, CampaignProvisioningError, InvalidInputError } from '../shared/errors';
import { createWorkflowId, WORKFLOW_TYPES } from '../shared/names';
import {
  CampaignCreateInputSchema,
  type CampaignCreateInput,
  type CampaignCreateResult,
} from '../shared/provisioning';
import { createResultMessage, type CampaignCreateOutcome } from '../shared/provisioning-plan';
import { CAMPAIGN_CODE } from '../shared/search-attributes';
import { describeZodIssues } from '../shared/schemas';
import { EXIT } from './errors';
import { failureMessage } from './sync-status';
import type { CliContext } from './cli-context';

/** A `campaign create` of the campaign is already running (its workflow ID is taken). */
export class CampaignCreateRunningError extends Error {
  constructor(
    readonly campaign: string,
    readonly workflowId: string,
  ) {
    super(
      `Campaign ${campaign} is already being created: workflow ${workflowId} is running. Wait for it to finish.`,
    );
    this.name = 'CampaignCreateRunningError';
  }
}

/**
 * Runs `campaignCreate` for one campaign under `campaign-create-<CODE>` (conflict policy FAIL: one
 * create of a campaign at a time) and waits for its result. The input is checked here first, so a
 * mistake is reported before anything reaches the server. A failed run throws WorkflowFailedError.
 */
export async function createCampaign(
  client: Client,
  taskQueue: string,
  input: CampaignCreateInput,
): Promise<CampaignCreateResult> {
  const parsed = CampaignCreateInputSchema.safeParse(input);
  if (!parsed.success) {
    const issues = describeZodIssues(parsed.error);
    throw new InvalidInputError(`Invalid campaign create input: ${issues.join('; ')}`, issues);
  }
  const { campaign } = parsed.data;
  const workflowId = createWorkflowId(campaign);
  try {
    const handle = await client.workflow.start<(i: CampaignCreateInput) => Promise<CampaignCreateOutcome>>(
      WORKFLOW_TYPES.campaignCreate,
      {
        taskQueue,
        workflowId,
        args: [input],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        typedSearchAttributes: [{ key: CAMPAIGN_CODE, value: campaign }],
      },
    );
    const outcome = await handle.result();
    return { ...outcome, message: createResultMessage(outcome) };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      throw new CampaignCreateRunningError(campaign, workflowId);
    }
    throw err;
  }
}

/** The failure type of a failed run (`CampaignProvisioningError`, `CampaignLockedError`, ...). */
function failureType(err: WorkflowFailedError): string | undefined {
  return err.cause instanceof ApplicationFailure ? (err.cause.type ?? undefined) : undefined;
}

/**
 * `campaign create <campaign> [--custom] [--every 1h | --cron "0 * * * *"] [--dry-run] [--json]`.
 * Exit 0 created (or nothing to create), 1 failed (the message names the step), 2 invalid input,
 * 3 the campaign is locked (or being created).
 */
export async function campaignCreateCommand(
  campaign: string,
  opts: { custom?: boolean; every?: string; cron?: string; dryRun?: boolean },
  ctx: CliContext,
): Promise<number> {
  const { out } = ctx;
  if (opts.every !== undefined && opts.cron !== undefined) {
    throw new InvalidInputError('give --every or --cron, not both');
  }
  const input: CampaignCreateInput = { campaign };
  if (opts.custom) input.custom = true;
  if (opts.dryRun) input.dryRun = true;
  if (opts.every !== undefined) input.schedule = { every: opts.every };
  if (opts.cron !== undefined) input.schedule = { cron: opts.cron };

  const client = await ctx.connect();
  try {
    const result = await createCampaign(client, ctx.taskQueue(), input);
    out.result(result, formatCreateResult(result));
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CampaignCreateRunningError) {
      out.err(`Refused: ${err.message}`);
      return EXIT.locked;
    }
    if (!(err instanceof WorkflowFailedError)) throw err;
    const type = failureType(err);
    const message = failureMessage(err);
    const details = err.cause instanceof ApplicationFailure ? err.cause.details?.[0] : undefined;
    out.result({ status: 'failed', type, message, details });
    if (type === CampaignLockedError.name) {
      out.err(`Refused: ${message}`);
      return EXIT.locked;
    }
    if (type === InvalidInputError.name) {
      out.err(`Error: ${message}`);
      return EXIT.invalidInput;
    }
    out.err(type === CampaignProvisioningError.name ? message : `Campaign create failed: ${message}`);
    return EXIT.failed;
  }
}

export function formatCreateResult(result: CampaignCreateResult): string {
  const lines = [result.message];
  for (const r of result.created)
    lines.push(`  created  ${r.kind.padEnd(8)} ${r.name}${r.id ? ` (id ${r.id})` : ''}`);
  for (const r of result.wouldCreate) lines.push(`  missing  ${r.kind.padEnd(8)} ${r.name}`);
  for (const r of result.reused) lines.push(`  exists   ${r.kind.padEnd(8)} ${r.name}`);
  for (const c of result.conflicts) lines.push(`  conflict ${c}`);
  const { used, max, leftBefore, leftAfter } = result.accountGroups;
  lines.push(
    `Groups in the MailerLite account: ${used} of ${max} (MAILERLITE_MAX_GROUPS), ${leftBefore} left` +
      (leftAfter !== leftBefore ? `, ${leftAfter} after ${result.dryRun ? 'a real run' : 'this run'}.` : '.'),
  );
  if (result.schedule) {
    const { scheduleId, timing } = result.schedule;
    lines.push(
      `Schedule ${scheduleId}: ${timing.every ? `every ${timing.every}` : `cron "${timing.cron}"`} ` +
        `(overlap SKIP; each run syncs under the campaign's lock, or is skipped while it is held).`,
    );
  }
  return lines.join('\n');
}
