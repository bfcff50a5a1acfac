/** The health report: findings, its sections, the memory one run hands the next, the settings. */
import { campaignFromWorkflowId } from '../names';
import type { HealthStatus, Severity, HealthThresholds } from './thresholds';
import type {
  CheckError,
  QueueKind,
  ResourceCheck,
  ServiceCheck,
  RunningSyncInfo,
  LockRunInfo,
  CampaignFailures,
  CadenceSource,
} from './checks';

export type HealthArea = 'workers' | 'resources' | 'services' | 'campaigns' | 'overload' | 'health';

export interface Finding {
  area: HealthArea;
  severity: Severity;
  message: string;
}

export type StuckAction = 'restart' | 'fail' | 'report';

export interface StuckSync {
  campaign: string;
  workflowId: string;
  runId: string;
  /** Why it counts as stuck. */
  reason: string;
  /** What health does: restart it, fail it (terminate with the reason), or only report it. */
  action: StuckAction;
  /** Why that action. */
  why: string;
  /** What came of the action. */
  outcome?: 'restarted' | 'failed' | 'closed-meanwhile' | 'lock-taken' | 'reported' | 'error';
  /** The restarted run. */
  newRunId?: string;
  error?: string;
  /** First found stuck by this run (a run still stuck at the next check is not alerted again). */
  new?: boolean;
}

export interface WorkerSummary {
  identity: string;
  lastSeen: string | null;
  /** `<task queue> (<kind>)` it polls. */
  polls: string[];
}

export interface WorkersSection {
  queues: { taskQueue: string; kind: QueueKind; pollers: number; lastSeen: string | null }[];
  workers: WorkerSummary[];
}

/** A running sync whose task queue no worker polls: nothing runs it, and it holds its campaign's lock. */
export interface UnpolledSync {
  campaign: string;
  workflowId: string;
  runId: string;
  taskQueue: string;
  /** First found by this report (it raises an alert); false when an earlier report found it already. */
  new: boolean;
}

/** A campaign judged against its expected sync interval. */
export interface CadenceEntry {
  campaign: string;
  source: CadenceSource;
  scheduleId?: string;
  intervalMs?: number;
  overdueAfterMs: number;
  lastSuccessAt: string | null;
  /** Since when a success was expected at the earliest (see {@link CadenceFacts.expectedSince}). */
  expectedSince: string;
  overdue: boolean;
  /** It became overdue with this report, or synced successfully again after being overdue (each one alert). */
  change?: 'became-overdue' | 'synced-again';
}

export interface CampaignsSection {
  running: (RunningSyncInfo & { state: 'running' | 'waiting' | 'stuck' | 'unknown' | 'unpolled' })[];
  runningOmitted: number;
  stuck: StuckSync[];
  /** Lock holders (transitions, creates) running past `stuckRunningAfter`: reported, never touched. */
  longLocks: LockRunInfo[];
  locks: number;
  failures: CampaignFailures[];
  failuresTotal: number;
  failuresSince: string;
  recovered: { restarted: number; failed: number };
  /** Running syncs on a task queue no worker polls (any queue, not only this deployment's). */
  unpolled: UnpolledSync[];
  /** Campaigns judged against their expected interval (schedules that are not paused, and the setting's). */
  cadence: CadenceEntry[];
  /** Why the cadence could not be checked, when it could not. */
  cadenceError?: string;
}

/**
 * A campaign sync schedule health paused because of an overload. The mark lives here, in health's
 * own reports (each carries it to the next), not in the schedule's note, which stays the person's.
 */
export interface HeldPause {
  scheduleId: string;
  campaign: string;
  pausedAt: string;
  /**
   * The schedule's conflict token right after health paused it (hex). Any later change by a person
   * (a pause or unpause, a new note, an update) changes it: health then leaves the schedule alone.
   */
  conflictToken: string;
  /** The schedule's note at that time, kept as it was. */
  note?: string;
}

export interface OverloadSection {
  /** Null when the resources could not be read (nothing is paused or resumed then). */
  overloaded: boolean | null;
  reasons: string[];
  /** Whether this run pauses schedules when overloaded (input `pauseOnOverload`, default HEALTH_PAUSE_ON_OVERLOAD). */
  pauseOnOverload: boolean;
  /** Campaign sync schedules paused by this run. */
  paused: string[];
  /** Schedules health had paused, unpaused by this run. */
  resumed: string[];
  /** Schedules health had paused that a person changed since: left as the person left them. */
  keptPaused: string[];
  /** Schedules health holds paused after this run (resumed once the overload is over). */
  held: string[];
  error?: string;
}

export type AlertKind =
  | 'status'
  | 'stuck-sync'
  | 'unpolled-queue'
  | 'sync-overdue'
  | 'sync-caught-up'
  | 'overload-paused'
  | 'overload-resumed';

export interface HealthAlert {
  kind: AlertKind;
  severity: Severity | 'info';
  message: string;
}

/** How the status compares with the previous runs', and whether this run announces a change. */
export interface StatusTrend {
  /** Consecutive runs with this status, this one included (from the runs' HealthStatus). */
  streak: number;
  /** `statusAlertAfterRuns`: a change is announced once the new status has held this many runs. */
  alertAfterRuns: number;
  /** The status last announced (after this run). */
  announced: HealthStatus;
  /** Set when this run announces a change of status: the status announced before. */
  changedFrom?: HealthStatus;
}

/**
 * What a report hands the next one (read from the latest completed health run's result): health's
 * memory between runs, kept in Temporal like the reports themselves.
 */
export interface HealthCarry {
  /** The status last announced by a status alert. */
  announcedStatus: HealthStatus;
  /** Schedules health holds paused. */
  heldPaused: HeldPause[];
  /** Campaigns overdue (their alert was raised). */
  overdueCampaigns: string[];
  /** Syncs on unpolled task queues already alerted: `workflowId/runId`. */
  unpolledSyncs: string[];
  /** Stuck syncs already alerted (left running, e.g. only reported): `workflowId/runId`. */
  stuckSyncs?: string[];
  /** Per judged campaign, since when a success has been expected. */
  cadenceSince: Record<string, string>;
  /** Campaigns judged by `syncOverdueAfter` (absent when the setting was unset). */
  settingCampaigns?: string[];
}

/**
 * The memory a run hands on: all of `next` for a whole check; for a run limited to a campaign
 * prefix, `next` for those campaigns and the `previous` memory of every other campaign, so a
 * partial check (a person's `campaignPrefix` run) never forgets a paused schedule, an overdue
 * campaign or an alerted sync it did not look at.
 */
export function mergeCarry(
  previous: HealthCarry | undefined,
  next: HealthCarry,
  campaignPrefix: string | undefined,
): HealthCarry {
  if (!campaignPrefix || !previous) return next;
  const outside = (campaign: string | undefined) =>
    campaign === undefined || !campaign.startsWith(campaignPrefix);
  const runCampaign = (key: string) => campaignFromWorkflowId(key.split('/')[0] ?? '');
  // Each kept once (a part the run could not check keeps the previous values in `next` too).
  const keep = <T>(
    prev: T[] | undefined,
    nextList: T[] | undefined,
    campaignOf: (x: T) => string | undefined,
    keyOf: (x: T) => string = (x) => String(x),
  ) => {
    const byKey = new Map<string, T>();
    for (const x of (prev ?? []).filter((p) => outside(campaignOf(p)))) byKey.set(keyOf(x), x);
    for (const x of nextList ?? []) byKey.set(keyOf(x), x);
    return [...byKey.values()];
  };
  const merged: HealthCarry = {
    ...next,
    heldPaused: keep(
      previous.heldPaused,
      next.heldPaused,
      (h) => h.campaign,
      (h) => h.scheduleId,
    ),
    overdueCampaigns: keep(previous.overdueCampaigns, next.overdueCampaigns, (c) => c),
    unpolledSyncs: keep(previous.unpolledSyncs, next.unpolledSyncs, runCampaign),
    stuckSyncs: keep(previous.stuckSyncs, next.stuckSyncs, runCampaign),
    cadenceSince: {
      ...Object.fromEntries(Object.entries(previous.cadenceSince).filter(([c]) => outside(c))),
      ...next.cadenceSince,
    },
  };
  if (previous.settingCampaigns || next.settingCampaigns)
    merged.settingCampaigns = keep(previous.settingCampaigns, next.settingCampaigns, (c) => c);
  return merged;
}

/** The previous report, as far as the next run needs it. */
export interface PreviousReport {
  workflowId: string;
  checkedAt: string;
  status: HealthStatus;
  carry?: HealthCarry;
}

export interface HealthReport {
  status: HealthStatus;
  /** 100 minus each finding's penalty ({@link SCORE_PENALTY}), at least 0. */
  score: number;
  checkedAt: string;
  durationMs: number;
  workflowId: string;
  runId: string;
  trigger: string;
  taskQueue: string;
  campaignPrefix?: string;
  /** The status of the previous report on this task queue, when there is one. */
  previousStatus?: HealthStatus;
  statusTrend: StatusTrend;
  /** HEALTH_INTERVAL of the worker that ran the check, when known (metrics expire after 3 of them). */
  intervalMs?: number;
  thresholds: HealthThresholds;
  findings: Finding[];
  workers: WorkersSection | CheckError;
  resources: ResourceCheck | CheckError;
  services: ServiceCheck[];
  campaigns: CampaignsSection | CheckError;
  overload: OverloadSection;
  alerts: HealthAlert[];
  webhook?: { sent: boolean; error?: string };
  /** What the next report needs from this one. */
  carry: HealthCarry;
}

/**
 * The worker's health settings (HEALTH_* variables): thresholds, which a run's input may override,
 * the alert webhook, whether overloads pause recurring syncs, and the health interval.
 */
export interface HealthSettings {
  thresholds: HealthThresholds;
  webhookUrl?: string;
  /** HEALTH_PAUSE_ON_OVERLOAD: the default of a run's `pauseOnOverload`. Default false. */
  pauseOnOverload?: boolean;
  /** HEALTH_INTERVAL, ms. */
  intervalMs?: number;
}
