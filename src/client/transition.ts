import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  ApplicationFailure,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { CampaignLockedError, InvalidInputError } from '../shared/errors';
import { syncWorkflowId, transitionWorkflowId, WORKFLOW_TYPES } from '../shared/names';
import { SYNC_TRIGGER } from '../shared/search-attributes';
import { describeZodIssues } from '../shared/schemas';
import type { TransitionRule } from '../shared/transition-rules';
import {
  TransitionInputSchema,
  TransitionRuleSchema,
  type TierProgress,
  type TransitionInput,
  type TransitionProgress,
  type TransitionSummary,
} from '../shared/transition-types';
import { EXIT } from './errors';
import { SyncAlreadyRunningError } from '../temporal/errors';
import { formatTransitionProgress, formatTransitionSummary } from './format';
import { failureMessage } from './sync-status';
import { whenAndAge } from '../shared/when';
import { act, INTERRUPTED, untilInterrupted, type CliContext } from './cli-context';
import { addRunOutputOptions, valueOption } from './sync-options';
import { tierProgressQuery, transitionProgressQuery } from '../shared/messages';
import type { campaignTransition } from '../workflows/campaign-transition';
import { startUnderLock } from '../temporal/start-under-lock';

export type TransitionHandle = WorkflowHandleWithFirstExecutionRunId<typeof campaignTransition>;

/** A transition of the same two campaigns is already running. */
export class TransitionAlreadyRunningError extends Error {
  constructor(
    readonly source: string,
    readonly destination: string,
    readonly workflowId: string,
    readonly runId?: string,
    readonly startedAt?: Date,
  ) {
    super(
      `A transition from ${source} to ${destination} is already running: workflow ${workflowId}` +
        (runId ? `, run ${runId}` : '') +
        (startedAt ? `, started ${whenAndAge(startedAt)}` : '') +
        '. Wait for it to finish, or cancel it in the Temporal UI.',
    );
    this.name = 'TransitionAlreadyRunningError';
  }
}

/**
 * Starts a transition under its workflow ID `campaign-transition-<SRC>-<DST>`, refused while one
 * of the same pair runs ({@link TransitionAlreadyRunningError}). The input is checked here first.
 * Unless `checkLocks` is false, a campaign locked right now (a running sync, or another holder) is
 * refused at once with {@link SyncAlreadyRunningError}; the workflow itself takes the locks and
 * fails with `CampaignLockedError` if one was taken in between.
 */
export async function startTransition(
  client: Client,
  taskQueue: string,
  input: TransitionInput,
  opts: { checkLocks?: boolean } = {},
): Promise<TransitionHandle> {
  const parsed = TransitionInputSchema.safeParse(input);
  if (!parsed.success) {
    const issues = describeZodIssues(parsed.error);
    throw new InvalidInputError(`Invalid transition input: ${issues.join('; ')}`, issues);
  }
  const { source, destination } = parsed.data;
  if (opts.checkLocks !== false) {
    for (const campaign of [source, destination]) await refuseIfLocked(client, campaign);
  }
  const workflowId = transitionWorkflowId(source, destination);
  return startUnderLock<typeof campaignTransition>(
    client,
    WORKFLOW_TYPES.campaignTransition,
    { taskQueue, workflowId, args: [input] },
    (running) =>
      new TransitionAlreadyRunningError(source, destination, workflowId, running?.runId, running?.startTime),
  );
}

async function refuseIfLocked(client: Client, campaign: string): Promise<void> {
  const workflowId = syncWorkflowId(campaign);
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    if (d.status.name !== 'RUNNING') return;
    throw new SyncAlreadyRunningError(
      campaign,
      workflowId,
      d.runId,
      d.startTime,
      d.typedSearchAttributes.get(SYNC_TRIGGER),
      d.type,
    );
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return;
    throw err;
  }
}

/**
 * The `--rules` option: a JSON array of `{current_tier, next_tier, requires_purchase}`, given
 * inline or as `@path/to/file.json`. Each rule is checked here; the tiers are checked with the rest
 * of the input.
 */
export function parseRulesOption(
  value: string,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): TransitionRule[] {
  let text = value;
  if (value.startsWith('@')) {
    try {
      text = readFile(value.slice(1));
    } catch (err) {
      throw new InvalidInputError(
        `--rules: cannot read ${value.slice(1)}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the text, and a file's content is not echoed (--rules @/etc/passwd).
    throw new InvalidInputError(
      `--rules must be a JSON array of {"current_tier", "next_tier", "requires_purchase"} (or @file)` +
        (value.startsWith('@') ? `: ${value.slice(1)} does not hold JSON` : ': it is not valid JSON'),
    );
  }
  const parsed = TransitionRuleSchema.array().min(1).safeParse(json);
  if (!parsed.success) {
    const issues = describeZodIssues(parsed.error).map((i) => `rules.${i}`);
    throw new InvalidInputError(`Invalid --rules: ${issues.join('; ')}`, issues);
  }
  return parsed.data;
}

/**
 * Waits for a transition's result, reporting its progress whenever it changes: the transition's
 * own `progress` query, plus the running tier's (its child run counts the pages).
 */
export async function watchTransition(
  client: Client,
  handle: WorkflowHandle,
  onProgress: (progress: TransitionProgress, tier?: TierProgress) => void,
  intervalMs = 1000,
): Promise<TransitionSummary> {
  let last = '';
  let finished = false;
  const poll = async () => {
    while (!finished) {
      const progress = await handle.query(transitionProgressQuery).catch(() => undefined);
      const tier = progress?.currentTier
        ? await client.workflow
            .getHandle(progress.currentTier.workflowId)
            .query(tierProgressQuery)
            .catch(() => undefined)
        : undefined;
      if (progress && !finished) {
        const key = JSON.stringify({ ...progress, updatedAt: undefined, tier });
        if (key !== last) {
          last = key;
          onProgress(progress, tier);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  };
  const polling = poll();
  try {
    return (await handle.result()) as TransitionSummary;
  } finally {
    finished = true;
    await polling;
  }
}

/** The lock refusal inside a failed transition (a campaign was locked), if that is why it failed. */
export function lockRefusal(err: unknown): string | undefined {
  let current: unknown = err;
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure && current.type === CampaignLockedError.name)
      return current.message;
    current = current.cause;
  }
  return undefined;
}

/**
 * `transition run <source> <destination> [--dry-run] [--remove-from-source] [--rules JSON|@file]
 * [--wait] [--json]`. Bad options throw (the CLI reports them, exit 2).
 */
export function registerTransitionCommands(program: Command, ctx: CliContext): void {
  const { out } = ctx;
  const run = program
    .command('transition')
    .description("move subscribers from one campaign's tier groups to another's")
    .command('run')
    .description(
      "move subscribers from the source campaign's tier groups to the destination's next-tier groups by rules " +
        "(default: BEMA's progression), holding both campaigns' locks",
    )
    .argument('<source>', 'source campaign code, e.g. 2024_ETB_NBL')
    .argument('<destination>', 'destination campaign code, e.g. 2025_ETB_NEXT')
    .option('--dry-run', 'write nothing; count what it would move')
    .option('--remove-from-source', "also remove them from the source's groups")
    .addOption(
      valueOption(
        '--rules <json|@file>',
        'transition rules: a JSON array of {current_tier, next_tier, requires_purchase}, or @file',
        (v) => v,
      ),
    );
  addRunOutputOptions(run).action(
    act(
      ctx,
      async (
        source: string,
        destination: string,
        opts: { dryRun?: boolean; removeFromSource?: boolean; rules?: string; wait?: boolean },
      ) => {
        const input: TransitionInput = { source, destination, trigger: 'cli' };
        if (opts.dryRun) input.dryRun = true;
        if (opts.removeFromSource) input.removeFromSource = true;
        if (opts.rules !== undefined) input.rules = parseRulesOption(opts.rules);

        const client = await ctx.connect();
        let handle: TransitionHandle;
        try {
          handle = await startTransition(client, ctx.taskQueue(), input);
        } catch (err) {
          if (!(err instanceof TransitionAlreadyRunningError)) throw err;
          out.err(`Refused: ${err.message}`);
          return EXIT.locked;
        }
        const started = {
          workflowId: handle.workflowId,
          runId: handle.firstExecutionRunId,
          source,
          destination,
          dryRun: input.dryRun === true,
          url: ctx.runLink(handle.workflowId, handle.firstExecutionRunId),
        };
        out.out(
          `Started transition ${source} → ${destination}${input.dryRun ? ' (dry run)' : ''}: workflow ${handle.workflowId}, run ${handle.firstExecutionRunId}`,
        );
        out.out(`Temporal UI: ${started.url}`);
        if (!opts.wait) {
          out.result(started);
          return EXIT.ok;
        }
        try {
          const summary = await untilInterrupted(
            ctx,
            watchTransition(client, handle, (p, tier) => out.out(formatTransitionProgress(p, tier))),
            `the transition goes on (workflow ${handle.workflowId}, run ${handle.firstExecutionRunId}). ` +
              `Follow it in the Temporal UI: ${started.url}; cancel it there, or with ` +
              `'temporal workflow cancel --workflow-id ${handle.workflowId}'.`,
          );
          if (summary === INTERRUPTED) return EXIT.interrupted;
          out.result(summary, formatTransitionSummary(summary));
          return EXIT.ok;
        } catch (err) {
          if (!(err instanceof WorkflowFailedError)) throw err;
          const locked = lockRefusal(err);
          if (locked) {
            out.err(`Refused: ${locked}`);
            return EXIT.locked;
          }
          out.err(`Transition failed: ${failureMessage(err)}`);
          return EXIT.failed;
        }
      },
    ),
  );
}
