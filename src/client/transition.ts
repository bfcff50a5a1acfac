import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  ApplicationFailure,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import { CampaignLockedError, InvalidInputError } from '../shared/errors';
import { syncWorkflowId, transitionWorkflowId, WORKFLOW_TYPES } from '../shared/names';
import { SYNC_TRIGGER } from '../shared/search-attributes';
import { describeZodIssues } from '../shared/sync-types';
import type { TransitionRule } from '../shared/transition-rules';
import {
  TransitionInputSchema,
  TransitionRuleSchema,
  type TierProgress,
  type TransitionInput,
  type TransitionProgress,
  type TransitionSummary,
} from '../shared/transition-types';
import { EXIT, SyncAlreadyRunningError } from './errors';
import { formatTransitionProgress, formatTransitionSummary } from './format';
import { failureMessage } from './sync-status';

export type TransitionHandle = WorkflowHandleWithFirstExecutionRunId<
  (input: TransitionInput) => Promise<TransitionSummary>
>;

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
        (startedAt ? `, started ${startedAt.toISOString()}` : '') +
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
  try {
    return await client.workflow.start<(input: TransitionInput) => Promise<TransitionSummary>>(
      WORKFLOW_TYPES.campaignTransition,
      {
        taskQueue,
        workflowId,
        args: [input],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      },
    );
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      const running = await client.workflow
        .getHandle(workflowId)
        .describe()
        .catch(() => undefined);
      throw new TransitionAlreadyRunningError(
        source,
        destination,
        workflowId,
        running?.runId,
        running?.startTime,
      );
    }
    throw err;
  }
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
  } catch (err) {
    throw new InvalidInputError(
      `--rules must be a JSON array of {"current_tier", "next_tier", "requires_purchase"} (or @file): ${err instanceof Error ? err.message : String(err)}`,
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
      const progress = await handle.query<TransitionProgress>('progress').catch(() => undefined);
      const tier = progress?.currentTier
        ? await client.workflow
            .getHandle(progress.currentTier.workflowId)
            .query<TierProgress>('progress')
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

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface TransitionCommandContext {
  taskQueue: string;
  connect: () => Promise<Client>;
  io: Io;
  /** Link to a run in the Temporal UI. */
  runLink: (workflowId: string, runId: string) => string;
}

/**
 * `transition run <source> <destination> [--dry-run] [--remove-from-source] [--rules JSON|@file]
 * [--wait] [--json]`; returns the exit code. Bad options throw (the CLI reports them, exit 2).
 */
export async function transitionCommand(
  sub: string | undefined,
  args: string[],
  ctx: TransitionCommandContext,
): Promise<number> {
  if (sub !== 'run') {
    throw new InvalidInputError(
      sub ? `unknown transition command '${sub}'; use 'transition run'` : "'transition' needs run",
    );
  }
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      wait: { type: 'boolean' },
      json: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      'remove-from-source': { type: 'boolean' },
      rules: { type: 'string' },
    },
  });
  const [source, destination, extra] = positionals;
  if (!source || !destination) {
    throw new InvalidInputError(
      "'transition run' needs a source and a destination campaign, e.g. campaign-sync transition run 2024_ETB_NBL 2025_ETB_NEXT",
    );
  }
  if (extra !== undefined) throw new InvalidInputError(`unexpected argument '${extra}'`);
  const input: TransitionInput = { source, destination, trigger: 'cli' };
  if (values['dry-run']) input.dryRun = true;
  if (values['remove-from-source']) input.removeFromSource = true;
  if (values.rules !== undefined) input.rules = parseRulesOption(values.rules);

  const client = await ctx.connect();
  let handle: TransitionHandle;
  try {
    handle = await startTransition(client, ctx.taskQueue, input);
  } catch (err) {
    if (!(err instanceof TransitionAlreadyRunningError)) throw err;
    ctx.io.err(`Refused: ${err.message}`);
    return EXIT.locked;
  }
  ctx.io.out(
    `Started transition ${source} → ${destination}${input.dryRun ? ' (dry run)' : ''}: workflow ${handle.workflowId}, run ${handle.firstExecutionRunId}`,
  );
  ctx.io.out(`Temporal UI: ${ctx.runLink(handle.workflowId, handle.firstExecutionRunId)}`);
  if (!values.wait) return EXIT.ok;
  try {
    const summary = await watchTransition(client, handle, (p, tier) =>
      ctx.io.out(formatTransitionProgress(p, tier)),
    );
    ctx.io.out(values.json ? JSON.stringify(summary, null, 2) : formatTransitionSummary(summary));
    return EXIT.ok;
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    const locked = lockRefusal(err);
    if (locked) {
      ctx.io.err(`Refused: ${locked}`);
      return EXIT.locked;
    }
    ctx.io.err(`Transition failed: ${failureMessage(err)}`);
    return EXIT.failed;
  }
}
