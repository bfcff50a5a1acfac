import type { ScheduleOverlapPolicy } from '@temporalio/client';
import { whenAndAge } from '../shared/when';
import type { Command, Option } from 'commander';
import { InvalidInputError } from '../shared/errors';
import { act, INTERRUPTED, untilInterrupted, type CliContext } from './cli-context';
import { campaign as campaignArg, choice, cron, integer, isoTime, text, timezone } from './cli-values';
import type { LockHolder, ScheduleTiming } from '../shared/provisioning';
import { SYNC_ALL_MAX_CONCURRENCY } from '../shared/sync-all';
import { scheduleTimingProblem } from '../shared/sync-schedule';
import { EXIT } from './errors';
import {
  ALL_CAMPAIGNS,
  backfillSyncSchedule,
  checkAllCampaignsScheduleRequest,
  checkScheduleRequest,
  createAllCampaignsSchedule,
  createSyncSchedule,
  deleteSyncSchedule,
  describeSyncSchedule,
  launcherOutcome,
  listSyncSchedules,
  scheduleArgs,
  setSyncSchedulePaused,
  triggerSyncSchedule,
  updateSyncSchedule,
  type ScheduleActionView,
  type ScheduleListing,
  type ScheduleScope,
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

/** `the sync schedule of X`, `the incremental sync schedule of X`, `the schedule of all campaigns`. */
function theSchedule(campaign: string, kind: ScheduleScope): string {
  if (kind === 'all-campaigns') return 'the schedule of all campaigns';
  return `the ${kind === 'incremental' ? 'incremental ' : ''}sync schedule of ${campaign}`;
}

const INCREMENTAL_HELP = "the campaign's incremental schedule, not its full one";
const ALL_CAMPAIGNS_HELP =
  'the one schedule that syncs every campaign (a sync all of the campaigns EDD gives at each run)';

interface TargetFlags {
  incremental?: boolean;
  allCampaigns?: boolean;
}

/**
 * The schedule a command names: a campaign's (full, or with --incremental its incremental one), or
 * with --all-campaigns the schedule of all campaigns. Exactly one of the campaign and the flag.
 */
function targetOf(
  campaign: string | undefined,
  opts: TargetFlags,
): { campaign: string; kind: ScheduleScope } {
  if (opts.allCampaigns) {
    if (campaign !== undefined)
      throw new InvalidInputError(
        `give a campaign code or --all-campaigns, not both (${campaign} and --all-campaigns)`,
      );
    if (opts.incremental)
      throw new InvalidInputError(
        "--incremental names a campaign's incremental schedule; the schedule of all campaigns has none (drop --incremental)",
      );
    return { campaign: ALL_CAMPAIGNS, kind: 'all-campaigns' };
  }
  if (campaign === undefined)
    throw new InvalidInputError(
      'give the campaign code of the schedule (e.g. 2024_ETB_NBL), or --all-campaigns for the schedule of all campaigns',
    );
  return { campaign, kind: opts.incremental ? 'incremental' : 'full' };
}

/** Declares `[campaign]`, `--incremental` and `--all-campaigns` (without the sync options' --incremental). */
function targetArgs(cmd: Command, incremental = true): Command {
  cmd
    .argument('[campaign]', 'campaign code, e.g. 2024_ETB_NBL (or --all-campaigns)', campaignArg())
    .option('--all-campaigns', ALL_CAMPAIGNS_HELP);
  return incremental ? cmd.option('--incremental', INCREMENTAL_HELP) : cmd;
}

interface TimingFlags {
  every?: string;
  cron?: string;
  timezone?: string;
}

function addTimingOptions(cmd: Command, verb: 'create' | 'update'): Command {
  const then = verb === 'update' ? ' (replaces the timing)' : '';
  return cmd
    .addOption(
      valueOption(
        '--every <interval>',
        `run at this interval: whole minutes, hours or days, e.g. 1h${then}`,
        text('--every', 50),
      ),
    )
    .addOption(
      valueOption(
        '--cron <expression>',
        `run at these times, e.g. "0 3 * * *" (in --timezone, default UTC)${then}`,
        cron('--cron'),
      ),
    )
    .addOption(
      valueOption(
        '--timezone <zone>',
        'the time zone of --cron: an IANA name such as Europe/Berlin (default: UTC; daylight saving followed)',
        timezone('--timezone'),
      ),
    );
}

function timingFrom(opts: TimingFlags): ScheduleTiming {
  return {
    ...(opts.every !== undefined ? { every: opts.every } : {}),
    ...(opts.cron !== undefined ? { cron: opts.cron } : {}),
    ...(opts.timezone !== undefined ? { timezone: opts.timezone } : {}),
  };
}

type ScheduleFlags = SyncOptionFlags &
  TimingFlags &
  TargetFlags & {
    productId?: number;
    concurrency?: number;
    note?: string;
    paused?: boolean;
    resetOptions?: boolean;
  };

/** --product-id is a campaign's; --concurrency is the all-campaigns schedule's. */
function checkScopeFlags(kind: ScheduleScope, opts: ScheduleFlags): void {
  if (kind === 'all-campaigns' && opts.productId !== undefined)
    throw new InvalidInputError(
      "--product-id names one campaign's product; the schedule of all campaigns finds each campaign's product itself (drop --product-id)",
    );
  if (kind !== 'all-campaigns' && opts.concurrency !== undefined)
    throw new InvalidInputError(
      "--concurrency is for the schedule of all campaigns (--all-campaigns); a campaign's schedule runs one sync",
    );
}

/** `schedule create` or `schedule update`: a campaign (or --all-campaigns), then its timing and note. */
function scheduleDefinition(schedule: Command, verb: 'create' | 'update', description: string): Command {
  return addScheduleOptions(
    schedule
      .command(verb)
      .description(description)
      .argument('[campaign]', 'campaign code, e.g. 2024_ETB_NBL (or --all-campaigns)', campaignArg())
      .option('--all-campaigns', ALL_CAMPAIGNS_HELP),
    verb,
  );
}

function addScheduleOptions(cmd: Command, verb: 'create' | 'update'): Command {
  return addTimingOptions(cmd, verb)
    .addOption(
      valueOption(
        '--product-id <n>',
        "the album's EDD product ID (default: found from the code)",
        integer('--product-id', 1),
      ),
    )
    .addOption(
      valueOption(
        '--concurrency <n>',
        `with --all-campaigns: campaigns synced at once, 1 to ${SYNC_ALL_MAX_CONCURRENCY} (default: 2)`,
        integer('--concurrency', 1, SYNC_ALL_MAX_CONCURRENCY),
      ),
    )
    .addOption(
      valueOption(
        '--note <text>',
        verb === 'create'
          ? 'what the schedule is for, shown with it (pauses and unpauses keep it)'
          : 'a new note (what the schedule is for)',
        text('--note'),
      ),
    );
}

/**
 * `schedule create|update|list|describe|pause|unpause|trigger|backfill|delete`. Exit 0 done, 1 the
 * triggered run failed, 2 invalid input, 3 refused (the schedule exists; a trigger dropped by the
 * overlap policy or skipped because the campaign is locked), 4 no such schedule, 130 Ctrl-C ended
 * `trigger --wait` (the run goes on).
 */
export function registerScheduleCommands(program: Command, ctx: CliContext): void {
  const { out } = ctx;
  const by = () => ctx.user ?? 'cli';
  const schedule = program
    .command('schedule')
    .description(
      'recurring syncs of a campaign, or of all campaigns: create, update, list, describe, pause, unpause, ' +
        'trigger, backfill, delete',
    );

  addSyncOptions(
    scheduleDefinition(
      schedule,
      'create',
      "a recurring sync of the campaign (overlap SKIP, catch-up window 10 min; each run takes the campaign's lock " +
        'or is skipped, naming the holder). A campaign has one full schedule and may have one --incremental one. ' +
        'With --all-campaigns instead of a campaign: one schedule that runs a sync all of the campaigns EDD gives ' +
        'at each run, so campaigns added later are synced too.',
    ).option('--paused', 'create it paused'),
  )
    .option('--json', 'print the schedule as JSON')
    .action(
      act(ctx, async (campaign: string | undefined, opts: ScheduleFlags) => {
        // The sync options' --incremental makes a campaign's incremental schedule.
        const target = targetOf(campaign, { allCampaigns: opts.allCampaigns, incremental: false });
        checkScopeFlags(target.kind, opts);
        // Checked before connecting: a mistake is reported even when the server is away.
        const base = {
          timing: timingFrom(opts),
          createdBy: `cli:${by()}`,
          ...(opts.note !== undefined ? { note: opts.note } : {}),
          ...(opts.paused ? { paused: true } : {}),
        };
        let view: ScheduleView;
        if (target.kind === 'all-campaigns') {
          const request = {
            ...base,
            sync: syncOptionsFrom(opts),
            ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
          };
          checkAllCampaignsScheduleRequest(request, ctx.taskQueue());
          view = await createAllCampaignsSchedule(await ctx.connect(), ctx.taskQueue(), request);
        } else {
          const request = {
            ...base,
            campaign: target.campaign,
            sync: {
              ...syncOptionsFrom(opts),
              ...(opts.productId !== undefined ? { productId: opts.productId } : {}),
            },
          };
          checkScheduleRequest(request, ctx.taskQueue());
          view = await createSyncSchedule(await ctx.connect(), ctx.taskQueue(), request);
        }
        out.result(view, `Created ${formatSchedule(view)}`);
        return EXIT.ok;
      }),
    );

  addSyncOptions(
    scheduleDefinition(
      schedule,
      'update',
      'change a schedule in place: its timing, the options of its syncs, its note. What is not given is kept, ' +
        'and so are its paused state and its history (actions taken, recent runs). --incremental names the ' +
        "campaign's incremental schedule.",
    ).option(
      '--reset-options',
      'the sync options become exactly those given (the others back to their defaults), e.g. to end a --dry-run',
    ),
  )
    .option('--json', 'print the schedule before and after as JSON')
    .action(
      act(ctx, async (campaign: string | undefined, opts: ScheduleFlags) => {
        const target = targetOf(campaign, opts);
        checkScopeFlags(target.kind, opts);
        const { incremental: _incremental, ...sync } = syncOptionsFrom(opts);
        const given = {
          ...sync,
          ...(opts.productId !== undefined ? { productId: opts.productId } : {}),
        };
        const timing = opts.every !== undefined || opts.cron !== undefined ? timingFrom(opts) : undefined;
        if (
          !timing &&
          opts.timezone === undefined &&
          opts.note === undefined &&
          Object.keys(given).length === 0 &&
          opts.concurrency === undefined &&
          !opts.resetOptions
        )
          throw new InvalidInputError(
            'nothing to update: give --every or --cron, --timezone, --note, or sync options such as --mode or --timeout',
          );
        if (timing) {
          // The new timing is checked whole before connecting (a --timezone with --every is refused here).
          const problem = scheduleTimingProblem(timing);
          if (problem) throw new InvalidInputError(`Invalid schedule: ${problem}`, [problem]);
        }
        const { before, after } = await updateSyncSchedule(await ctx.connect(), {
          campaign: target.campaign,
          kind: target.kind,
          ...(timing ? { timing } : {}),
          ...(!timing && opts.timezone !== undefined ? { timezone: opts.timezone } : {}),
          sync: given,
          ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
          ...(opts.resetOptions ? { resetOptions: true } : {}),
          ...(opts.note !== undefined ? { note: opts.note } : {}),
          by: `cli:${by()}`,
        });
        out.result({ before, after }, formatUpdate(before, after));
        return EXIT.ok;
      }),
    );

  schedule
    .command('list')
    .description('every sync schedule in a table: timing, state, next run, and what came of its last run')
    .option('--json', 'print them as JSON')
    .action(
      act(ctx, async () => {
        const schedules = await listSyncSchedules(await ctx.connect());
        out.result(schedules, formatScheduleList(schedules));
        return EXIT.ok;
      }),
    );

  targetArgs(
    schedule.command('describe').description("one schedule's spec, state, next runs and recent results"),
  )
    .option('--json', 'print it as JSON')
    .action(
      act(ctx, async (campaign: string | undefined, opts: TargetFlags) => {
        const { campaign: c, kind } = targetOf(campaign, opts);
        const view = await describeSyncSchedule(await ctx.connect(), c, { kind });
        out.result(view, formatSchedule(view));
        return EXIT.ok;
      }),
    );

  for (const verb of ['pause', 'unpause'] as const) {
    targetArgs(
      schedule
        .command(verb)
        .description(
          verb === 'pause'
            ? 'pause a schedule (a sync running now goes on); its note is kept, and who paused it and why recorded beside it'
            : 'resume a paused schedule; its note is kept, and who resumed it recorded',
        ),
    )
      .addOption(
        valueOption(
          '--note <text>',
          verb === 'pause'
            ? "why it is paused (shown while it is; the schedule's own note is kept)"
            : "why it is resumed (recorded; the schedule's own note is kept)",
          text('--note'),
        ),
      )
      .option('--json', 'print the outcome as JSON')
      .action(
        act(ctx, async (campaign: string | undefined, opts: TargetFlags & { note?: string }) => {
          const target = targetOf(campaign, opts);
          const outcome = await setSyncSchedulePaused(await ctx.connect(), target.campaign, {
            paused: verb === 'pause',
            by: `cli:${by()}`,
            kind: target.kind,
            ...(opts.note !== undefined ? { reason: opts.note } : {}),
          });
          out.result(outcome, formatPause(theSchedule(target.campaign, target.kind), outcome, target));
          return EXIT.ok;
        }),
      );
  }

  targetArgs(
    schedule
      .command('trigger')
      .description(
        'run a schedule now (a paused schedule too: it says so, and stays paused); with --wait, wait for the ' +
          'run and print its outcome (Ctrl-C stops waiting, the run goes on)',
      ),
  )
    .addOption(overlapOption("overlap policy of this run (default: the schedule's, skip)"))
    .option('--wait', 'wait for the run and print what came of it')
    .option('--json', 'print the outcome as JSON')
    .action(
      act(
        ctx,
        async (
          campaignGiven: string | undefined,
          opts: TargetFlags & { overlap?: ScheduleOverlapPolicy; wait?: boolean },
        ) => {
          const { campaign, kind } = targetOf(campaignGiven, opts);
          const client = await ctx.connect();
          const outcome = await triggerSyncSchedule(client, campaign, {
            kind,
            ...(opts.overlap ? { overlap: opts.overlap } : {}),
          });
          const names = scheduleArgs(campaign, kind);
          if (outcome.paused)
            out.err(
              `Note: ${theSchedule(campaign, kind)} is PAUSED` +
                (outcome.pause ? ` (${pauseText(outcome.pause).replace(/^paused /, '')})` : '') +
                `. Temporal runs a trigger anyway: ${outcome.outcome === 'started' ? 'this run was started' : 'no run was started'}, ` +
                `and the schedule stays paused ('campaign-sync schedule unpause ${names}' resumes it).`,
            );
          if (outcome.outcome !== 'started') {
            out.result(outcome);
            if (outcome.outcome === 'overlap') {
              out.err(
                `Skipped: a scheduled ${kind === 'all-campaigns' ? 'sync of all campaigns' : `sync of ${campaign}`} is still running (${outcome.running?.map((r) => r.workflowId).join(', ') || 'ending now'}); ` +
                  `overlap policy ${outcome.overlap} dropped this trigger.`,
              );
              return EXIT.locked;
            }
            out.out(
              `Trigger sent (overlap ${outcome.overlap}); no run seen yet. See 'campaign-sync schedule describe ${names}'.`,
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
          const result = await untilInterrupted(
            ctx,
            client.workflow
              .getHandle(run.workflowId, run.runId)
              .result()
              .catch(() => undefined)
              .then(() => launcherOutcome(client, campaign, run, kind)),
            `the scheduled run goes on (launcher ${run.workflowId}, run ${run.runId}). ` +
              (kind === 'all-campaigns'
                ? `Follow it with 'campaign-sync schedule describe --all-campaigns' or 'campaign-sync locks'; ` +
                  `cancel it in the Temporal UI: ${ctx.runLink(run.workflowId, run.runId)} (its sync all is cancelled with it).`
                : `Follow it with 'campaign-sync sync status ${campaign}' or 'campaign-sync schedule describe ${names}'; ` +
                  `cancel it with 'campaign-sync sync cancel ${campaign}'.`),
          );
          if (result === INTERRUPTED) return EXIT.interrupted;
          const action: ScheduleActionView = { scheduledAt: '', takenAt: '', ...run, ...result };
          out.result({ ...outcome, ...result }, `  ${formatOutcome(action)}`);
          if (result.status === 'skipped') return EXIT.locked;
          if (result.allSummary && (result.allSummary.failed > 0 || result.allSummary.cancelled > 0))
            return EXIT.failed;
          // As `sync all --wait`: a campaign skipped because its lock was held is a campaign not synced.
          if (result.allSummary && result.allSummary.skipped > 0) {
            const skipped = result.allSummary.campaigns.filter((c) => c.status === 'skipped');
            out.err(
              `${skipped.length} campaign${skipped.length === 1 ? ' was' : 's were'} skipped, not synced, because ` +
                `${skipped.length === 1 ? 'its' : 'their'} lock was held: ${skipped.map((c) => c.campaign).join(', ')}.`,
            );
            return EXIT.locked;
          }
          return result.status === 'completed' ? EXIT.ok : EXIT.failed;
        },
      ),
    );

  targetArgs(
    schedule.command('backfill').description('run the actions a schedule would have taken between two times'),
  )
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
          campaignGiven: string | undefined,
          opts: TargetFlags & { from: Date; to: Date; overlap?: ScheduleOverlapPolicy },
        ) => {
          const { campaign, kind } = targetOf(campaignGiven, opts);
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
              `See 'campaign-sync schedule describe ${scheduleArgs(campaign, kind)}'.`,
          );
          return EXIT.ok;
        },
      ),
    );

  targetArgs(
    schedule
      .command('delete')
      .description('delete a schedule (a scheduled sync running now goes on to its end)'),
  )
    .option('--json', 'print the outcome as JSON')
    .action(
      act(ctx, async (campaignGiven: string | undefined, opts: TargetFlags) => {
        const { campaign, kind } = targetOf(campaignGiven, opts);
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
      if (a.allSummary) {
        const s = a.allSummary;
        const t = s.totals;
        return (
          `completed${s.dryRun ? ' (dry run)' : ''}: ${s.total} campaign${s.total === 1 ? '' : 's'} ` +
          `(${s.completed} synced, ${s.skipped} skipped, ${s.failed} failed${s.cancelled ? `, ${s.cancelled} cancelled` : ''}): ` +
          `fetched ${t.fetched}, created ${t.created}, updated ${t.updated}, unchanged ${t.unchanged}, failed ${t.failed}` +
          (s.mode === 'mirror' ? `, removed ${t.removed}` : '') +
          ` (${(s.durationMs / 1000).toFixed(1)} s)`
        );
      }
      const s = a.summary!;
      return (
        `completed${s.dryRun ? ' (dry run)' : ''}: fetched ${s.fetched}, valid ${s.valid}, invalid ${s.invalid}, ` +
        `created ${s.created}, updated ${s.updated}, unchanged ${s.unchanged}, skipped ${s.skipped}, failed ${s.failed}` +
        (s.mode === 'mirror' ? `, removed ${s.removed}` : '') +
        ` (${s.pages} pages, ${(s.durationMs / 1000).toFixed(1)} s)`
      );
    }
    case 'skipped':
      return a.holder?.workflowType === 'syncAllCampaigns' ||
        a.holder?.workflowId.startsWith('campaign-sync-all')
        ? `SKIPPED: a sync all was running (${a.holder.trigger ? `by ${a.holder.trigger}, ` : ''}workflow ${a.holder.workflowId}${a.holder.runId ? `, run ${a.holder.runId}` : ''})`
        : `SKIPPED: ${formatHolder(a.holder!)}`;
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

/** The last run's outcome in a few words, for `schedule list`'s column. */
function shortOutcome(a: ScheduleActionView | undefined): string {
  if (!a) return 'no run yet';
  switch (a.status) {
    case 'completed': {
      if (a.allSummary) {
        const s = a.allSummary;
        const bad = s.failed + s.cancelled;
        return (
          (bad > 0 ? `FAILED ${bad}, ` : '') +
          `${s.completed} of ${s.total} campaign${s.total === 1 ? '' : 's'} synced` +
          (s.skipped ? `, ${s.skipped} SKIPPED (locked)` : '') +
          `: +${s.totals.created} ~${s.totals.updated}${s.dryRun ? ' (dry run)' : ''}`
        );
      }
      const s = a.summary!;
      return `ok: +${s.created} ~${s.updated}${s.failed ? ` FAILED ${s.failed}` : ''}${s.mode === 'mirror' ? ` -${s.removed}` : ''}${s.dryRun ? ' (dry run)' : ''}`;
    }
    case 'skipped':
      return `SKIPPED (locked by ${a.holder?.trigger ?? a.holder?.workflowId ?? 'another run'})`;
    case 'failed':
      return `FAILED: ${(a.error ?? '').slice(0, 60)}${(a.error ?? '').length > 60 ? '…' : ''}`;
    case 'running':
      return 'running';
    default:
      return a.status.toUpperCase();
  }
}

function pauseText(p: NonNullable<ScheduleView['pause']>): string {
  return `${p.paused ? 'paused' : 'unpaused'} by ${p.by} at ${whenAndAge(p.at)}${p.reason ? `: ${p.reason}` : ''}`;
}

/** The options of every scheduled sync, in words. */
function syncLine(v: Pick<ScheduleView, 'sync' | 'taskQueue' | 'concurrency' | 'kind'>): string {
  const sync = v.sync;
  return (
    `mode ${sync.mode ?? 'upsert'}${sync.dryRun ? ', DRY RUN (writes nothing)' : ''}` +
    (v.kind === 'all-campaigns' ? `, ${v.concurrency ?? 2} campaigns at once` : '') +
    (sync.incremental
      ? `, incremental (back to the watermark plus ${sync.lookback ?? '48h'} and ${sync.lookbackOrders ?? 200} orders)`
      : '') +
    (sync.productId !== undefined ? `, EDD product ${sync.productId}` : '') +
    (sync.pageSize !== undefined ? `, page size ${sync.pageSize}` : '') +
    (sync.maxPages !== undefined ? `, at most ${sync.maxPages} pages` : '') +
    (sync.timeout ? `, timeout ${sync.timeout} (the campaign's lock is released by then)` : '') +
    `, task queue ${v.taskQueue}`
  );
}

export function formatSchedule(v: ScheduleView): string {
  const what =
    v.kind === 'all-campaigns'
      ? 'every campaign EDD gives at each run'
      : `campaign ${v.campaign}, ${v.kind} syncs`;
  const lines = [
    `Schedule ${v.scheduleId} (${what}): ${v.spec}, ${v.paused ? 'PAUSED' : 'active'}`,
    ...(v.note ? [`  note       ${v.note}`] : []),
    ...(v.pause
      ? [
          `  ${v.pause.paused ? 'paused   ' : 'unpaused '}  ${pauseText(v.pause).replace(/^(un)?paused /, '')}` +
            (v.paused && !v.pause.paused
              ? ' (paused since by something else, e.g. health when overloaded)'
              : ''),
        ]
      : []),
    `  sync       ${syncLine(v)}`,
    `  policies   overlap ${v.overlap} (a tick while the last scheduled ${v.kind === 'all-campaigns' ? 'run' : 'sync'} runs is skipped), catch-up window ${v.catchupWindowMs / 60_000} min`,
    `  created    ${whenAndAge(v.createdAt)}${v.createdBy ? ` by ${v.createdBy}` : ''}`,
    ...(v.updatedBy ? [`  updated    ${whenAndAge(v.updatedAt)} by ${v.updatedBy}`] : []),
    `  next runs  ${v.paused ? '(paused) ' : ''}${
      v.nextActionTimes
        .slice(0, 3)
        .map((t) => whenAndAge(t))
        .join(', ') || 'none'
    }`,
    `  actions    ${v.numActionsTaken} taken, ${v.numActionsSkippedOverlap} skipped for overlap, ${v.numActionsMissedCatchupWindow} missed the catch-up window`,
  ];
  if (v.running.length > 0)
    lines.push(`  running    ${v.running.map((r) => `${r.workflowId} (run ${r.runId})`).join(', ')}`);
  if (v.recent.length > 0) {
    lines.push('Recent runs (oldest first):');
    for (const a of v.recent) lines.push(`  ${whenAndAge(a.takenAt)}  ${a.workflowId}  ${formatOutcome(a)}`);
  }
  return lines.join('\n');
}

/** What `schedule update` changed (before -> after), then the schedule as it is now. */
export function formatUpdate(before: ScheduleView, after: ScheduleView): string {
  const changes: string[] = [];
  const row = (name: string, a: string, b: string) => {
    if (a !== b) changes.push(`  ${name.padEnd(9)}  ${a}\n  ${''.padEnd(9)}  -> ${b}`);
  };
  row('timing', before.spec, after.spec);
  row('sync', syncLine(before), syncLine(after));
  row('note', before.note ?? '(none)', after.note ?? '(none)');
  const name =
    after.kind === 'all-campaigns'
      ? 'the schedule of all campaigns'
      : `the ${after.kind === 'incremental' ? 'incremental ' : ''}sync schedule of ${after.campaign}`;
  return [
    `Updated ${name}${changes.length === 0 ? ' (nothing changed: it was so already)' : ':'}`,
    ...changes,
    `History kept: ${after.numActionsTaken} action${after.numActionsTaken === 1 ? '' : 's'} taken; ` +
      `${after.paused ? 'still PAUSED' : 'active'}; next run ${after.paused ? '(paused) ' : ''}${after.nextActionTimes[0] ? whenAndAge(after.nextActionTimes[0]) : 'none'}.`,
  ].join('\n');
}

function formatPause(
  name: string,
  o: { paused: boolean; already: boolean; note: string; pause: NonNullable<ScheduleView['pause']> },
  target: { campaign: string; kind: ScheduleScope },
): string {
  const Name = name[0]!.toUpperCase() + name.slice(1);
  const note = o.note ? ` Its note is kept: "${o.note}".` : '';
  if (o.already)
    return (
      `${Name} was ${o.paused ? 'paused' : 'not paused'} already` +
      (o.pause.paused === o.paused && o.paused ? ` (${pauseText(o.pause)})` : '') +
      '; nothing changed.'
    );
  return o.paused
    ? `Paused ${name} (${pauseText(o.pause).replace(/^paused /, '')}).${note} A sync running now goes on; ` +
        `'campaign-sync schedule unpause ${scheduleArgs(target.campaign, target.kind)}' resumes the schedule.`
    : `Unpaused ${name} (${pauseText(o.pause).replace(/^unpaused /, '')}).${note}`;
}

/** Rows as columns, each as wide as its widest cell (the last one left ragged). */
export function alignColumns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

export function formatScheduleList(list: ScheduleListing[]): string {
  if (list.length === 0)
    return "No sync schedule. Create one with 'campaign-sync schedule create <campaign> --every <interval>' (or --cron; --all-campaigns for one that syncs every campaign).";
  const rows = [
    ['CAMPAIGN', 'KIND', 'TIMING', 'STATE', 'NEXT RUN', 'LAST RUN', 'LAST RESULT'],
    ...list.map((s) => [
      s.kind === 'all-campaigns' ? '(all campaigns)' : s.campaign,
      s.kind === 'all-campaigns' ? 'all' : s.kind,
      s.spec,
      s.paused ? 'PAUSED' : 'active',
      s.paused || !s.nextActionAt ? '-' : whenAndAge(s.nextActionAt),
      s.lastActionAt ? whenAndAge(s.lastActionAt) : '-',
      shortOutcome(s.last),
    ]),
  ];
  const lines = ['Sync schedules:', ...alignColumns(rows).map((l) => `  ${l}`)];
  const paused = list.filter((s) => s.paused);
  if (paused.length > 0) {
    lines.push('Paused:');
    for (const s of paused)
      lines.push(
        `  ${s.kind === 'all-campaigns' ? '(all campaigns)' : `${s.campaign}${s.kind === 'incremental' ? ' (incremental)' : ''}`}: ` +
          (s.pause?.paused ? pauseText(s.pause) : 'paused') +
          (s.note ? `; note: ${s.note}` : ''),
      );
  }
  return lines.join('\n');
}
