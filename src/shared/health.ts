/**
 * The health check's types, thresholds and its pure evaluation (status, score, stuck syncs and
 * what to do about them, overload). Shared by the `systemHealth` workflow, its activities, the
 * worker's configuration and the CLI; no I/O here, so workflow code can use it.
 */
import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from './duration';
import { NON_RETRYABLE_ERROR_TYPES } from './errors';

export const HEALTH_STATUSES = ['healthy', 'degraded', 'unhealthy'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];
export type Severity = Exclude<HealthStatus, 'healthy'>;

/** What a finding of each severity takes off the score (100 = nothing found). */
export const SCORE_PENALTY: Record<Severity, number> = { degraded: 10, unhealthy: 30 };

/** The trigger of a sync health restarted; a restarted sync that is stuck again is not restarted twice. */
export const HEALTH_RESTART_TRIGGER = 'health-restart';

/** How health's pauses of campaign sync schedules begin their note; only those it unpauses. */
export const HEALTH_PAUSE_NOTE_PREFIX = 'Paused by campaign-sync health';

const durationString = (name: string) =>
  z
    .string()
    .trim()
    .regex(DURATION_PATTERN, `${name} must be a duration such as 500ms, 90s, 30m, 2h or 1d`)
    .refine((v) => !DURATION_PATTERN.test(v) || parseDuration(v) > 0, `${name} must be longer than zero`);

/** A measure's two thresholds: reaching `degraded` (or, for free memory, falling to it) degrades, `unhealthy` likewise. */
const levelSchema = (lowerIsWorse = false) =>
  z
    .object({ degraded: z.number().min(0), unhealthy: z.number().min(0) })
    .strict()
    .refine((l) => (lowerIsWorse ? l.unhealthy <= l.degraded : l.unhealthy >= l.degraded), {
      message: lowerIsWorse
        ? 'unhealthy must be at most degraded (lower is worse)'
        : 'unhealthy must be at least degraded',
    });

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
    /** 1-minute load average per CPU. */
    loadPerCpu: levelSchema(),
    /** Free / total host memory, 0..1: lower is worse. */
    freeMemoryRatio: levelSchema(true),
    /** Event-loop delay p99 of the worker process, ms. */
    eventLoopDelayMs: levelSchema(),
    /** A service's answer time, ms. */
    serviceLatencyMs: levelSchema(),
    /** Any of these reached (free memory: fallen to) means overloaded: recurring syncs are paused. */
    overload: z
      .object({
        rssMb: z.number().min(0),
        loadPerCpu: z.number().min(0),
        freeMemoryRatio: z.number().min(0).max(1),
        eventLoopDelayMs: z.number().min(0),
      })
      .strict(),
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
  loadPerCpu: { degraded: 1.5, unhealthy: 3 },
  freeMemoryRatio: { degraded: 0.1, unhealthy: 0.05 },
  eventLoopDelayMs: { degraded: 200, unhealthy: 1000 },
  serviceLatencyMs: { degraded: 2000, unhealthy: 10_000 },
  overload: { rssMb: 3072, loadPerCpu: 4, freeMemoryRatio: 0.03, eventLoopDelayMs: 2000 },
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
    loadPerCpu: partialLevel,
    freeMemoryRatio: partialLevel,
    eventLoopDelayMs: partialLevel,
    serviceLatencyMs: partialLevel,
    overload: HealthThresholdsSchema.shape.overload.partial().strict(),
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
    /** Pause recurring syncs when overloaded and resume those it paused when recovered. Default true. */
    pauseOnOverload: z.boolean().default(true),
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

/** The worker process that ran the resource check, and its host. */
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
  /** 1, 5 and 15 minute load averages of the host. */
  loadAverage: [number, number, number];
  cpus: number;
  /** Event-loop delay of the worker process since the previous check (at least a short sample). */
  eventLoopDelayMs: { mean: number; p50: number; p99: number; max: number; sampledMs: number };
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

/** Everything the checks collected, before judging it. */
export interface HealthSnapshot {
  /** The task queue checked. */
  taskQueue: string;
  workers: WorkersCheck | CheckError;
  resources: ResourceCheck | CheckError;
  services: ServiceCheck[];
  campaigns: CampaignScan | CheckError;
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

export interface CampaignsSection {
  running: (RunningSyncInfo & { state: 'running' | 'waiting' | 'stuck' | 'unknown' })[];
  runningOmitted: number;
  stuck: StuckSync[];
  /** Lock holders (transitions, creates) running past `stuckRunningAfter`: reported, never touched. */
  longLocks: LockRunInfo[];
  locks: number;
  failures: CampaignFailures[];
  failuresTotal: number;
  failuresSince: string;
  recovered: { restarted: number; failed: number };
}

export interface OverloadSection {
  /** Null when the resources could not be read (nothing is paused or resumed then). */
  overloaded: boolean | null;
  reasons: string[];
  /** Campaign sync schedules paused by this run. */
  paused: string[];
  /** Schedules health had paused, unpaused by this run. */
  resumed: string[];
  /** Paused schedules left alone because a person (not health) paused them. */
  keptPaused: string[];
  error?: string;
}

export type AlertKind = 'status' | 'stuck-sync' | 'overload-paused' | 'overload-resumed';

export interface HealthAlert {
  kind: AlertKind;
  severity: Severity | 'info';
  message: string;
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
  thresholds: HealthThresholds;
  findings: Finding[];
  workers: WorkersSection | CheckError;
  resources: ResourceCheck | CheckError;
  services: ServiceCheck[];
  campaigns: CampaignsSection | CheckError;
  overload: OverloadSection;
  alerts: HealthAlert[];
  webhook?: { sent: boolean; error?: string };
}

// ---------------------------------------------------------------------------------------------
// Evaluation

const MB = 1024 * 1024;

function severityOf(value: number, level: { degraded: number; unhealthy: number }, lowerIsWorse = false) {
  if (lowerIsWorse) {
    if (value <= level.unhealthy) return 'unhealthy' as const;
    if (value <= level.degraded) return 'degraded' as const;
    return undefined;
  }
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

/** Whether the resources reach the overload thresholds, and which. */
export function overloadOf(
  resources: ResourceCheck,
  t: HealthThresholds,
): { overloaded: boolean; reasons: string[] } {
  const o = t.overload;
  const reasons: string[] = [];
  const rssMb = resources.memory.rssBytes / MB;
  const loadPerCpu = resources.loadAverage[0] / Math.max(1, resources.cpus);
  const freeRatio = resources.memory.freeBytes / Math.max(1, resources.memory.totalBytes);
  if (rssMb >= o.rssMb) reasons.push(`worker memory ${rssMb.toFixed(0)} MB >= ${o.rssMb} MB`);
  if (loadPerCpu >= o.loadPerCpu) reasons.push(`load ${loadPerCpu.toFixed(2)} per CPU >= ${o.loadPerCpu}`);
  if (freeRatio <= o.freeMemoryRatio)
    reasons.push(`free memory ${(freeRatio * 100).toFixed(1)}% <= ${(o.freeMemoryRatio * 100).toFixed(1)}%`);
  if (resources.eventLoopDelayMs.p99 >= o.eventLoopDelayMs)
    reasons.push(
      `event-loop delay p99 ${resources.eventLoopDelayMs.p99.toFixed(0)} ms >= ${o.eventLoopDelayMs} ms`,
    );
  return { overloaded: reasons.length > 0, reasons };
}

export interface HealthEvaluation {
  findings: Finding[];
  workers: WorkersSection | CheckError;
  campaigns: CampaignsSection | CheckError;
  /** Null when the resources could not be read. */
  overload: { overloaded: boolean; reasons: string[] } | null;
}

/**
 * Judges a snapshot against thresholds: the findings (each with its severity), the stuck syncs
 * with the action each gets, and whether the worker is overloaded. Pure and deterministic: the
 * workflow runs it, and unit tests drive it directly. `now` is when the campaigns were scanned.
 */
export function evaluateHealth(
  snapshot: HealthSnapshot,
  t: HealthThresholds,
  opts: { recover: boolean },
): HealthEvaluation {
  const findings: Finding[] = [];
  const add = (area: HealthArea, severity: Severity | undefined, message: string) => {
    if (severity) findings.push({ area, severity, message });
  };

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

  // Resources of the worker that ran the check.
  let overload: HealthEvaluation['overload'] = null;
  if (isCheckError(snapshot.resources)) {
    add('resources', 'degraded', `resources could not be checked: ${snapshot.resources.error}`);
  } else {
    const r = snapshot.resources;
    const rssMb = r.memory.rssBytes / MB;
    const heapRatio = r.memory.heapUsedBytes / Math.max(1, r.memory.heapLimitBytes);
    const loadPerCpu = r.loadAverage[0] / Math.max(1, r.cpus);
    const freeRatio = r.memory.freeBytes / Math.max(1, r.memory.totalBytes);
    add('resources', severityOf(rssMb, t.rssMb), `worker memory (RSS) ${rssMb.toFixed(0)} MB`);
    add(
      'resources',
      severityOf(heapRatio, t.heapUsedRatio),
      `heap ${(heapRatio * 100).toFixed(0)}% of its limit`,
    );
    add(
      'resources',
      severityOf(loadPerCpu, t.loadPerCpu),
      `load ${loadPerCpu.toFixed(2)} per CPU (${r.cpus} CPUs)`,
    );
    add(
      'resources',
      severityOf(freeRatio, t.freeMemoryRatio, true),
      `free memory ${(freeRatio * 100).toFixed(1)}% of ${(r.memory.totalBytes / MB).toFixed(0)} MB`,
    );
    add(
      'resources',
      severityOf(r.eventLoopDelayMs.p99, t.eventLoopDelayMs),
      `event-loop delay p99 ${r.eventLoopDelayMs.p99.toFixed(0)} ms`,
    );
    overload = overloadOf(r, t);
  }

  // Services: reachable, and answering in time.
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
  }

  // Campaigns: stuck syncs, long-held locks, recent failures.
  let campaigns: CampaignsSection | CheckError;
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
    const running = scan.running.map((sync) => {
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
        ...decideRecovery(sync, { recover: opts.recover, authRefused, noWorker }),
      });
      return { ...sync, state: 'stuck' as const };
    });
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
    };
  }
  return { findings, workers, campaigns, overload };
}

/**
 * What to do with a stuck sync. A restart is a new run of the stuck run's own input (see
 * docs/design.md, "Health"); it is not tried when it cannot help: the sync was restarted by health
 * already, a provider refuses the credentials (fail it with the reason), or no worker polls a queue
 * it needs, or its progress cannot be read (report it).
 */
export function decideRecovery(
  sync: RunningSyncInfo,
  ctx: { recover: boolean; authRefused: Map<string, string>; noWorker: string[] },
): { action: StuckAction; why: string } {
  if (!ctx.recover) return { action: 'report', why: 'recovery is off for this run' };
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
 * The alerts a report raises: a status change (to degraded or unhealthy, or back to healthy), each
 * stuck sync, and overload pauses and resumes. A status that stays the same raises no new alert
 * (the log and the status metric show it at every run), so a webhook is not flooded every minute.
 */
export function healthAlerts(report: Omit<HealthReport, 'alerts'>): HealthAlert[] {
  const alerts: HealthAlert[] = [];
  const previous = report.previousStatus;
  if (report.status !== previous && !(report.status === 'healthy' && previous === undefined)) {
    const top = report.findings
      .slice()
      .sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'unhealthy' ? -1 : 1))
      .slice(0, 5)
      .map((f) => f.message);
    alerts.push({
      kind: 'status',
      severity: report.status === 'healthy' ? 'info' : report.status,
      message:
        report.status === 'healthy'
          ? `campaign-sync is healthy again (score ${report.score}; was ${previous})`
          : `campaign-sync is ${report.status} (score ${report.score}${previous ? `; was ${previous}` : ''}): ${top.join('; ')}`,
    });
  }
  if (!isCheckError(report.campaigns)) {
    for (const s of report.campaigns.stuck) {
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
