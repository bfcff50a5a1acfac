/**
 * The health check's statuses, thresholds and a run's input (what a person may override).
 */
import { z } from 'zod';
import { durationSchema } from '../duration';

export const HEALTH_STATUSES = ['healthy', 'degraded', 'unhealthy'] as const;
export type HealthStatus = (typeof HEALTH_STATUSES)[number];
export type Severity = Exclude<HealthStatus, 'healthy'>;

/** What a finding of each severity takes off the score (100 = nothing found). */
export const SCORE_PENALTY: Record<Severity, number> = { degraded: 10, unhealthy: 30 };

/** The trigger of a sync health restarted; a restarted sync that is stuck again is not restarted twice. */
export const HEALTH_RESTART_TRIGGER = 'health-restart';

/** A measure's two thresholds: reaching `degraded` degrades, reaching `unhealthy` is unhealthy. */
const levelSchema = () =>
  z
    .object({ degraded: z.number().min(0), unhealthy: z.number().min(0) })
    .strict()
    .refine((l) => l.unhealthy >= l.degraded, { message: 'unhealthy must be at least degraded' });

export const HealthThresholdsSchema = z
  .object({
    /** A running sync whose progress has not moved for this long is stuck. */
    stuckNoProgressAfter: durationSchema('stuckNoProgressAfter', { trim: true }),
    /** A sync (or a lock holder) running longer than this is stuck (a lock holder is reported). */
    stuckRunningAfter: durationSchema('stuckRunningAfter', { trim: true }),
    /** How far back failed syncs count. */
    failureWindow: durationSchema('failureWindow', { trim: true }),
    /** A task queue whose newest poller was last seen longer ago than this degrades. */
    workerStaleAfter: durationSchema('workerStaleAfter', { trim: true }),
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
    syncOverdueAfter: durationSchema('syncOverdueAfter', { trim: true }).optional(),
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
export const HealthThresholdOverridesSchema = HealthThresholdsSchema.extend({
  failures: partialLevel,
  rssMb: partialLevel,
  heapUsedRatio: partialLevel,
  eventLoopDelayMs: partialLevel,
  scheduleToStartMs: partialLevel,
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
