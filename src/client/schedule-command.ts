import { parseArgs } from 'node:util';
import type { Client, ScheduleOverlapPolicy } from '@temporalio/client';
import { InvalidInputError } from '../shared/errors';
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
  ScheduleExistsError,
  ScheduleMissingError,
  triggerSyncSchedule,
  unpauseSyncSchedule,
  type ScheduleActionView,
  type ScheduleListing,
  type ScheduleView,
} from './schedules';
import { campaignPositional, positiveIntFlag, SYNC_OPTION_FLAGS, syncOptionsFromFlags } from './sync-options';

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface ScheduleCommandContext {
  taskQueue: string;
  connect: () => Promise<Client>;
  io: Io;
  /** Who runs the command, for notes and the memo (`$USER`). */
  user?: string;
}

const OVERLAP_POLICIES: Record<string, ScheduleOverlapPolicy> = {
  skip: 'SKIP',
  'buffer-one': 'BUFFER_ONE',
  'buffer-all': 'BUFFER_ALL',
  'cancel-other': 'CANCEL_OTHER',
  'terminate-other': 'TERMINATE_OTHER',
  'allow-all': 'ALLOW_ALL',
};

function overlapFlag(value: string | undefined): ScheduleOverlapPolicy | undefined {
  if (value === undefined) return undefined;
  const policy = OVERLAP_POLICIES[value.toLowerCase()];
  if (!policy)
    throw new InvalidInputError(
      `--overlap must be one of ${Object.keys(OVERLAP_POLICIES).join(', ')}, not '${value}'`,
    );
  return policy;
}

function isoFlag(name: string, value: string | undefined): Date {
  if (value === undefined)
    throw new InvalidInputError(`backfill needs --${name}, an ISO time such as 2024-05-01T00:00:00Z`);
  const date = new Date(value);
  if (!/^\d{4}-\d\d-\d\d/.test(value) || Number.isNaN(date.getTime()))
    throw new InvalidInputError(`--${name} must be an ISO time such as 2024-05-01T00:00:00Z, not '${value}'`);
  return date;
}

/**
 * `schedule create|list|describe|pause|unpause|trigger|backfill|delete`. Exit 0 done, 1 the
 * triggered run failed, 2 invalid input, 3 refused (the schedule exists; a trigger dropped by the
 * overlap policy or skipped because the campaign is locked), 4 no such schedule.
 */
export async function scheduleCommand(
  sub: string | undefined,
  args: string[],
  ctx: ScheduleCommandContext,
): Promise<number> {
  try {
    return await run(sub, args, ctx);
  } catch (err) {
    if (err instanceof ScheduleMissingError) {
      ctx.io.err(err.message);
      return EXIT.notFound;
    }
    if (err instanceof ScheduleExistsError) {
      ctx.io.err(`Refused: ${err.message}`);
      return EXIT.locked;
    }
    throw err;
  }
}

/** `--incremental`: the campaign's incremental schedule rather than its full one. */
const KIND_FLAG = { incremental: { type: 'boolean' } } as const;

function kindOf(values: { incremental?: boolean }): ScheduleKind {
  return values.incremental ? 'incremental' : 'full';
}

/** `the sync schedule of X` / `the incremental sync schedule of X`. */
function theSchedule(campaign: string, kind: ScheduleKind): string {
  return `the ${kind === 'incremental' ? 'incremental ' : ''}sync schedule of ${campaign}`;
}

async function run(sub: string | undefined, args: string[], ctx: ScheduleCommandContext): Promise<number> {
  const { io } = ctx;
  const by = ctx.user ?? 'cli';
  switch (sub) {
    case 'create': {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: {
          ...SYNC_OPTION_FLAGS,
          every: { type: 'string' },
          cron: { type: 'string' },
          'product-id': { type: 'string' },
          note: { type: 'string' },
          paused: { type: 'boolean' },
          json: { type: 'boolean' },
        },
      });
      const campaign = campaignPositional(positionals, 'schedule create');
      const productId = positiveIntFlag('product-id', values['product-id']);
      // Checked before connecting: a mistake is reported even when the server is away.
      const sync = { ...syncOptionsFromFlags(values), ...(productId !== undefined ? { productId } : {}) };
      const request = {
        campaign,
        timing: {
          ...(values.every !== undefined ? { every: values.every } : {}),
          ...(values.cron !== undefined ? { cron: values.cron } : {}),
        },
        sync,
        createdBy: `cli:${by}`,
        ...(values.note !== undefined ? { note: values.note } : {}),
        ...(values.paused ? { paused: true } : {}),
      };
      checkScheduleRequest(request, ctx.taskQueue);
      const view = await createSyncSchedule(await ctx.connect(), ctx.taskQueue, request);
      io.out(values.json ? JSON.stringify(view, null, 2) : `Created ${formatSchedule(view)}`);
      return EXIT.ok;
    }
    case 'list': {
      const { values } = parseArgs({ args, options: { json: { type: 'boolean' } } });
      const schedules = await listSyncSchedules(await ctx.connect());
      io.out(values.json ? JSON.stringify(schedules, null, 2) : formatScheduleList(schedules));
      return EXIT.ok;
    }
    case 'describe': {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { json: { type: 'boolean' }, ...KIND_FLAG },
      });
      const view = await describeSyncSchedule(
        await ctx.connect(),
        campaignPositional(positionals, 'schedule describe'),
        { kind: kindOf(values) },
      );
      io.out(values.json ? JSON.stringify(view, null, 2) : formatSchedule(view));
      return EXIT.ok;
    }
    case 'pause':
    case 'unpause': {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: { note: { type: 'string' }, ...KIND_FLAG },
      });
      const campaign = campaignPositional(positionals, `schedule ${sub}`);
      const kind = kindOf(values);
      const note = values.note ?? `${sub === 'pause' ? 'Paused' : 'Unpaused'} by ${by} (campaign-sync)`;
      const client = await ctx.connect();
      if (sub === 'pause') await pauseSyncSchedule(client, campaign, note, kind);
      else await unpauseSyncSchedule(client, campaign, note, kind);
      io.out(
        sub === 'pause'
          ? `Paused ${theSchedule(campaign, kind)}: ${note}. A sync running now goes on; 'schedule unpause' resumes the schedule.`
          : `Unpaused ${theSchedule(campaign, kind)}: ${note}.`,
      );
      return EXIT.ok;
    }
    case 'trigger': {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: {
          overlap: { type: 'string' },
          wait: { type: 'boolean' },
          json: { type: 'boolean' },
          ...KIND_FLAG,
        },
      });
      const campaign = campaignPositional(positionals, 'schedule trigger');
      const kind = kindOf(values);
      const overlap = overlapFlag(values.overlap);
      const client = await ctx.connect();
      const outcome = await triggerSyncSchedule(client, campaign, { kind, ...(overlap ? { overlap } : {}) });
      if (outcome.outcome !== 'started') {
        if (values.json) io.out(JSON.stringify(outcome, null, 2));
        if (outcome.outcome === 'overlap') {
          io.err(
            `Skipped: a scheduled sync of ${campaign} is still running (${outcome.running?.map((r) => r.workflowId).join(', ') || 'ending now'}); ` +
              `overlap policy ${outcome.overlap} dropped this trigger.`,
          );
          return EXIT.locked;
        }
        io.out(
          `Trigger sent (overlap ${outcome.overlap}); no run seen yet. See 'campaign-sync schedule describe ${campaign}${kind === 'incremental' ? ' --incremental' : ''}'.`,
        );
        return EXIT.ok;
      }
      const run = { workflowId: outcome.workflowId!, runId: outcome.runId! };
      if (!values.wait) {
        if (values.json) io.out(JSON.stringify(outcome, null, 2));
        else
          io.out(`Triggered ${theSchedule(campaign, kind)}: launcher ${run.workflowId}, run ${run.runId}.`);
        return EXIT.ok;
      }
      if (!values.json)
        io.out(
          `Triggered ${theSchedule(campaign, kind)}: launcher ${run.workflowId}, run ${run.runId}; waiting.`,
        );
      await client.workflow
        .getHandle(run.workflowId, run.runId)
        .result()
        .catch(() => undefined);
      const result = await launcherOutcome(client, campaign, run);
      const action: ScheduleActionView = { scheduledAt: '', takenAt: '', ...run, ...result };
      io.out(values.json ? JSON.stringify({ ...outcome, ...result }, null, 2) : `  ${formatOutcome(action)}`);
      if (result.status === 'skipped') return EXIT.locked;
      return result.status === 'completed' ? EXIT.ok : EXIT.failed;
    }
    case 'backfill': {
      const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: {
          from: { type: 'string' },
          to: { type: 'string' },
          overlap: { type: 'string' },
          ...KIND_FLAG,
        },
      });
      const campaign = campaignPositional(positionals, 'schedule backfill');
      const kind = kindOf(values);
      const from = isoFlag('from', values.from);
      const to = isoFlag('to', values.to);
      const overlap = overlapFlag(values.overlap) ?? 'SKIP';
      await backfillSyncSchedule(await ctx.connect(), campaign, { from, to, overlap, kind });
      io.out(
        `Backfill of ${theSchedule(campaign, kind)} requested: the actions due from ${from.toISOString()} to ${to.toISOString()}, ` +
          `overlap ${overlap}${overlap === 'SKIP' ? ' (while one runs, the others are skipped: each sync covers the whole campaign)' : ''}. ` +
          `See 'campaign-sync schedule describe ${campaign}${kind === 'incremental' ? ' --incremental' : ''}'.`,
      );
      return EXIT.ok;
    }
    case 'delete': {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...KIND_FLAG } });
      const campaign = campaignPositional(positionals, 'schedule delete');
      const kind = kindOf(values);
      await deleteSyncSchedule(await ctx.connect(), campaign, kind);
      io.out(`Deleted ${theSchedule(campaign, kind)}. A scheduled sync running now goes on to its end.`);
      return EXIT.ok;
    }
    default:
      throw new InvalidInputError(
        sub
          ? `unknown schedule command '${sub}'`
          : "'schedule' needs create, list, describe, pause, unpause, trigger, backfill or delete",
      );
  }
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
    return "No campaign has a sync schedule. Create one with 'campaign-sync schedule create'.";
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
