/**
 * A campaign's sync schedule, built in one place: `campaign create --every/--cron` (the
 * provisioning activity) and `schedule create` (the CLI) both build their schedules here, so the
 * two give identical schedules.
 *
 * Only types come from `@temporalio/client`, so this module has no runtime dependency on it.
 */
import type { ScheduleOptions, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import {
  launcherWorkflowId,
  scheduleKind,
  SYNC_ALL_LAUNCHER_WORKFLOW_ID,
  SYNC_ALL_SCHEDULE_ID,
  syncScheduleId,
  WORKFLOW_TYPES,
} from './names';
import { EVERY_PATTERN, isCronExpression, type ScheduleTiming } from './provisioning';
import { CAMPAIGN_CODE, SYNC_TRIGGER } from './search-attributes';
import type { SyncAllInput } from './sync-all';
import type { SyncInput } from './sync-types';

/**
 * How far back a sync schedule catches up on actions it missed while the Temporal server was
 * down: a short outage (a restart, an upgrade) still runs the sync it missed; after a longer one
 * the missed run is dropped and the next one does the work (each sync covers the whole campaign).
 */
export const SCHEDULE_CATCHUP_WINDOW = '10m';

/**
 * What happens to a tick while the previous scheduled run is still going: it is skipped (the
 * running sync covers the campaign anyway). `trigger` and `backfill` pass it explicitly, since the
 * SDK's `trigger()` would otherwise use ALLOW_ALL.
 */
export const SCHEDULE_OVERLAP: ScheduleOverlapPolicy = 'SKIP';

/**
 * The overall `timeout` a scheduled sync gets when its options name none, so that the campaign's
 * lock a scheduled run holds has a latest release time: an interval schedule's runs get the
 * interval (a run never outlasts the next tick by more than a page); a cron schedule's runs get
 * {@link CRON_SCHEDULE_DEFAULT_TIMEOUT}.
 */
export function defaultScheduledTimeout(timing: ScheduleTiming): string {
  return timing.every ?? CRON_SCHEDULE_DEFAULT_TIMEOUT;
}

/** The default overall timeout of a cron schedule's syncs. */
export const CRON_SCHEDULE_DEFAULT_TIMEOUT = '1h';

/** `every 1h`, `cron "0 * * * *" (UTC)` or `cron "0 3 * * *" (Europe/Berlin)`. */
export function describeTiming(timing: ScheduleTiming): string {
  return timing.every !== undefined
    ? `every ${timing.every}`
    : `cron "${timing.cron}" (${timing.timezone ?? 'UTC'})`;
}

/**
 * What is wrong with a time zone name, or undefined when the server will take it: an IANA name such
 * as `Europe/Berlin` or `UTC`, spelled as the zone database spells it (the server's look-up is
 * case-sensitive). Checked with Intl (Node's ICU time zone data).
 */
export function timezoneProblem(value: string): string | undefined {
  const form = 'an IANA time zone name such as Europe/Berlin, America/New_York or UTC';
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/.test(value))
    return `--timezone must be ${form}, not '${value.slice(0, 60)}'`;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return `--timezone: '${value}' is not a time zone; give ${form}`;
  }
  if (resolved !== value && resolved.toLowerCase() === value.toLowerCase())
    return `--timezone: '${value}' is not spelled as the time zone database spells it; did you mean ${resolved}?`;
  return undefined;
}

const CRON_FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

/**
 * What is wrong with a schedule's timing, or undefined when it is fine: exactly one of `every`
 * (a whole number of minutes, hours or days) and `cron` (five fields, numbers in range; names
 * such as `MON-FRI` are left to the server, which refuses what it cannot parse).
 */
export function scheduleTimingProblem(timing: ScheduleTiming): string | undefined {
  if ((timing.every === undefined) === (timing.cron === undefined))
    return 'give exactly one of --every (e.g. 1h) and --cron (e.g. "0 * * * *")';
  if (timing.timezone !== undefined) {
    if (timing.every !== undefined)
      return `--timezone applies to --cron only (an interval such as --every ${timing.every} runs at the same pace in every zone)`;
    const problem = timezoneProblem(timing.timezone);
    if (problem) return problem;
  }
  if (timing.every !== undefined) {
    return EVERY_PATTERN.test(timing.every.trim())
      ? undefined
      : `--every must be a whole number of minutes, hours or days, e.g. 30m, 1h, 1d; not '${timing.every}'`;
  }
  const cron = timing.cron!.trim();
  if (!isCronExpression(cron))
    return `--cron must have five fields (minute hour day-of-month month day-of-week), e.g. "0 * * * *"; not '${cron}'`;
  if (cron.startsWith('@')) return undefined;
  const fields = cron.split(/\s+/);
  for (const [i, field] of fields.entries()) {
    const { name, min, max } = CRON_FIELDS[i]!;
    for (const item of field.split(',')) {
      const [range, step, extra] = item.split('/');
      if (extra !== undefined || range === '' || (step !== undefined && !/^[1-9]\d*$/.test(step)))
        return `--cron: the ${name} field '${field}' is not valid`;
      if (range === '*' || range === '?' || /[A-Za-z#]/.test(range!)) continue;
      const bounds = range!.split('-');
      if (bounds.length > 2 || bounds.some((b) => !/^\d+$/.test(b)))
        return `--cron: the ${name} field '${field}' is not valid`;
      const from = Number(bounds[0]);
      const to = Number(bounds[1] ?? bounds[0]);
      if (from < min || to > max || from > to)
        return `--cron: the ${name} field '${field}' is out of range (${min}-${max})`;
    }
  }
  return undefined;
}

/** What a campaign's sync schedule is made of. */
export interface SyncScheduleRequest {
  campaign: string;
  /** Default `campaign-sync-schedule-<CODE>`, with `-incremental` for incremental syncs. */
  scheduleId?: string;
  timing: ScheduleTiming;
  /** The worker's task queue: the launcher and its sync run there. */
  taskQueue: string;
  /** The launcher's input: the campaign's sync options (`trigger` defaults to `schedule:<id>`). */
  args: SyncInput;
  /** Who created the schedule, recorded in its memo (`createdBy`): a provisioning run, or `cli:<user>`. */
  createdBy: string;
  /** The schedule's note. */
  note?: string;
  /** Create it paused. */
  paused?: boolean;
}

/** The launcher's input a schedule passes: its trigger set, and a default `timeout` (see {@link defaultScheduledTimeout}). */
export function scheduledLauncherArgs(request: SyncScheduleRequest): SyncInput {
  const scheduleId = request.scheduleId ?? syncScheduleId(request.campaign, scheduleKind(request.args));
  return {
    ...request.args,
    campaign: request.campaign,
    trigger: request.args.trigger ?? `schedule:${scheduleId}`,
    timeout:
      request.args.timeout ??
      // An incremental schedule's run falls back to a full sync while the campaign has no watermark
      // (or its group is gone): the interval (a minute) would stop every such run, so it gets 1h.
      (request.args.incremental ? CRON_SCHEDULE_DEFAULT_TIMEOUT : defaultScheduledTimeout(request.timing)),
  };
}

/**
 * What a person set on a schedule and may change later, kept in its action's memo (key
 * `settings`): a schedule's own memo cannot be changed by an update, its action can. Each run the
 * schedule starts carries it too.
 */
export interface ScheduleSettings {
  /** The timing as given (the server keeps a cron only as calendars). */
  timing: ScheduleTiming;
  /** The run's options as given, without the defaults the launcher's input gets. */
  options: Record<string, unknown>;
  /** The person's note: what the schedule is for. Pauses and unpauses keep it. */
  note: string;
  /** Who last changed the timing, options or note (`schedule update`). */
  updatedBy?: string;
  /** The last pause or unpause by a person: who, when, and why. */
  pause?: { paused: boolean; by: string; at: string; reason?: string };
}

/**
 * The schedule's note as Temporal (and its Web UI) shows it: the person's note, and while paused
 * who paused it, when and why (`<note> | PAUSED by ... at ...: <why>`).
 */
export function scheduleStateNote(settings: Pick<ScheduleSettings, 'note' | 'pause'>): string {
  const p = settings.pause;
  return p?.paused
    ? `${settings.note} | PAUSED by ${p.by} at ${p.at}${p.reason ? `: ${p.reason}` : ''}`
    : settings.note;
}

/** The spec of a timing: an interval, or a cron expression in its time zone (default UTC). */
export function scheduleSpecOf(timing: ScheduleTiming): ScheduleOptions['spec'] {
  return timing.every !== undefined
    ? { intervals: [{ every: timing.every as Duration }] }
    : { cronExpressions: [timing.cron!], ...(timing.timezone ? { timezone: timing.timezone } : {}) };
}

/** A timing trimmed, with only the fields it uses. */
export function cleanTiming(timing: ScheduleTiming): ScheduleTiming {
  return timing.every !== undefined
    ? { every: timing.every.trim() }
    : { cron: timing.cron!.trim(), ...(timing.timezone ? { timezone: timing.timezone } : {}) };
}

/**
 * The options of a campaign's sync schedule: an interval or a cron expression (UTC unless a time
 * zone is given), overlap
 * {@link SCHEDULE_OVERLAP}, catch-up window {@link SCHEDULE_CATCHUP_WINDOW}; its action starts
 * the launcher `scheduledCampaignSync` under `campaign-sync-launch-<CODE>` (the schedule appends
 * the action time), which takes the campaign's lock by starting the sync as its child under
 * `campaign-sync-<CODE>`. The schedule's memo records who created it and the timing as given;
 * the action's memo the {@link ScheduleSettings} an update may change.
 */
export function buildSyncSchedule(request: SyncScheduleRequest): ScheduleOptions {
  const kind = scheduleKind(request.args);
  const scheduleId = request.scheduleId ?? syncScheduleId(request.campaign, kind);
  const args = scheduledLauncherArgs(request);
  const timing = cleanTiming(request.timing);
  // The options as given: the campaign is the schedule's, and the default trigger is implied.
  const { campaign: _campaign, trigger, ...given } = request.args;
  const options =
    trigger === undefined || trigger === `schedule:${scheduleId}` ? given : { ...given, trigger };
  const settings: ScheduleSettings = {
    timing,
    options,
    note:
      request.note ??
      `Scheduled ${kind === 'incremental' ? 'incremental ' : ''}sync of campaign ${request.campaign} (campaign-sync)`,
  };
  return {
    scheduleId,
    spec: scheduleSpecOf(timing),
    action: {
      type: 'startWorkflow',
      workflowType: WORKFLOW_TYPES.scheduledCampaignSync,
      taskQueue: request.taskQueue,
      workflowId: launcherWorkflowId(request.campaign, kind),
      args: [args],
      memo: { settings },
      typedSearchAttributes: [
        { key: CAMPAIGN_CODE, value: request.campaign },
        { key: SYNC_TRIGGER, value: args.trigger! },
      ],
    },
    policies: { overlap: SCHEDULE_OVERLAP, catchupWindow: SCHEDULE_CATCHUP_WINDOW },
    memo: { createdBy: request.createdBy, campaign: request.campaign, kind, timing },
    typedSearchAttributes: [{ key: CAMPAIGN_CODE, value: request.campaign }],
    state: {
      note: scheduleStateNote(settings),
      ...(request.paused ? { paused: true } : {}),
    },
  };
}

/** What the all-campaigns schedule is made of (`schedule create --all-campaigns`). */
export interface SyncAllScheduleRequest {
  timing: ScheduleTiming;
  taskQueue: string;
  /** The `sync all` options as given: `concurrency` and the options of every campaign's sync. */
  options: Pick<SyncAllInput, 'concurrency' | 'sync'>;
  createdBy: string;
  note?: string;
  paused?: boolean;
  /** The `sync all` lock's workflow ID (default `campaign-sync-all`): for tests sharing a server. */
  lockWorkflowId?: string;
}

/**
 * The options of the all-campaigns schedule ({@link SYNC_ALL_SCHEDULE_ID}): the timing as a
 * campaign's schedule has it, overlap SKIP, catch-up window 10 minutes; its action starts the
 * launcher `scheduledSyncAll`, which runs `sync all` without a campaign list, so each run syncs
 * the campaigns EDD gives at that time (new ones included).
 */
export function buildSyncAllSchedule(request: SyncAllScheduleRequest): ScheduleOptions {
  const timing = cleanTiming(request.timing);
  const trigger = `schedule:${SYNC_ALL_SCHEDULE_ID}`;
  const options = {
    ...(request.options.concurrency !== undefined ? { concurrency: request.options.concurrency } : {}),
    sync: request.options.sync ?? {},
  };
  const settings: ScheduleSettings = {
    timing,
    options,
    note: request.note ?? 'Scheduled sync of every campaign (campaign-sync)',
  };
  return {
    scheduleId: SYNC_ALL_SCHEDULE_ID,
    spec: scheduleSpecOf(timing),
    action: {
      type: 'startWorkflow',
      workflowType: WORKFLOW_TYPES.scheduledSyncAll,
      taskQueue: request.taskQueue,
      workflowId: SYNC_ALL_LAUNCHER_WORKFLOW_ID,
      args: [
        {
          ...options,
          trigger,
          ...(request.lockWorkflowId ? { lockWorkflowId: request.lockWorkflowId } : {}),
        },
      ],
      memo: { settings },
      typedSearchAttributes: [{ key: SYNC_TRIGGER, value: trigger }],
    },
    policies: { overlap: SCHEDULE_OVERLAP, catchupWindow: SCHEDULE_CATCHUP_WINDOW },
    memo: { createdBy: request.createdBy, kind: 'all-campaigns', timing },
    state: { note: scheduleStateNote(settings), ...(request.paused ? { paused: true } : {}) },
  };
}
