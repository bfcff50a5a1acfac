/**
 * The health check's types, thresholds and its pure evaluation (status, score, stuck syncs and
 * what to do about them, overload). Shared by the `systemHealth` workflow, its activities, the
 * worker's configuration and the CLI; no I/O here, so workflow code can use it.
 */
import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from './duration';
import { NON_RETRYABLE_ERROR_TYPES } from './errors';
import { campaignFromWorkflowId } from './names';
import { registerCommand } from './search-attributes';

export const HEALTH_STATUSES = ['healthy', 'degraded', 'unhealthy'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];
export type Severity = Exclude<HealthStatus, 'healthy'>;

/** What a finding of each severity takes off the score (100 = nothing found). */
export const SCORE_PENALTY: Record<Severity, number> = { degraded: 10, unhealthy: 30 };

/** The trigger of a sync health restarted; a restarted sync that is stuck again is not restarted twice. */
export const HEALTH_RESTART_TRIGGER = 'health-restart';

const durationString = (name: string) =>
  z
    .string()
    .trim()
    .regex(DURATION_PATTERN, `${name} must be a duration such as 500ms, 90s, 30m, 2h or 1d`)
    .refine((v) => !DURATION_PATTERN.test(v) || parseDuration(v) > 0, `${name} must be longer than zero`);

/** A measure's two thresholds: reaching `degraded` degrades, reaching `unhealthy` is unhealthy. */
const levelSchema = () =>
  z
    .object({ degraded: z.number().min(0), unhealthy: z.number().min(0) })
    .strict()
    .refine((l) => l.unhealthy >= l.degraded, { message: 'unhealthy must be at least degraded' });

export const HealthThresholdsSchema = z
  .object({
    /** A running sync whose progress has not moved for this long is stuck. */
    stuckNoProgressAfter: durationString('stuckNoProgressAfter'),
    /** A sync (or a lock holder) running longer than this is stuck (a lock holder is reported). */
    stuckRunningAfter: durationString('stuckRunningAfter'),
    /** How far back failed syncs count. */
    failureWindow: durationString('failureWindow'),
    /** A task queue whose newest poller was last seen longer ago than this degrades. */
    workerStaleAfter: durationString('workerStaleAfter'),
    /** Failed syncs (all campaigns) within `failureWindow`. */
    failures: levelSchema(),
    /** Worker process resident memory, MB. */
    rssMb: levelSchema(),
    /** V8 heap used / heap size limit, 0..1. */
    heapUsedRatio: levelSchema(),
    /** Event-loop delay p99 of the worker process, ms. */
    eventLoopDelayMs: levelSchema(),
    /**
     * Activity schedule-to-start latency on the main task queue (p99 since the previous check on
     * that worker), ms: how long activities waited for this worker to start them. The MailerLite
     * queue is not counted: its waits are the rate limit working.
     */
    scheduleToStartMs: levelSchema(),
    /** A service's answer time, ms. */
    serviceLatencyMs: levelSchema(),
    /**
     * Any of these reached means the worker is overloaded: an unhealthy finding, and, when pausing
     * is on (HEALTH_PAUSE_ON_OVERLOAD), its recurring syncs are paused. All the worker's own signals:
     * the host's load and free memory are reported, never judged (another process on a shared host
     * is not this worker's overload).
     */
    overload: z
      .object({
        rssMb: z.number().min(0),
        heapUsedRatio: z.number().min(0),
        eventLoopDelayMs: z.number().min(0),
        scheduleToStartMs: z.number().min(0),
      })
      .strict(),
    /**
     * A change of status raises an alert only once the new status has held for this many
     * consecutive runs, so a signal that flaps around a threshold does not alert at every change.
     */
    statusAlertAfterRuns: z.number().int().min(1).max(20),
    /**
     * How long a campaign without a sync schedule may go without a successful sync before it is
     * overdue. Unset: only campaigns with a schedule are judged (from their interval).
     */
    syncOverdueAfter: durationString('syncOverdueAfter').optional(),
  })
  .strict();

export type HealthThresholds = z.output<typeof HealthThresholdsSchema>;

export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = {
  stuckNoProgressAfter: '10m',
  stuckRunningAfter: '6h',
  failureWindow: '1h',
  workerStaleAfter: '3m',
  failures: { degraded: 3, unhealthy: 10 },
  rssMb: { degraded: 1024, unhealthy: 2048 },
  heapUsedRatio: { degraded: 0.85, unhealthy: 0.95 },
  eventLoopDelayMs: { degraded: 200, unhealthy: 1000 },
  scheduleToStartMs: { degraded: 5000, unhealthy: 30_000 },
  serviceLatencyMs: { degraded: 2000, unhealthy: 10_000 },
  overload: { rssMb: 3072, heapUsedRatio: 0.97, eventLoopDelayMs: 2000, scheduleToStartMs: 60_000 },
  statusAlertAfterRuns: 2,
};

const partialLevel = z
  .object({ degraded: z.number().min(0), unhealthy: z.number().min(0) })
  .partial()
  .strict();

/** Thresholds a run overrides (any subset; a level's two values separately). */
export const HealthThresholdOverridesSchema = z
  .object({
    stuckNoProgressAfter: durationString('stuckNoProgressAfter'),
    stuckRunningAfter: durationString('stuckRunningAfter'),
    failureWindow: durationString('failureWindow'),
    workerStaleAfter: durationString('workerStaleAfter'),
    failures: partialLevel,
    rssMb: partialLevel,
    heapUsedRatio: partialLevel,
    eventLoopDelayMs: partialLevel,
    scheduleToStartMs: partialLevel,
    serviceLatencyMs: partialLevel,
    overload: HealthThresholdsSchema.shape.overload.partial().strict(),
    statusAlertAfterRuns: HealthThresholdsSchema.shape.statusAlertAfterRuns,
    syncOverdueAfter: durationString('syncOverdueAfter'),
  })
  .partial()
  .strict();
export type HealthThresholdOverrides = z.input<typeof HealthThresholdOverridesSchema>;

/**
 * Input of the `systemHealth` workflow. Everything is optional: a scheduled run passes only its
 * trigger, and takes its thresholds from the worker's configuration (HEALTH_* variables).
 */
export const HealthInputSchema = z
  .object({
    /** Thresholds overriding the worker's for this run (tests use tiny ones). */
    thresholds: HealthThresholdOverridesSchema.optional(),
    /**
     * The task queue whose workers, syncs and sync schedules this run checks. Default: the queue
     * the health run itself runs on (one deployment = one task queue).
     */
    taskQueue: z.string().trim().min(1).max(200).optional(),
    /** Only campaigns whose code starts with this (syncs, failures, schedules). Default: all. */
    campaignPrefix: z.string().trim().min(1).max(100).optional(),
    /** Recover stuck syncs (restart, or fail with a reason). Default true; false only reports them. */
    recover: z.boolean().default(true),
    /**
     * Pause the task queue's recurring syncs when overloaded. Default: the worker's
     * HEALTH_PAUSE_ON_OVERLOAD (off unless set). Schedules health holds paused are resumed once
     * the overload is over whatever this says.
     */
    pauseOnOverload: z.boolean().optional(),
    /** Who started the run: `schedule`, `cli`, ... Default `manual`. */
    trigger: z.string().trim().min(1).max(200).default('manual'),
  })
  .strict();
export type HealthInput = z.input<typeof HealthInputSchema>;
export type HealthOptions = z.output<typeof HealthInputSchema>;

/** The worker's thresholds with a run's overrides on top; throws an Error naming each inconsistent threshold. */
export function resolveThresholds(
  base: HealthThresholds,
  overrides: HealthThresholdOverrides | undefined,
): HealthThresholds {
  if (!overrides) return base;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const current = (base as Record<string, unknown>)[key];
    merged[key] =
      typeof value === 'object' && value !== null && typeof current === 'object' && current !== null
        ? { ...current, ...value }
        : value;
  }
  const parsed = HealthThresholdsSchema.safeParse(merged);
  if (parsed.success) return parsed.data;
  throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
}

// ---------------------------------------------------------------------------------------------
// What the checks collect (activity results)

/** A check that could not be made. */
export interface CheckError {
  error: string;
}

export function isCheckError(value: unknown): value is CheckError {
  return typeof value === 'object' && value !== null && 'error' in value && !('checkedAt' in value);
}

export type QueueKind = 'workflow' | 'activity';

/** The pollers Temporal saw on one task queue (for one kind of task) within the last minutes. */
export interface QueuePollers {
  taskQueue: string;
  kind: QueueKind;
  pollers: { identity: string; lastSeen: string | null; ratePerSecond?: number }[];
}

export interface WorkersCheck {
  checkedAt: string;
  queues: QueuePollers[];
}

/**
 * How long activities waited between being scheduled (each attempt) and starting on the worker
 * that ran the check, on one task queue, since that worker's previous check.
 */
export interface ScheduleToStart {
  taskQueue: string;
  /** Activity attempts started in the window (0: nothing to judge). */
  count: number;
  p50: number;
  p99: number;
  max: number;
  /** How long the window covered, ms. */
  sampledMs: number;
}

/** The worker process that ran the resource check, and (as information only) its host. */
export interface ResourceCheck {
  checkedAt: string;
  host: string;
  pid: number;
  uptimeSeconds: number;
  memory: {
    rssBytes: number;
    heapUsedBytes: number;
    heapTotalBytes: number;
    heapLimitBytes: number;
    externalBytes: number;
    /** Host memory. */
    freeBytes: number;
    totalBytes: number;
  };
  /** 1, 5 and 15 minute load averages of the host: information, not judged. */
  loadAverage: [number, number, number];
  cpus: number;
  /** Event-loop delay of the worker process since the previous check (at least a short sample). */
  eventLoopDelayMs: { mean: number; p50: number; p99: number; max: number; sampledMs: number };
  /** Activity schedule-to-start latency on the main task queue, ms (absent: not measured). */
  scheduleToStartMs?: ScheduleToStart;
}

export type ServiceName = 'temporal' | 'edd' | 'mailerlite';

export interface ServiceCheck {
  service: ServiceName;
  ok: boolean;
  /** Time to answer, ms (also when the answer was an error). Null when no attempt finished. */
  latencyMs: number | null;
  checkedAt: string;
  error?: string;
  /** The error's type, e.g. ProviderAuthError. */
  errorType?: string;
  /** Temporal: whether the HealthStatus search attribute is registered (runs are filterable). */
  healthSearchAttribute?: boolean;
  /**
   * Temporal: the project's search attributes (SEARCH_ATTRIBUTES) the namespace lacks, each with
   * its type. A sync that sets one fails every workflow task until it is registered.
   */
  missingSearchAttributes?: { name: string; type: string }[];
  /** Temporal: the namespace checked. */
  namespace?: string;
}

export interface SyncProgressBrief {
  phase: string;
  pages: number;
  fetched: number;
  valid: number;
  invalid: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  failed: number;
  startedAt: string;
  updatedAt: string;
  /** Mirror removals waiting for a person's approval (phase `awaiting-approval`). */
  pendingRemovals?: number;
}

/** A running campaign sync as the scan saw it. */
export interface RunningSyncInfo {
  campaign: string;
  workflowId: string;
  runId: string;
  taskQueue: string;
  startedAt: string;
  /** Its `SyncTrigger` search attribute. */
  trigger?: string;
  progress?: SyncProgressBrief;
  /** Why the progress query gave no answer (e.g. no worker polls the queue). */
  progressError?: string;
  pendingActivities: { type: string; attempt: number; lastFailure?: { type?: string; message: string } }[];
  /**
   * Whether any worker polls the workflow tasks of its task queue. False: nothing runs it, not even
   * a cancellation, and it holds the campaign's lock until a worker comes or it is terminated.
   */
  taskQueuePolled?: boolean;
}

/** A run holding a campaign's lock for another workflow (a transition, a create). */
export interface LockRunInfo {
  campaign: string;
  workflowId: string;
  runId: string;
  startedAt: string;
  holder?: string;
}

export interface CampaignFailures {
  campaign: string;
  count: number;
  last: { workflowId: string; runId: string; status: string; closedAt: string; message?: string };
}

export interface CampaignScan {
  checkedAt: string;
  running: RunningSyncInfo[];
  /** Running syncs beyond the scan's limit, not listed. */
  runningOmitted: number;
  locks: LockRunInfo[];
  failures: CampaignFailures[];
  failuresTotal: number;
  /** Failures counted since (ISO time). */
  failuresSince: string;
}

/** Where a campaign's expected sync interval comes from. */
export type CadenceSource = 'schedule' | 'setting';

/** What the cadence check read about one campaign (judged by {@link judgeCadence}). */
export interface CadenceFacts {
  campaign: string;
  source: CadenceSource;
  /** The campaign's sync schedule, for `schedule`. */
  scheduleId?: string;
  /** The schedule's interval (or, for a cron or calendar spec, the largest gap between its next runs). */
  intervalMs?: number;
  /** How long a scheduled run may take: its `timeout` (default: the interval). */
  runAllowanceMs?: number;
  /** Overdue after this long without a successful sync: interval + run allowance, or the setting. */
  overdueAfterMs: number;
  /** Close time of the newest completed sync that was not a dry run, within visibility. */
  lastSuccessAt: string | null;
  /**
   * Since when a success is expected at the earliest: the schedule's creation or last update, or
   * the first run of an unscheduled campaign the check saw.
   */
  expectedSince: string;
}

export interface CadenceCheck {
  checkedAt: string;
  campaigns: CadenceFacts[];
}

/** Everything the checks collected, before judging it. */
export interface HealthSnapshot {
  /** The task queue checked. */
  taskQueue: string;
  workers: WorkersCheck | CheckError;
  resources: ResourceCheck | CheckError;
  services: ServiceCheck[];
  campaigns: CampaignScan | CheckError;
  /** Campaigns' successful syncs against their expected interval (absent: not checked). */
  cadence?: CadenceCheck | CheckError;
}

// ---------------------------------------------------------------------------------------------
// The report

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

// ---------------------------------------------------------------------------------------------
// Evaluation

const MB = 1024 * 1024;

function severityOf(value: number, level: { degraded: number; unhealthy: number }) {
  if (value >= level.unhealthy) return 'unhealthy' as const;
  if (value >= level.degraded) return 'degraded' as const;
  return undefined;
}

/** `95s`, `12m`, `3.5h`: a duration for people. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)}m`;
  return `${(ms / 3_600_000).toFixed(1)}h`;
}

/** The status and score findings give: the worst severity, and 100 minus their penalties. */
export function scoreFindings(findings: Finding[]): { status: HealthStatus; score: number } {
  let status: HealthStatus = 'healthy';
  let score = 100;
  for (const f of findings) {
    score -= SCORE_PENALTY[f.severity];
    if (f.severity === 'unhealthy') status = 'unhealthy';
    else if (status === 'healthy') status = 'degraded';
  }
  return { status, score: Math.max(0, score) };
}

/** Pollers per task queue, and per worker identity, from a workers check. */
export function summarizeWorkers(check: WorkersCheck): WorkersSection {
  const byIdentity = new Map<string, WorkerSummary>();
  const queues = check.queues.map((q) => {
    let lastSeen: string | null = null;
    for (const p of q.pollers) {
      if (p.lastSeen && (!lastSeen || p.lastSeen > lastSeen)) lastSeen = p.lastSeen;
      const worker = byIdentity.get(p.identity) ?? { identity: p.identity, lastSeen: null, polls: [] };
      worker.polls.push(`${q.taskQueue} (${q.kind})`);
      if (p.lastSeen && (!worker.lastSeen || p.lastSeen > worker.lastSeen)) worker.lastSeen = p.lastSeen;
      byIdentity.set(p.identity, worker);
    }
    return { taskQueue: q.taskQueue, kind: q.kind, pollers: q.pollers.length, lastSeen };
  });
  return {
    queues,
    workers: [...byIdentity.values()].sort((a, b) => a.identity.localeCompare(b.identity)),
  };
}

/**
 * Whether the worker that ran the check is overloaded, and why: any overload threshold reached by
 * its own signals (resident memory, heap used against its limit, event-loop delay, how long its
 * activities waited to start). The host's load and free memory are not signals of this worker.
 */
export function overloadOf(
  resources: ResourceCheck,
  t: HealthThresholds,
): { overloaded: boolean; reasons: string[] } {
  const o = t.overload;
  const reasons: string[] = [];
  const rssMb = resources.memory.rssBytes / MB;
  const heapRatio = resources.memory.heapUsedBytes / Math.max(1, resources.memory.heapLimitBytes);
  if (rssMb >= o.rssMb) reasons.push(`worker memory ${rssMb.toFixed(0)} MB >= ${o.rssMb} MB`);
  if (heapRatio >= o.heapUsedRatio)
    reasons.push(
      `heap ${(heapRatio * 100).toFixed(0)}% of its limit >= ${(o.heapUsedRatio * 100).toFixed(0)}%`,
    );
  if (resources.eventLoopDelayMs.p99 >= o.eventLoopDelayMs)
    reasons.push(
      `event-loop delay p99 ${resources.eventLoopDelayMs.p99.toFixed(0)} ms >= ${o.eventLoopDelayMs} ms`,
    );
  const s2s = resources.scheduleToStartMs;
  if (s2s && s2s.count > 0 && s2s.p99 >= o.scheduleToStartMs)
    reasons.push(`activities waited p99 ${formatMs(s2s.p99)} to start >= ${formatMs(o.scheduleToStartMs)}`);
  return { overloaded: reasons.length > 0, reasons };
}

/** What to do about a sync on a task queue no worker polls. */
export function unpolledAdvice(campaign: string, taskQueue: string): string {
  return (
    `start a worker with TEMPORAL_TASK_QUEUE=${taskQueue}, or free the lock with ` +
    `'campaign-sync sync cancel ${campaign} --force'`
  );
}

/**
 * Each campaign's cadence: overdue when no successful sync has closed for longer than
 * `overdueAfterMs`, counted from the last success or from when one was first expected
 * (`expectedSince`), whichever is later. A campaign judged by the previous report keeps the
 * `expectedSince` it had then; a scheduled campaign newly judged (a schedule created, or unpaused,
 * since the previous report) is counted from the previous report at the earliest, so a schedule
 * paused for a week is not overdue the moment it is unpaused. `change` says what alerts: it became
 * overdue with this report, or it synced successfully again after being overdue.
 */
export function judgeCadence(
  check: CadenceCheck,
  previous: PreviousReport | undefined,
): { entries: CadenceEntry[]; since: Record<string, string> } {
  const now = Date.parse(check.checkedAt);
  const carry = previous?.carry;
  const wasOverdue = new Set(carry?.overdueCampaigns ?? []);
  const since: Record<string, string> = {};
  const entries = check.campaigns.map((f): CadenceEntry => {
    let from = f.expectedSince;
    const carried = carry?.cadenceSince[f.campaign];
    if (carried !== undefined) from = carried > from ? carried : from;
    else if (previous && f.source === 'schedule' && previous.checkedAt > from) from = previous.checkedAt;
    since[f.campaign] = from;
    const reference = f.lastSuccessAt && f.lastSuccessAt > from ? f.lastSuccessAt : from;
    const overdue = now - Date.parse(reference) > f.overdueAfterMs;
    const entry: CadenceEntry = {
      campaign: f.campaign,
      source: f.source,
      ...(f.scheduleId !== undefined ? { scheduleId: f.scheduleId } : {}),
      ...(f.intervalMs !== undefined ? { intervalMs: f.intervalMs } : {}),
      overdueAfterMs: f.overdueAfterMs,
      lastSuccessAt: f.lastSuccessAt,
      expectedSince: from,
      overdue,
    };
    if (overdue && !wasOverdue.has(f.campaign)) entry.change = 'became-overdue';
    else if (!overdue && wasOverdue.has(f.campaign) && f.lastSuccessAt !== null && f.lastSuccessAt >= from)
      entry.change = 'synced-again';
    return entry;
  });
  return { entries, since };
}

/** A cadence entry's overdue finding, for people. */
function overdueMessage(e: CadenceEntry, now: number): string {
  const expected =
    e.source === 'schedule'
      ? `expected every ${formatMs(e.intervalMs ?? 0)} by its schedule ${e.scheduleId ?? ''}`.trimEnd()
      : 'no schedule; HEALTH_SYNC_OVERDUE_AFTER';
  return e.lastSuccessAt
    ? `campaign ${e.campaign} has not synced successfully for ${formatMs(now - Date.parse(e.lastSuccessAt))} ` +
        `(${expected}; overdue after ${formatMs(e.overdueAfterMs)}; last success ${e.lastSuccessAt})`
    : `campaign ${e.campaign} has had no successful sync since ${e.expectedSince} ` +
        `(${expected}; overdue after ${formatMs(e.overdueAfterMs)})`;
}

export interface HealthEvaluation {
  findings: Finding[];
  workers: WorkersSection | CheckError;
  campaigns: CampaignsSection | CheckError;
  /** Null when the resources could not be read. */
  overload: { overloaded: boolean; reasons: string[] } | null;
  /** The carry's parts the evaluation decides (the workflow adds the held pauses and the announced status). */
  carry: Pick<
    HealthCarry,
    'overdueCampaigns' | 'unpolledSyncs' | 'stuckSyncs' | 'cadenceSince' | 'settingCampaigns'
  >;
}

/**
 * Judges a snapshot against thresholds: the findings (each with its severity), the stuck syncs
 * with the action each gets, syncs nobody runs, campaigns overdue, and whether the worker is
 * overloaded. Pure and deterministic: the workflow runs it, and unit tests drive it directly.
 * `taskQueue` is the deployment's (only its syncs are recovered); `previous` is the previous report.
 */
export function evaluateHealth(
  snapshot: HealthSnapshot,
  t: HealthThresholds,
  opts: { recover: boolean; previous?: PreviousReport },
): HealthEvaluation {
  const findings: Finding[] = [];
  const add = (area: HealthArea, severity: Severity | undefined, message: string) => {
    if (severity) findings.push({ area, severity, message });
  };
  const carry = opts.previous?.carry;

  // Workers: every queue needs a poller, recently seen.
  let workers: WorkersSection | CheckError;
  const unpolled = new Set<string>();
  if (isCheckError(snapshot.workers)) {
    workers = snapshot.workers;
    add('workers', 'degraded', `workers could not be checked: ${snapshot.workers.error}`);
  } else {
    workers = summarizeWorkers(snapshot.workers);
    const now = Date.parse(snapshot.workers.checkedAt);
    const staleMs = parseDuration(t.workerStaleAfter);
    for (const q of workers.queues) {
      const name = `${q.taskQueue} (${q.kind} tasks)`;
      if (q.pollers === 0) {
        unpolled.add(`${q.taskQueue}/${q.kind}`);
        add('workers', 'unhealthy', `no worker polls ${name}`);
      } else if (q.lastSeen && now - Date.parse(q.lastSeen) > staleMs) {
        add('workers', 'degraded', `no worker polled ${name} for ${formatMs(now - Date.parse(q.lastSeen))}`);
      }
    }
  }

  // Resources of the worker that ran the check: its own signals only. The host's load average and
  // free memory are in the report as information; a busy neighbour on a shared host is not this
  // worker's problem, and judging it made health flap with every load change.
  let overload: HealthEvaluation['overload'] = null;
  if (isCheckError(snapshot.resources)) {
    add('resources', 'degraded', `resources could not be checked: ${snapshot.resources.error}`);
  } else {
    const r = snapshot.resources;
    const rssMb = r.memory.rssBytes / MB;
    const heapRatio = r.memory.heapUsedBytes / Math.max(1, r.memory.heapLimitBytes);
    add('resources', severityOf(rssMb, t.rssMb), `worker memory (RSS) ${rssMb.toFixed(0)} MB`);
    add(
      'resources',
      severityOf(heapRatio, t.heapUsedRatio),
      `heap ${(heapRatio * 100).toFixed(0)}% of its limit`,
    );
    add(
      'resources',
      severityOf(r.eventLoopDelayMs.p99, t.eventLoopDelayMs),
      `event-loop delay p99 ${r.eventLoopDelayMs.p99.toFixed(0)} ms`,
    );
    const s2s = r.scheduleToStartMs;
    if (s2s && s2s.count > 0)
      add(
        'resources',
        severityOf(s2s.p99, t.scheduleToStartMs),
        `activities waited p99 ${formatMs(s2s.p99)} (max ${formatMs(s2s.max)}) to start on ${s2s.taskQueue}`,
      );
    overload = overloadOf(r, t);
  }

  // Services: reachable, answering in time, and (Temporal) every search attribute registered.
  const authRefused = new Map<string, string>();
  for (const s of snapshot.services) {
    if (!s.ok) {
      add('services', 'unhealthy', `${s.service} unreachable: ${s.error ?? 'no answer'}`);
      if (s.errorType && NON_RETRYABLE_ERROR_TYPES.includes(s.errorType))
        authRefused.set(s.service, `${s.service} refuses the request (${s.errorType})`);
    } else if (s.latencyMs !== null) {
      add(
        'services',
        severityOf(s.latencyMs, t.serviceLatencyMs),
        `${s.service} answers slowly: ${formatMs(s.latencyMs)}`,
      );
    }
    if (s.missingSearchAttributes && s.missingSearchAttributes.length > 0) {
      const names = s.missingSearchAttributes.map((a) => a.name);
      add(
        'services',
        'unhealthy',
        `search attribute${names.length === 1 ? '' : 's'} ${names.join(', ')} not registered in namespace ` +
          `${s.namespace ?? '(unknown)'}: a sync setting one fails every workflow task until it is; register ` +
          `${names.length === 1 ? 'it' : 'them'} with ${s.missingSearchAttributes.map((a) => registerCommand(a, s.namespace ?? 'default')).join(' && ')}`,
      );
    }
  }

  // Campaigns: syncs nobody runs, stuck syncs, long-held locks, recent failures, overdue campaigns.
  let campaigns: CampaignsSection | CheckError;
  const evaluatedCarry: HealthEvaluation['carry'] = {
    overdueCampaigns: carry?.overdueCampaigns ?? [],
    unpolledSyncs: carry?.unpolledSyncs ?? [],
    stuckSyncs: carry?.stuckSyncs ?? [],
    cadenceSince: carry?.cadenceSince ?? {},
    ...(carry?.settingCampaigns ? { settingCampaigns: carry.settingCampaigns } : {}),
  };
  if (isCheckError(snapshot.campaigns)) {
    campaigns = snapshot.campaigns;
    add('campaigns', 'degraded', `campaign syncs could not be scanned: ${snapshot.campaigns.error}`);
  } else {
    const scan = snapshot.campaigns;
    const now = Date.parse(scan.checkedAt);
    const noProgressMs = parseDuration(t.stuckNoProgressAfter);
    const runningMs = parseDuration(t.stuckRunningAfter);
    const stuck: StuckSync[] = [];
    const noWorker = [...unpolled];
    const alertedUnpolled = new Set(carry?.unpolledSyncs ?? []);
    const alertedStuck = new Set(carry?.stuckSyncs ?? []);
    const unpolledSyncs: UnpolledSync[] = [];
    const running = scan.running.map((sync) => {
      if (sync.taskQueuePolled === false) {
        unpolledSyncs.push({
          campaign: sync.campaign,
          workflowId: sync.workflowId,
          runId: sync.runId,
          taskQueue: sync.taskQueue,
          new: !alertedUnpolled.has(`${sync.workflowId}/${sync.runId}`),
        });
        return { ...sync, state: 'unpolled' as const };
      }
      const age = now - Date.parse(sync.startedAt);
      const idle = sync.progress ? now - Date.parse(sync.progress.updatedAt) : undefined;
      let reason: string | undefined;
      if (sync.progress?.phase === 'awaiting-approval') return { ...sync, state: 'waiting' as const };
      if (age >= runningMs) reason = `running for ${formatMs(age)} (limit ${t.stuckRunningAfter})`;
      else if (idle !== undefined && idle >= noProgressMs)
        reason = `no progress for ${formatMs(idle)} in phase ${sync.progress!.phase} (limit ${t.stuckNoProgressAfter})`;
      else if (idle === undefined && age >= noProgressMs)
        reason = `its progress cannot be read (${sync.progressError ?? 'no answer'}) after ${formatMs(age)}`;
      if (!reason) return { ...sync, state: sync.progress ? ('running' as const) : ('unknown' as const) };
      stuck.push({
        campaign: sync.campaign,
        workflowId: sync.workflowId,
        runId: sync.runId,
        reason,
        new: !alertedStuck.has(`${sync.workflowId}/${sync.runId}`),
        ...decideRecovery(sync, {
          recover: opts.recover,
          authRefused,
          noWorker,
          taskQueue: snapshot.taskQueue,
        }),
      });
      return { ...sync, state: 'stuck' as const };
    });
    for (const u of unpolledSyncs)
      add(
        'campaigns',
        'unhealthy',
        `sync of ${u.campaign} (${u.workflowId}) runs on task queue ${u.taskQueue}, which no worker polls: ` +
          `nothing runs it, not even a cancellation, and it holds the campaign's lock; ${unpolledAdvice(u.campaign, u.taskQueue)}`,
      );
    for (const s of stuck) add('campaigns', 'degraded', `sync of ${s.campaign} is stuck: ${s.reason}`);
    const longLocks = scan.locks.filter((l) => now - Date.parse(l.startedAt) >= runningMs);
    for (const l of longLocks)
      add(
        'campaigns',
        'degraded',
        `${l.campaign} has been locked by ${l.holder ?? l.workflowId} for ${formatMs(now - Date.parse(l.startedAt))}`,
      );
    add(
      'campaigns',
      severityOf(scan.failuresTotal, t.failures),
      `${scan.failuresTotal} failed syncs in the last ${t.failureWindow}`,
    );
    evaluatedCarry.unpolledSyncs = unpolledSyncs.map((u) => `${u.workflowId}/${u.runId}`);
    evaluatedCarry.stuckSyncs = stuck.map((x) => `${x.workflowId}/${x.runId}`);

    let cadence: CadenceEntry[] = [];
    let cadenceError: string | undefined;
    if (snapshot.cadence && isCheckError(snapshot.cadence)) {
      cadenceError = snapshot.cadence.error;
      add('campaigns', 'degraded', `sync cadence could not be checked: ${cadenceError}`);
    } else if (snapshot.cadence) {
      const judged = judgeCadence(snapshot.cadence, opts.previous);
      cadence = judged.entries;
      const cadenceNow = Date.parse(snapshot.cadence.checkedAt);
      for (const e of cadence) if (e.overdue) add('campaigns', 'degraded', overdueMessage(e, cadenceNow));
      evaluatedCarry.overdueCampaigns = cadence.filter((e) => e.overdue).map((e) => e.campaign);
      evaluatedCarry.cadenceSince = judged.since;
      const setting = cadence.filter((e) => e.source === 'setting').map((e) => e.campaign);
      if (t.syncOverdueAfter !== undefined) evaluatedCarry.settingCampaigns = setting;
      else delete evaluatedCarry.settingCampaigns;
    }
    campaigns = {
      running,
      runningOmitted: scan.runningOmitted,
      stuck,
      longLocks,
      locks: scan.locks.length,
      failures: scan.failures,
      failuresTotal: scan.failuresTotal,
      failuresSince: scan.failuresSince,
      recovered: { restarted: 0, failed: 0 },
      unpolled: unpolledSyncs,
      cadence,
      ...(cadenceError !== undefined ? { cadenceError } : {}),
    };
  }
  return { findings, workers, campaigns, overload, carry: evaluatedCarry };
}

/**
 * What to do with a stuck sync. A restart is a new run of the stuck run's own input (see
 * docs/design.md, "Health"); it is not tried when it cannot help: the sync was restarted by health
 * already, a provider refuses the credentials (fail it with the reason), or no worker polls a queue
 * it needs, or its progress cannot be read (report it). A sync on another deployment's task queue
 * is that deployment's health's to recover: reported only.
 */
export function decideRecovery(
  sync: RunningSyncInfo,
  ctx: { recover: boolean; authRefused: Map<string, string>; noWorker: string[]; taskQueue?: string },
): { action: StuckAction; why: string } {
  if (!ctx.recover) return { action: 'report', why: 'recovery is off for this run' };
  if (sync.taskQueuePolled === false)
    return {
      action: 'report',
      why: `no worker polls its task queue ${sync.taskQueue}: ${unpolledAdvice(sync.campaign, sync.taskQueue)}`,
    };
  if (ctx.taskQueue !== undefined && sync.taskQueue !== ctx.taskQueue)
    return {
      action: 'report',
      why: `it runs on task queue ${sync.taskQueue}, whose own health check recovers it`,
    };
  if (sync.trigger?.startsWith(HEALTH_RESTART_TRIGGER))
    return {
      action: 'fail',
      why: 'health restarted it already and it is stuck again: restarting would not help',
    };
  const nonRetryable = sync.pendingActivities.find(
    (a) => a.lastFailure?.type && NON_RETRYABLE_ERROR_TYPES.includes(a.lastFailure.type),
  );
  if (nonRetryable)
    return {
      action: 'fail',
      why: `its ${nonRetryable.type} fails with ${nonRetryable.lastFailure!.type}, which no retry fixes`,
    };
  if (ctx.authRefused.size > 0)
    return {
      action: 'fail',
      why: `${[...ctx.authRefused.values()].join('; ')}: a restart would fail the same way`,
    };
  if (ctx.noWorker.length > 0)
    return {
      action: 'report',
      why: `no worker polls ${ctx.noWorker.join(', ')}: a restart would wait the same way`,
    };
  if (!sync.progress) return { action: 'report', why: 'its progress cannot be read' };
  return { action: 'restart', why: 'a new run of its input (writes are idempotent)' };
}

/**
 * Whether a status change is announced (hysteresis). `recentStatuses` are the previous runs'
 * statuses, newest first (their HealthStatus search attributes); `announced` is the status the
 * previous report had announced last. A new status is announced once it has held for
 * `alertAfterRuns` consecutive runs, this one included, so a signal alternating between two
 * statuses at every run announces nothing. Without a previous announcement, the baseline is the
 * newest status that held `alertAfterRuns` runs in `recentStatuses`, else `healthy`.
 */
export function statusTrend(input: {
  status: HealthStatus;
  recentStatuses: HealthStatus[];
  announced?: HealthStatus;
  alertAfterRuns: number;
}): StatusTrend {
  const n = Math.max(1, input.alertAfterRuns);
  let streak = 1;
  for (const s of input.recentStatuses) {
    if (s !== input.status) break;
    streak++;
  }
  const baseline = input.announced ?? heldStatus(input.recentStatuses, n) ?? 'healthy';
  if (streak >= n && input.status !== baseline)
    return { streak, alertAfterRuns: n, announced: input.status, changedFrom: baseline };
  return { streak, alertAfterRuns: n, announced: baseline };
}

/** The newest status that held `n` consecutive runs in a list of statuses, newest first. */
function heldStatus(statuses: HealthStatus[], n: number): HealthStatus | undefined {
  for (let i = 0; i + n <= statuses.length; i++) {
    const window = statuses.slice(i, i + n);
    if (window.every((s) => s === window[0])) return window[0];
  }
  return undefined;
}

/** The commands a person runs to look at a campaign's syncs. */
function lookAt(campaign: string): string {
  return `look with 'campaign-sync schedule describe ${campaign}' and 'campaign-sync sync status ${campaign}'`;
}

/**
 * The alerts a report raises: a status change once it has held (see {@link statusTrend}), each
 * stuck sync, each sync found on a task queue no worker polls, each campaign that becomes overdue
 * and syncs again, and overload pauses and resumes. A condition that lasts raises no new alert (the
 * log and the metrics show it at every run), so a webhook is not flooded every interval.
 */
export function healthAlerts(report: Omit<HealthReport, 'alerts'>): HealthAlert[] {
  const alerts: HealthAlert[] = [];
  const changedFrom = report.statusTrend.changedFrom;
  if (changedFrom !== undefined) {
    const top = report.findings
      .slice()
      .sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'unhealthy' ? -1 : 1))
      .slice(0, 5)
      .map((f) => f.message);
    const held = `${report.statusTrend.streak} check${report.statusTrend.streak === 1 ? '' : 's'} in a row`;
    alerts.push({
      kind: 'status',
      severity: report.status === 'healthy' ? 'info' : report.status,
      message:
        report.status === 'healthy'
          ? `campaign-sync is healthy again (score ${report.score}, ${held}; was ${changedFrom})`
          : `campaign-sync is ${report.status} (score ${report.score}, ${held}; was ${changedFrom}): ${top.join('; ')}`,
    });
  }
  if (!isCheckError(report.campaigns)) {
    // Once per stuck run: one left running (only reported) is not alerted at every check.
    for (const s of report.campaigns.stuck.filter((x) => x.new !== false)) {
      const done =
        s.outcome === 'restarted'
          ? `restarted as run ${s.newRunId}`
          : s.outcome === 'failed'
            ? `failed: ${s.why}`
            : s.outcome === 'error'
              ? `recovery failed: ${s.error}`
              : s.outcome === 'closed-meanwhile'
                ? 'it ended before recovery'
                : s.outcome === 'lock-taken'
                  ? 'another run took the lock before the restart'
                  : `left running: ${s.why}`;
      alerts.push({
        kind: 'stuck-sync',
        severity: s.outcome === 'error' ? 'unhealthy' : 'degraded',
        message: `sync of ${s.campaign} (${s.workflowId}, run ${s.runId}) is stuck: ${s.reason}; ${done}`,
      });
    }
    for (const u of report.campaigns.unpolled.filter((x) => x.new))
      alerts.push({
        kind: 'unpolled-queue',
        severity: 'unhealthy',
        message:
          `sync of ${u.campaign} (${u.workflowId}, run ${u.runId}) waits on task queue ${u.taskQueue}, which no worker polls: ` +
          `it holds the campaign's lock and nothing runs it, not even a cancellation; ${unpolledAdvice(u.campaign, u.taskQueue)}`,
      });
    const now = Date.parse(report.checkedAt);
    for (const e of report.campaigns.cadence) {
      if (e.change === 'became-overdue')
        alerts.push({
          kind: 'sync-overdue',
          severity: 'degraded',
          message: `${overdueMessage(e, now)}; ${lookAt(e.campaign)}`,
        });
      else if (e.change === 'synced-again')
        alerts.push({
          kind: 'sync-caught-up',
          severity: 'info',
          message: `campaign ${e.campaign} synced successfully again at ${e.lastSuccessAt} (it was overdue)`,
        });
    }
  }
  if (report.overload.paused.length > 0)
    alerts.push({
      kind: 'overload-paused',
      severity: 'unhealthy',
      message: `overloaded (${report.overload.reasons.join('; ')}): paused ${report.overload.paused.length} sync schedules: ${report.overload.paused.join(', ')}`,
    });
  if (report.overload.resumed.length > 0)
    alerts.push({
      kind: 'overload-resumed',
      severity: 'info',
      message: `no longer overloaded: resumed ${report.overload.resumed.length} sync schedules: ${report.overload.resumed.join(', ')}`,
    });
  return alerts.map((a) => ({ ...a, message: scrubPersonalData(a.message) }));
}

/** Email addresses masked (`j***@example.com`): alerts, logs and the webhook carry no personal data. */
export function scrubPersonalData(text: string): string {
  return text.replace(
    /([^\s@<>()"',;:]+)@([^\s@<>()"',;:]+\.[^\s@<>()"',;:]+)/g,
    (_m, local: string, domain: string) => `${local[0] ?? ''}***@${domain}`,
  );
}
