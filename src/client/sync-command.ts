import { Option, type Command } from 'commander';
import { unpolledAdvice } from '../shared/health';
import { parseDuration } from '../shared/duration';
import type { ReportKind, SyncInput } from '../shared/sync-types';
import { act, INTERRUPTED, untilInterrupted, type CliContext } from './cli-context';
import { campaign as campaignArg, choice, duration, integer, repeated, runId, text } from './cli-values';
import { EXIT } from './errors';
import { formatProgress, formatReport, formatStatus, formatSummary } from './format';
import { didYouMeanSynced } from './did-you-mean';
import { decideRemovals } from './sync-approve';
import { registerSyncAllCommand } from './sync-all';
import { cancelSync, type CancelOutcome } from './sync-cancel';
import {
  addRunOutputOptions,
  addSyncOptions,
  syncOptionsFrom,
  valueOption,
  type SyncOptionFlags,
} from './sync-options';
import { formatSyncHistory, syncHistory } from './sync-history';
import { syncReport } from './sync-report';
import { checkSyncInput, startSync } from '../temporal/sync-start';
import { cliIdentity, syncStatus } from './sync-status';
import { watchSync } from './sync-watch';
import { noWorkerWarning } from './worker-presence';

const REPORT_KINDS: readonly ReportKind[] = ['invalid', 'failed', 'skipped', 'removed'];

const CAMPAIGN_HELP = 'campaign code, e.g. 2024_ETB_NBL';

/** `sync start|all|status|report|approve|reject|cancel`. */
export function registerSyncCommands(program: Command, ctx: CliContext): void {
  const { out } = ctx;
  const sync = program
    .command('sync')
    .description("one campaign's sync (or every campaign's): start, follow, approve, cancel, report");

  addRunOutputOptions(
    addSyncOptions(
      sync
        .command('start')
        .description(
          'start a sync of one campaign. Mirror mode also removes from the purchase group those no longer ' +
            "purchasers; above --max-removal-share of the group it waits for 'sync approve' and fails after " +
            "--approval-timeout without one. --incremental reads only the orders since the campaign's watermark.",
        )
        .argument('<campaign>', CAMPAIGN_HELP, campaignArg())
        .addOption(
          valueOption(
            '--product-id <n>',
            "the album's EDD product ID (default: found from the campaign code)",
            integer('--product-id', 1),
          ),
        ),
    ).addOption(
      valueOption(
        '--progress-interval <duration>',
        'how often the run logs progress and --wait shows it (default: 10s)',
        duration('--progress-interval'),
      ),
    ),
  ).action(
    act(
      ctx,
      async (
        campaign: string,
        opts: SyncOptionFlags & { productId?: number; progressInterval?: string; wait?: boolean },
      ) => {
        const input: SyncInput = { campaign, trigger: 'cli', ...syncOptionsFrom(opts) };
        if (opts.productId !== undefined) input.productId = opts.productId;
        if (opts.progressInterval !== undefined) input.progressInterval = opts.progressInterval;
        // Checked before connecting: a mistake is reported even when the server is away.
        checkSyncInput(input);
        const client = await ctx.connect();
        const taskQueue = ctx.taskQueue();
        const handle = await startSync(client, taskQueue, input);
        const url = ctx.runLink(handle.workflowId, handle.firstExecutionRunId);
        out.out(
          `Started sync of ${input.campaign}: workflow ${handle.workflowId}, run ${handle.firstExecutionRunId}`,
        );
        out.out(`Temporal UI: ${url}`);
        const noWorker = () => noWorkerWarning(client, taskQueue, input.campaign);
        const warning = await noWorker();
        if (warning) out.err(`Warning: ${warning}`);
        if (!opts.wait) {
          out.result({
            campaign,
            workflowId: handle.workflowId,
            runId: handle.firstExecutionRunId,
            url,
            ...(warning ? { warning } : {}),
          });
          return EXIT.ok;
        }
        const summary = await untilInterrupted(
          ctx,
          watchSync(handle, (p) => out.out(formatProgress(p)), {
            intervalMs: parseDuration(input.progressInterval ?? '10s'),
            onNoAnswer: async () => {
              const still = await noWorker();
              if (still) out.err(`Still waiting: ${still}`);
            },
          }),
          `the sync of ${campaign} goes on (run ${handle.firstExecutionRunId}). Follow it with ` +
            `'campaign-sync sync status ${campaign}'; cancel it with 'campaign-sync sync cancel ${campaign}'.`,
        );
        if (summary === INTERRUPTED) return EXIT.interrupted;
        out.result(summary, formatSummary(summary));
        return EXIT.ok;
      },
    ),
  );

  registerSyncAllCommand(sync, ctx);

  sync
    .command('status')
    .description(
      "the latest run of a campaign's sync: progress, retrying activities, summary or failure; " +
        'who stopped it and why, and what it did',
    )
    .argument('<campaign>', CAMPAIGN_HELP, campaignArg())
    .option('--json', 'print it as JSON')
    .addHelpText(
      'after',
      `
Exit codes (for cron and monitors): 0 running, completed, cancelled or terminated; 1 the run
FAILED; 4 no sync of the campaign was found (a close code is named); 2 invalid input.`,
    )
    .action(
      act(ctx, async (campaign: string) => {
        const status = await syncStatus(await ctx.connect(), campaign);
        out.result(status, formatStatus(status, { emphasis: ctx.emphasis }));
        return status.status === 'FAILED' ? EXIT.failed : EXIT.ok;
      }),
    );

  sync
    .command('history')
    .description(
      "a campaign's past syncs, newest first: when (local time and age), result, who started it, mode, " +
        'duration and counts, or why it failed; exit 1 when the latest did not complete',
    )
    .argument('<campaign>', CAMPAIGN_HELP, campaignArg())
    .addOption(valueOption('--last <n>', 'how many syncs, 1 to 100 (default 10)', integer('--last', 1, 100)))
    .option('--json', 'print it as JSON')
    .action(
      act(ctx, async (campaign: string, opts: { last?: number }) => {
        const client = await ctx.connect();
        const history = await syncHistory(client, campaign, opts.last ?? 10);
        // Results that did not complete stand out on a terminal (bold red), not in a pipe or a file.
        out.result(history, formatSyncHistory(campaign, history, { emphasis: ctx.emphasis }));
        // None: a typo of a campaign that has syncs?
        if (history.length === 0) {
          const meant = await didYouMeanSynced(client, campaign);
          if (meant) out.err(meant.trim());
        }
        const latest = history[0]?.status;
        return latest === undefined || latest === 'COMPLETED' || latest === 'RUNNING' ? EXIT.ok : EXIT.failed;
      }),
    );

  sync
    .command('report')
    .description(
      'every record of a sync (the latest, or the run given) that was invalid, refused, skipped or removed, ' +
        'with its reasons; readable while the sync runs and after it ends',
    )
    .argument('<campaign>', CAMPAIGN_HELP, campaignArg())
    .addOption(valueOption('--run <run-id>', 'the run to report on (default: the latest)', runId('--run')))
    .addOption(
      new Option('--kind <kind>', 'only these kinds (repeatable, or comma-separated)')
        .choices(REPORT_KINDS)
        .argParser(repeated(choice('--kind', REPORT_KINDS))),
    )
    .option('--json', 'print it as JSON')
    .action(
      act(ctx, async (campaign: string, opts: { run?: string; kind?: ReportKind[] }) => {
        const report = await syncReport(await ctx.connect(), campaign, {
          ...(opts.run ? { runId: opts.run } : {}),
          kinds: opts.kind ?? [],
        });
        out.result(report, formatReport(report));
        return EXIT.ok;
      }),
    );

  for (const verb of ['approve', 'reject'] as const) {
    const cmd = sync
      .command(verb)
      .description(
        verb === 'approve'
          ? 'approve the removals a mirror sync is waiting for'
          : 'refuse the removals a mirror sync is waiting for (it removes nobody)',
      )
      .argument('<campaign>', CAMPAIGN_HELP, campaignArg())
      .addOption(valueOption('--by <name>', 'who decides (default: $USER)', text('--by', 200)));
    if (verb === 'approve')
      cmd.addOption(
        valueOption(
          '--count <n>',
          "must equal the pending count 'sync status' shows, when given",
          integer('--count', 0),
        ),
      );
    cmd.option('--json', 'print the decision as JSON').action(
      act(ctx, async (campaign: string, opts: { by?: string; count?: number }) => {
        const result = await decideRemovals(await ctx.connect(), campaign, {
          approve: verb === 'approve',
          by: opts.by ?? ctx.user ?? 'cli',
          ...(opts.count !== undefined ? { count: opts.count } : {}),
        });
        out.result(
          { campaign, ...result },
          result.approved
            ? `Approved: the mirror sync of ${campaign} removes ${result.toRemove} of ${result.groupMembers} group members.`
            : `Rejected: the mirror sync of ${campaign} removes nobody (${result.toRemove} were pending).`,
        );
        return EXIT.ok;
      }),
    );
  }

  sync
    .command('cancel')
    .description(
      "cancel a campaign's running sync (keeps what was written; records who and why). --force terminates it " +
        'instead, freeing the lock at once: for a run no worker can act on',
    )
    .argument('<campaign>', CAMPAIGN_HELP, campaignArg())
    .addOption(valueOption('--reason <text>', 'why (recorded with the run)', text('--reason')))
    .option('--force', 'terminate the run instead of cancelling it')
    .option('--json', 'print the outcome as JSON')
    .action(
      act(ctx, async (campaign: string, opts: { reason?: string; force?: boolean }) => {
        const outcome = await cancelSync(await ctx.connect(), campaign, {
          by: cliIdentity(ctx.env.USER),
          force: opts.force === true,
          ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
        });
        for (const line of formatCancelOutcome(campaign, outcome)) (line.warn ? out.err : out.out)(line.text);
        out.result({ campaign, ...outcome });
        return EXIT.ok;
      }),
    );
}

/** What `sync cancel` says: done, or why nothing happens yet and what to type. */
function formatCancelOutcome(campaign: string, o: CancelOutcome): { text: string; warn?: boolean }[] {
  if (o.outcome === 'terminated')
    return [
      {
        text:
          `Terminated the sync of ${campaign} (run ${o.runId}): the campaign's lock is free. What it wrote stays; ` +
          `its partial stats were not recorded. 'campaign-sync sync status ${campaign}' shows who stopped it and why.`,
      },
    ];
  const lines: { text: string; warn?: boolean }[] = [
    {
      text:
        `Cancellation requested for campaign ${campaign} (run ${o.runId})` +
        (o.alreadyRequested ? ', again' : '') +
        `: it stops after the activities in flight, keeps what it wrote and records what it did.`,
    },
  ];
  if (!o.workerPolling)
    lines.push({
      warn: true,
      text:
        `Warning: no worker polls task queue ${o.taskQueue}, so nothing acts on the cancellation and the run keeps ` +
        `the campaign's lock: ${unpolledAdvice(campaign, o.taskQueue)} (which terminates the run; its partial stats are not recorded).`,
    });
  return lines;
}
