import { Option, type Command } from 'commander';
import { type Client, type WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { parseDuration } from '../shared/duration';
import { InvalidInputError } from '../shared/errors';
import { SYNC_ALL_WORKFLOW_ID, WORKFLOW_TYPES } from '../shared/names';
import { SYNC_TRIGGER } from '../shared/search-attributes';
import {
  childSyncInput,
  SYNC_ALL_MAX_CONCURRENCY,
  SyncAllInputSchema,
  syncAllTargets,
  type SyncAllInput,
  type SyncAllProgress,
  type SyncAllSummary,
} from '../shared/sync-all';
import { describeZodIssues } from '../shared/schemas';
import { EXIT } from './errors';
import { plain, type Emphasis } from './present';
import { whenAndAge } from '../shared/when';
import { formatSyncAllCampaign, registerSyncAllSubcommands } from './sync-all-status';
import { checkSyncInput } from '../temporal/sync-start';
import { addSyncOptions, syncOptionsFrom, valueOption, type SyncOptionFlags } from './sync-options';
import { act, INTERRUPTED, untilInterrupted, type CliContext } from './cli-context';
import { campaign as campaignArg, duration, integer, repeated, shown } from './cli-values';
import { syncAllProgressQuery } from '../shared/messages';
import type { syncAllCampaigns } from '../workflows/sync-all';
import { startUnderLock } from '../temporal/start-under-lock';

export type SyncAllHandle = WorkflowHandleWithFirstExecutionRunId<typeof syncAllCampaigns>;

/** A `sync all` is running already (its workflow ID is taken). */
export class SyncAllRunningError extends Error {
  constructor(
    readonly workflowId: string,
    readonly runId?: string,
    readonly startedAt?: Date,
  ) {
    super(
      `A sync of all campaigns is already running: workflow ${workflowId}` +
        (runId ? `, run ${runId}` : '') +
        (startedAt ? `, started ${whenAndAge(startedAt)}` : '') +
        ". Follow it with 'campaign-sync sync all status'; wait for it to finish, or cancel it with " +
        "'campaign-sync sync all cancel'.",
    );
    this.name = 'SyncAllRunningError';
  }
}

/**
 * Checks a `sync all` input here, before anything reaches the server: the input itself, and the
 * sync options as each listed campaign's sync would get them (with discovery, as a sync of a
 * stand-in campaign would).
 */
export function checkSyncAllInput(input: SyncAllInput): void {
  const parsed = SyncAllInputSchema.safeParse(input);
  if (!parsed.success) {
    const issues = describeZodIssues(parsed.error);
    throw new InvalidInputError(`Invalid sync all input: ${issues.join('; ')}`, issues);
  }
  const targets = syncAllTargets(parsed.data.campaigns) ?? [{ campaign: '2000_ANY' }];
  for (const target of targets) checkSyncInput(childSyncInput(parsed.data, target, SYNC_ALL_WORKFLOW_ID));
}

/**
 * Starts `syncAllCampaigns` under `campaign-sync-all` (conflict policy FAIL: one at a time;
 * {@link SyncAllRunningError} otherwise). `workflowId` is for tests sharing a server.
 */
export async function startSyncAll(
  client: Client,
  taskQueue: string,
  input: SyncAllInput,
  opts: { workflowId?: string } = {},
): Promise<SyncAllHandle> {
  checkSyncAllInput(input);
  const workflowId = opts.workflowId ?? SYNC_ALL_WORKFLOW_ID;
  return startUnderLock<typeof syncAllCampaigns>(
    client,
    WORKFLOW_TYPES.syncAllCampaigns,
    {
      taskQueue,
      workflowId,
      args: [input],
      typedSearchAttributes: [{ key: SYNC_TRIGGER, value: input.trigger ?? 'manual' }],
    },
    (running) => new SyncAllRunningError(workflowId, running?.runId, running?.startTime),
  );
}

/** `--campaign CODE` or `--campaign CODE=PRODUCT_ID`. */
function campaignFlag(value: string): { campaign: string; productId?: number } {
  const [campaign, product, extra] = value.split('=');
  if (extra !== undefined || !campaign)
    throw new InvalidInputError(`--campaign must be CODE or CODE=PRODUCT_ID, not ${shown(value)}`);
  campaignArg('--campaign')(campaign);
  if (product === undefined) return { campaign };
  return { campaign, productId: integer(`--campaign ${campaign}=: the product ID`, 1)(product) };
}

interface SyncAllFlags extends SyncOptionFlags {
  concurrency?: number;
  campaign?: { campaign: string; productId?: number }[];
  wait?: boolean;
  progressInterval?: string;
}

/**
 * `sync all [--concurrency N] [--campaign CODE[=PRODUCT_ID]]... [sync options] [--wait] [--json]`.
 * Exit 0 started (or, with --wait, every campaign synced), 1 a campaign's sync failed or was
 * cancelled, 2 invalid input, 3 a sync all is running already or (with --wait) campaigns were
 * skipped because their lock was held.
 */
export function registerSyncAllCommand(sync: Command, ctx: CliContext): void {
  const all = addSyncOptions(
    sync
      .command('all')
      .description(
        "sync every campaign (EDD's albums, or those given) as child workflows, at most N at once; " +
          'a locked campaign is skipped with its holder named',
      )
      .addOption(
        valueOption(
          '--concurrency <n>',
          `campaigns synced at once, 1 to ${SYNC_ALL_MAX_CONCURRENCY} (default: 2)`,
          integer('--concurrency', 1, SYNC_ALL_MAX_CONCURRENCY),
        ),
      )
      .addOption(
        new Option(
          '--campaign <code[=product-id]>',
          'only these campaigns (repeatable, or comma-separated)',
        ).argParser(repeated(campaignFlag)),
      ),
  )
    .option('--wait', 'show progress and print the summary with totals when it ends')
    .addOption(
      valueOption(
        '--progress-interval <duration>',
        'with --wait, how often to show progress (default: 5s)',
        duration('--progress-interval'),
      ),
    )
    .option('--json', 'print the run (or with --wait the summary) as JSON')
    .action(act(ctx, (opts: SyncAllFlags) => syncAll(opts, ctx)));
  registerSyncAllSubcommands(all, ctx);
}

async function syncAll(opts: SyncAllFlags, ctx: CliContext): Promise<number> {
  const { out } = ctx;
  const input: SyncAllInput = { sync: syncOptionsFrom(opts), trigger: 'cli' };
  if (opts.concurrency !== undefined) input.concurrency = opts.concurrency;
  if (opts.campaign) input.campaigns = opts.campaign;
  const pollMs = parseDuration(opts.progressInterval ?? '5s');
  checkSyncAllInput(input);

  const client = await ctx.connect();
  let handle: SyncAllHandle;
  try {
    handle = await startSyncAll(client, ctx.taskQueue(), input);
  } catch (err) {
    if (err instanceof SyncAllRunningError) {
      out.err(`Refused: ${err.message}`);
      return EXIT.locked;
    }
    throw err;
  }
  const url = ctx.runLink(handle.workflowId, handle.firstExecutionRunId);
  out.out(`Started sync of all campaigns: workflow ${handle.workflowId}, run ${handle.firstExecutionRunId}`);
  out.out(`Temporal UI: ${url}`);
  if (!opts.wait) {
    out.result({ workflowId: handle.workflowId, runId: handle.firstExecutionRunId, url });
    return EXIT.ok;
  }
  const done = handle.result();
  let finished = false;
  void done.then(
    () => (finished = true),
    () => (finished = true),
  );
  const watch = async () => {
    while (!finished) {
      await Promise.race([done.catch(() => undefined), new Promise((r) => setTimeout(r, pollMs))]);
      if (finished) continue;
      const p = await handle.query(syncAllProgressQuery).catch(() => undefined);
      if (p) out.out(formatSyncAllProgress(p));
    }
    return done;
  };
  const summary = await untilInterrupted(
    ctx,
    watch(),
    `the sync of all campaigns goes on (workflow ${handle.workflowId}, run ${handle.firstExecutionRunId}). ` +
      `Follow it with 'campaign-sync sync all status'; cancel it with 'campaign-sync sync all cancel'.`,
  );
  if (summary === INTERRUPTED) {
    finished = true;
    return EXIT.interrupted;
  }
  out.result(summary, formatSyncAllSummary(summary, ctx.emphasis));
  if (summary.failed > 0 || summary.cancelled > 0) return EXIT.failed;
  if (summary.skipped > 0) {
    // Not a success: those campaigns were not synced. Exit 3, as for a single sync refused by a lock.
    const skipped = summary.campaigns.filter((c) => c.status === 'skipped');
    out.err(
      `${skipped.length} campaign${skipped.length === 1 ? ' was' : 's were'} skipped, not synced, because ${skipped.length === 1 ? 'its' : 'their'} lock was held: ` +
        `${skipped.map((c) => c.campaign).join(', ')}. Sync ${skipped.length === 1 ? 'it' : 'them'} once the holder is done: ` +
        `campaign-sync ${retryArgs(ctx.argv.slice(2), skipped).join(' ')}`,
    );
    return EXIT.locked;
  }
  return EXIT.ok;
}

/**
 * `sync all` again for the campaigns given, with the other options of this command line as they
 * were (mode, dry run, timeout...), so following the advice after a dry run stays a dry run.
 */
function retryArgs(args: string[], campaigns: { campaign: string; productId?: number }[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--json') continue;
    if (arg === '--campaign') {
      i++;
      continue;
    }
    if (arg.startsWith('--campaign=')) continue;
    kept.push(/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);
  }
  const targets = campaigns.flatMap((c) => [
    '--campaign',
    c.productId !== undefined ? `${c.campaign}=${c.productId}` : c.campaign,
  ]);
  return ['sync', 'all', ...targets, ...kept.filter((a) => a !== '--wait'), '--wait'];
}

export function formatSyncAllProgress(p: SyncAllProgress): string {
  const t = p.totals;
  return (
    `[sync all] ${p.phase}: ${p.done}/${p.total} done (completed ${p.completed}, skipped ${p.skipped}, failed ${p.failed}), ` +
    `running ${p.running.length ? p.running.join(', ') : 'none'} (at most ${p.concurrency}); ` +
    `created ${t.created}, updated ${t.updated}, unchanged ${t.unchanged}`
  );
}

export function formatSyncAllSummary(s: SyncAllSummary, emphasis: Emphasis = plain): string {
  const t = s.totals;
  const lines = [
    ...(s.dryRun
      ? ['DRY RUN: nothing was written; created and updated count what real runs would write.']
      : []),
    `Sync of all campaigns: ${s.total} campaigns in ${(s.durationMs / 1000).toFixed(1)} s, at most ${s.maxConcurrent} at once (limit ${s.concurrency})`,
    `  completed ${s.completed}, skipped ${s.skipped} (locked), failed ${s.failed}, cancelled ${s.cancelled}`,
    `  totals: fetched ${t.fetched}, valid ${t.valid}, invalid ${t.invalid}, created ${t.created}, updated ${t.updated}, ` +
      `unchanged ${t.unchanged}, superseded ${t.superseded}, skipped ${t.skipped}, failed ${t.failed}` +
      (s.mode === 'mirror' ? `, removed ${t.removed}` : ''),
    'By campaign:',
  ];
  for (const c of s.campaigns) lines.push(formatSyncAllCampaign(c, { emphasis }));
  if (s.failed > 0) lines.push("A failed campaign's details: campaign-sync sync status <campaign>");
  return lines.join('\n');
}
