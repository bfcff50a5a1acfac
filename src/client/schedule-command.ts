import type { ScheduleOverlapPolicy } from '@temporalio/client';
import type { Command, Option } from 'commander';
import { InvalidInputError } from '../shared/errors';
import { act, type CliContext } from './cli-context';
import { campaign as campaignArg, choice, cron, integer, isoTime, text } from './cli-values';
import type { LockHolder } from '../shared/provisioning';
import { EXIT } from './errors';
import type { ScheduleKind } from '../shared/names';
import {
  backfillSyncSchedule,
  checkScheduleRequest,
  createSyncSchedule,
  deleteSyncSchedule,
  describeSyncSchedule,
  launcherOutcome,
  listSyncSchedules,
  pauseSyncSchedule,
  triggerSyncSchedule,
  unpauseSyncSchedule,
  type ScheduleActionView,
  type ScheduleListing,
  type ScheduleView,
} from './schedules';
import { addSyncOptions, syncOptionsFrom, valueOption, type SyncOptionFlags } from './sync-options';

const OVERLAP_POLICIES: Record<string, ScheduleOverlapPolicy> = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'terminate-other': 'TERMINATE_OTHER',
  'allow-all': 'ALLOW_ALL',
};

function overlapOption(description: string): Option {
  const names = Object.keys(OVERLAP_POLICIES);
  return valueOption(
    '--overlap <policy>',
    description,
    (v) => OVERLAP_POLICIES[choice('--overlap', names)(v.toLowerCase())]!,
    names,
  );
}

/** `the sync schedule of X` / `the incremental sync schedule of X`. */
function theSchedule(campaign: string, kind: ScheduleKind): string {
  return `the ${kind === 'incremental' ? 'incremental ' : ''}sync schedule of ${campaign}`;
}

const INCREMENTAL_HELP = "the campaign's incremental schedule, not its full one";

function kindOf(opts: { incremental?: boolean }): ScheduleKind {
  return opts.incremental ? 'incremental' : 'full';
}

/**
 * `schedule create|list|describe|pause|unpause|trigger|backfill|delete`. Exit 0 done, 1 the
 * triggered run failed, 2 invalid input, 3 refused (the schedule exists; a trigger dropped by the
 * overlap policy or skipped because the campaign is locked), 4 no such schedule.
 */
export function registerScheduleCommands(program: Command, ctx: CliContext): void {
  const { out } = ctx;
  const by = () => ctx.user ?? 'cli';
  const schedule = program
    .command('schedule')
    .description(
      'recurring syncs of a campaign: create, list, describe, pause, unpause, trigger, backfill, delete',
    );

  addSyncOptions(
    schedule
      .command('create')
      .description(
        "a recurring sync of the campaign (overlap SKIP, catch-up window 10 min; each run takes the campaign's lock " +
          'or is skipped, naming the holder). A campaign has one full schedule and may have one --incremental one.',
      )
      .argument('<campaign>', 'campaign code, e.g. 2024_ETB_NBL', campaignArg())
      .addOption(
        valueOption(
          '--every <interval>',
          'run at this interval: whole minutes, hours or days, e.g. 1h',
          text('--every', 50),
        ),
      )
      .addOption(
        valueOption('--cron <expression>', 'run at these times, e.g. "0 * * * *" (UTC)', cron('--cron')),
      )
      .addOption(
        valueOption(
          '--product-id <n>',
          "the album's EDD product ID (default: found from the code)",
          integer('--product-id', 1),
        ),
      )
      .addOption(valueOption('--note <text>', 'a note shown with the schedule', text('--note')))
      .option('--paused', 'create it paused'),
  )
    .option('--json', 'print the schedule as JSON')
    .action(
      act(
        ctx,
        async (
          campaign: string,
          opts: SyncOptionFlags & {
            every?: string;
            cron?: string;
            productId?: number;
            note?: string;
            paused?: boolean;
          },
        ) => {
          // Checked before connecting: a mistake is reported even when the server is away.
          const sync = {
            ...syncOptionsFrom(opts),
            ...(opts.productId !== undefined ? { productId: opts.productId } : {}),
          };
          const request = {
            campaign,
            timing: {
              ...(opts.every !== undefined ? { every: opts.every } : {}),
              ...(opts.cron !== undefined ? { cron: opts.cron } : {}),
            },
            sync,
            createdBy: `cli:${by()}`,
            ...(opts.note !== undefined ? { note: opts.note } : {}),
            ...(opts.paused ? { paused: true } : {}),
          };
          checkScheduleRequest(request, ctx.taskQueue());
          const view = await createSyncSchedule(await ctx.connect(), ctx.taskQueue(), request);
          out.result(view, `Created ${formatSchedule(view)}`);
          return EXIT.ok;
        },
      ),
    );

  schedule
    .command('list')
    .description("every campaign's sync schedules")
    .option('--json', 'print them as JSON')
    .action(
      act(ctx, async () => {
        const schedules = await listSyncSchedules(await ctx.connect());
        out.result(schedules, formatScheduleList(schedules));
        return EXIT.ok;
      }),
    );

  schedule
    .command('describe')
    .description("one schedule's spec, state, next runs and recent results")
    .argument('<campaign>', 'campaign code', campaignArg())
    .option('--incremental', INCREMENTAL_HELP)
    .option('--json', 'print it as JSON')
    .action(
      act(ctx, async (campaign: string, opts: { incremental?: boolean }) => {
        const view = await describeSyncSchedule(await ctx.connect(), campaign, { kind: kindOf(opts) });
        out.result(view, formatSchedule(view));
        return EXIT.ok;
      }),
    );

  for (const verb of ['pause', 'unpause'] as const) {
    schedule
      .command(verb)
      .description(
        verb === 'pause' ? 'pause a schedule (a sync running now goes on)' : 'resume a paused schedule',
      )
      .argument('<campaign>', 'campaign code', campaignArg())
      .option('--incremental', INCREMENTAL_HELP)
      .addOption(valueOption('--note <text>', 'why (shown with the schedule)', text('--note')))
      .option('--json', 'print the outcome as JSON')
      .action(
        act(ctx, async (campaign: string, opts: { incremental?: boolean; note?: string }) => {
          const kind = kindOf(opts);
          const note = opts.note ?? `${verb === 'pause' ? 'Paused' : 'Unpaused'} by ${by()} (campaign-sync)`;
          const client = await ctx.connect();
          if (verb === 'pause') await pauseSyncSchedule(client, campaign, note, kind);
          else await unpauseSyncSchedule(client, campaign, note, kind);
          out.result(
            { campaign, kind, paused: verb === 'pause', note },
            verb === 'pause'
              ? `Paused ${theSchedule(campaign, kind)}: ${note}. A sync running now goes on; 'schedule unpause' resumes the schedule.`
              : `Unpaused ${theSchedule(campaign, kind)}: ${note}.`,
          );
          return EXIT.ok;
        }),
      );
  }

  schedule
    .command('trigger')
    .description('run a schedule now; with --wait, wait for the sync and print its outcome')
    .argument('<campaign>', 'campaign code', campaignArg())
    .option('--incremental', INCREMENTAL_HELP)
    .addOption(overlapOption("overlap policy of this run (default: the schedule's, skip)"))
    .option('--wait', 'wait for the run and print what came of it')
    .option('--json', 'print the outcome as JSON')
    .action(
      act(
        ctx,
        async (
          campaign: string,
          opts: { incremental?: boolean; overlap?: ScheduleOverlapPolicy; wait?: boolean },
        ) => {
          const kind = kindOf(opts);
          const client = await ctx.connect();
          const outcome = await triggerSyncSchedule(client, campaign, {
            kind,
            ...(opts.overlap ? { overlap: opts.overlap } : {}),
          });
          if (outcome.outcome !== 'started') {
            out.result(outcome);
            if (outcome.outcome === 'overlap') {
              out.err(
                `Skipped: a scheduled sync of ${campaign} is still running (${outcome.running?.map((r) => r.workflowId).join(', ') || 'ending now'}); ` +
                  `overlap policy ${outcome.overlap} dropped this trigger.`,
              );
              return EXIT.locked;
            }
            out.out(
              `Trigger sent (overlap ${outcome.overlap}); no run seen yet. See 'campaign-sync schedule describe ${campaign}${kind === 'incremental' ? ' --incremental' : ''}'.`,
            );
            return EXIT.ok;
          }
          const run = { workflowId: outcome.workflowId!, runId: outcome.runId! };
          if (!opts.wait) {
            out.result(
              outcome,
              `Triggered ${theSchedule(campaign, kind)}: launcher ${run.workflowId}, run ${run.runId}.`,
            );
            return EXIT.ok;
          }
          out.out(
            `Triggered ${theSchedule(campaign, kind)}: launcher ${run.workflowId}, run ${run.runId}; waiting.`,
          );
          await client.workflow
            .getHandle(run.workflowId, run.runId)
            .result()
            .catch(() => undefined);
          const result = await launcherOutcome(client, campaign, run);
          const action: ScheduleActionView = { scheduledAt: '', takenAt: '', ...run, ...result };
          out.result({ ...outcome, ...result }, `  ${formatOutcome(action)}`);
          if (result.status === 'skipped') return EXIT.locked;
          return result.status === 'completed' ? EXIT.ok : EXIT.failed;
        },
      ),
    );

  schedule
    .command('backfill')
    .description('run the actions a schedule would have taken between two times')
    .argument('<campaign>', 'campaign code', campaignArg())
    .option('--incremental', INCREMENTAL_HELP)
    .addOption(
      valueOption(
        '--from <time>',
        'start, an ISO time such as 2024-05-01T00:00:00Z',
        isoTime('--from'),
      ).makeOptionMandatory(),
    )
    .addOption(
      valueOption(
        '--to <time>',
        'end, an ISO time such as 2024-05-02T00:00:00Z',
        isoTime('--to'),
      ).makeOptionMandatory(),
    )
    .addOption(overlapOption('overlap policy of the backfilled runs (default: skip)'))
    .option('--json', 'print the request as JSON')
    .action(
      act(
        ctx,
        async (
          campaign: string,
          opts: { incremental?: boolean; from: Date; to: Date; overlap?: ScheduleOverlapPolicy },
        ) => {
          const kind = kindOf(opts);
          const { from, to } = opts;
          if (from.getTime() >= to.getTime())
            throw new InvalidInputError(
              `--from must be before --to (${from.toISOString()} is not before ${to.toISOString()})`,
            );
          const overlap = opts.overlap ?? 'SKIP';
          await backfillSyncSchedule(await ctx.connect(), campaign, { from, to, overlap, kind });
          out.result(
            { campaign, kind, from: from.toISOString(), to: to.toISOString(), overlap },
            `Backfill of ${theSchedule(campaign, kind)} requested: the actions due from ${from.toISOString()} to ${to.toISOString()}, ` +
              `overlap ${overlap}${overlap === 'SKIP' ? ' (while one runs, the others are skipped: each sync covers the whole campaign)' : ''}. ` +
              `See 'campaign-sync schedule describe ${campaign}${kind === 'incremental' ? ' --incremental' : ''}'.`,
          );
          return EXIT.ok;
        },
      ),
    );

  schedule
    .command('delete')
    .description('delete a schedule (a scheduled sync running now goes on to its end)')
    .argument('<campaign>', 'campaign code', campaignArg())
    .option('--incremental', INCREMENTAL_HELP)
    .option('--json', 'print the outcome as JSON')
    .action(
      act(ctx, async (campaign: string, opts: { incremental?: boolean }) => {
        const kind = kindOf(opts);
        await deleteSyncSchedule(await ctx.connect(), campaign, kind);
        out.result(
          { campaign, kind, deleted: true },
          `Deleted ${theSchedule(campaign, kind)}. A scheduled sync running now goes on to its end.`,
        );
        return EXIT.ok;
      }),
    );
}

export function formatHolder(holder: LockHolder): string {
  return (
    `campaign locked by ${holder.trigger ?? 'an unknown holder'}` +
    ` (${holder.workflowType ?? 'workflow'} ${holder.workflowId}` +
    (holder.runId ? `, run ${holder.runId}` : '') +
    (holder.startedAt ? `, since ${holder.startedAt}` : '') +
    ')'
  );
}

function formatOutcome(a: ScheduleActionView): string {
  switch (a.status) {
    case 'completed': {
      const s = a.summary!;
      return (
        `completed${s.dryRun ? ' (dry run)' : ''}: fetched ${s.fetched}, valid ${s.valid}, invalid ${s.invalid}, ` +
        `created ${s.created}, updated ${s.updated}, unchanged ${s.unchanged}, skipped ${s.skipped}, failed ${s.failed}` +
        (s.mode === 'mirror' ? `, removed ${s.removed}` : '') +
        ` (${s.pages} pages, ${(s.durationMs / 1000).toFixed(1)} s)`
      );
    }
    case 'skipped':
      return `SKIPPED: ${formatHolder(a.holder!)}`;
    case 'running':
      return a.progress
        ? `running: ${a.progress.phase}, pages ${a.progress.pages}, fetched ${a.progress.fetched}, created ${a.progress.created}, updated ${a.progress.updated}`
        : 'running';
    case 'failed':
      return `FAILED: ${a.error}`;
    default:
      return a.status;
  }
}

export function formatSchedule(v: ScheduleView): string {
  const sync = v.sync;
  const lines = [
    `Schedule ${v.scheduleId} (campaign ${v.campaign}, ${v.kind} syncs): ${v.spec}, ${v.paused ? 'PAUSED' : 'active'}`,
    ...(v.note ? [`  note       ${v.note}`] : []),
    `  sync       mode ${sync.mode ?? 'upsert'}${sync.dryRun ? ', DRY RUN (writes nothing)' : ''}` +
      (sync.incremental
        ? `, incremental (back to the watermark plus ${sync.lookback ?? '48h'} and ${sync.lookbackOrders ?? 200} orders)`
        : '') +
      (sync.productId !== undefined ? `, EDD product ${sync.productId}` : '') +
      (sync.timeout ? `, timeout ${sync.timeout} (the campaign's lock is released by then)` : '') +
      `, task queue ${v.taskQueue}`,
    `  policies   overlap ${v.overlap} (a tick while the last scheduled sync runs is skipped), catch-up window ${v.catchupWindowMs / 60_000} min`,
    `  created    ${v.createdAt}${v.createdBy ? ` by ${v.createdBy}` : ''}`,
    `  next runs  ${v.paused ? '(paused) ' : ''}${v.nextActionTimes.slice(0, 3).join(', ') || 'none'}`,
    `  actions    ${v.numActionsTaken} taken, ${v.numActionsSkippedOverlap} skipped for overlap, ${v.numActionsMissedCatchupWindow} missed the catch-up window`,
  ];
  if (v.running.length > 0)
    lines.push(`  running    ${v.running.map((r) => `${r.workflowId} (run ${r.runId})`).join(', ')}`);
  if (v.recent.length > 0) {
    lines.push('Recent runs (oldest first):');
    for (const a of v.recent) lines.push(`  ${a.takenAt}  ${a.workflowId}  ${formatOutcome(a)}`);
  }
  return lines.join('\n');
}

export function formatScheduleList(list: ScheduleListing[]): string {
  if (list.length === 0)
    return "No campaign has a sync schedule. Create one with 'campaign-sync schedule create <campaign> --every <interval>'.";
  return [
    'Campaign sync schedules:',
    ...list.map(
      (s) =>
        `  ${s.campaign}  ${s.kind}  ${s.spec}  ${s.paused ? `PAUSED${s.note ? ` (${s.note})` : ''}` : 'active'}` +
        (s.nextActionAt && !s.paused ? `  next ${s.nextActionAt}` : '') +
        (s.lastActionAt ? `  last ${s.lastActionAt}` : ''),
    ),
  ].join('\n');
}
