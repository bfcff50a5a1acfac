import { z } from 'zod';
import { durationSchema, parseDuration } from '../shared/duration';
import {
  DEFAULT_HEALTH_THRESHOLDS,
  resolveThresholds,
  type HealthSettings,
  type HealthThresholdOverrides,
  type HealthThresholds,
} from '../shared/health';

const blankToUndefined = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const duration = blankToUndefined.pipe(durationSchema().optional());

/** `degraded,unhealthy`, e.g. `1024,2048`. */
const level = blankToUndefined.pipe(
  z
    .string()
    .regex(/^\d+(\.\d+)?\s*,\s*\d+(\.\d+)?$/, 'must be two numbers "degraded,unhealthy", e.g. 1024,2048')
    .transform((v) => {
      const [degraded, unhealthy] = v.split(',').map((n) => Number(n.trim()));
      return { degraded: degraded!, unhealthy: unhealthy! };
    })
    .optional(),
);

const number = blankToUndefined.pipe(
  z
    .string()
    .regex(/^\d+(\.\d+)?$/, 'must be a number, e.g. 4 or 0.03')
    .transform(Number)
    .optional(),
);

/** A whole number of at least 1 (`0` would announce every flap, the very thing it prevents). */
const integer = blankToUndefined.pipe(
  z
    .string()
    .regex(/^[1-9]\d*$/, 'must be a whole number of at least 1, e.g. 2')
    .transform(Number)
    .optional(),
);

/** `on` or `off` (also `true`/`false`, `1`/`0`). */
const onOff = (fallback: boolean) =>
  z
    .enum(['on', 'off', 'true', 'false', '1', '0'], { error: "must be 'on' or 'off'" })
    .transform((v) => v === 'on' || v === 'true' || v === '1')
    .default(fallback);

/** How often the health schedule runs by default: 288 runs a day, so the syncs stay easy to find in the Web UI. */
export const DEFAULT_HEALTH_INTERVAL = '5m';

/**
 * The health check's environment variables (docs/configuration.md, "Health check settings").
 * Thresholds left unset keep their defaults ({@link DEFAULT_HEALTH_THRESHOLDS}, listed as text in
 * {@link HEALTH_ENV_DEFAULTS}); a health run's input may override any of them.
 */
export const HEALTH_ENV = {
  /** Interval of the health schedule, which the worker installs at start and `health install` sets. */
  HEALTH_INTERVAL: durationSchema(undefined, { minMs: 1000, examples: '30s, 1m or 5m', trim: true }).default(
    DEFAULT_HEALTH_INTERVAL,
  ),
  /** `on`: the worker installs (or updates) the health schedule at start; `off`: it does not. */
  HEALTH_SCHEDULE: onOff(true),
  /** Alerts are POSTed here as JSON when set. */
  HEALTH_WEBHOOK_URL: blankToUndefined.pipe(z.url().optional()),
  /** `on`: an overloaded worker pauses the task queue's campaign sync schedules (resumed after). Default off. */
  HEALTH_PAUSE_ON_OVERLOAD: onOff(false),
  HEALTH_STATUS_ALERT_AFTER: integer,
  HEALTH_SYNC_OVERDUE_AFTER: duration,
  HEALTH_STUCK_NO_PROGRESS_AFTER: duration,
  HEALTH_STUCK_RUNNING_AFTER: duration,
  HEALTH_FAILURE_WINDOW: duration,
  HEALTH_WORKER_STALE_AFTER: duration,
  HEALTH_FAILURES: level,
  HEALTH_RSS_MB: level,
  HEALTH_HEAP_USED_RATIO: level,
  HEALTH_EVENT_LOOP_DELAY_MS: level,
  HEALTH_SCHEDULE_TO_START_MS: level,
  HEALTH_SERVICE_LATENCY_MS: level,
  HEALTH_OVERLOAD_RSS_MB: number,
  HEALTH_OVERLOAD_HEAP_USED_RATIO: number,
  HEALTH_OVERLOAD_EVENT_LOOP_DELAY_MS: number,
  HEALTH_OVERLOAD_SCHEDULE_TO_START_MS: number,
};

const level2 = (l: { degraded: number; unhealthy: number }) => `${l.degraded},${l.unhealthy}`;
const T = DEFAULT_HEALTH_THRESHOLDS;

/**
 * The defaults of the HEALTH_* variables that have no zod default (the thresholds), as the
 * variables take them: `config check` shows these for unset variables.
 */
export const HEALTH_ENV_DEFAULTS: Record<string, string> = {
  HEALTH_STATUS_ALERT_AFTER: String(T.statusAlertAfterRuns),
  HEALTH_STUCK_NO_PROGRESS_AFTER: T.stuckNoProgressAfter,
  HEALTH_STUCK_RUNNING_AFTER: T.stuckRunningAfter,
  HEALTH_FAILURE_WINDOW: T.failureWindow,
  HEALTH_WORKER_STALE_AFTER: T.workerStaleAfter,
  HEALTH_FAILURES: level2(T.failures),
  HEALTH_RSS_MB: level2(T.rssMb),
  HEALTH_HEAP_USED_RATIO: level2(T.heapUsedRatio),
  HEALTH_EVENT_LOOP_DELAY_MS: level2(T.eventLoopDelayMs),
  HEALTH_SCHEDULE_TO_START_MS: level2(T.scheduleToStartMs),
  HEALTH_SERVICE_LATENCY_MS: level2(T.serviceLatencyMs),
  HEALTH_OVERLOAD_RSS_MB: String(T.overload.rssMb),
  HEALTH_OVERLOAD_HEAP_USED_RATIO: String(T.overload.heapUsedRatio),
  HEALTH_OVERLOAD_EVENT_LOOP_DELAY_MS: String(T.overload.eventLoopDelayMs),
  HEALTH_OVERLOAD_SCHEDULE_TO_START_MS: String(T.overload.scheduleToStartMs),
};

type HealthEnv = z.output<z.ZodObject<typeof HEALTH_ENV>>;

/**
 * The worker's health settings from its configuration: the thresholds (defaults where unset), the
 * webhook, whether overloads pause schedules, and the interval. Throws an Error naming the
 * variables when the thresholds contradict each other (e.g. an unhealthy level below the degraded one).
 */
export function healthSettingsFrom(env: HealthEnv): HealthSettings {
  const overload = definedOnly({
    rssMb: env.HEALTH_OVERLOAD_RSS_MB,
    heapUsedRatio: env.HEALTH_OVERLOAD_HEAP_USED_RATIO,
    eventLoopDelayMs: env.HEALTH_OVERLOAD_EVENT_LOOP_DELAY_MS,
    scheduleToStartMs: env.HEALTH_OVERLOAD_SCHEDULE_TO_START_MS,
  });
  const overrides: HealthThresholdOverrides = definedOnly({
    statusAlertAfterRuns: env.HEALTH_STATUS_ALERT_AFTER,
    syncOverdueAfter: env.HEALTH_SYNC_OVERDUE_AFTER,
    stuckNoProgressAfter: env.HEALTH_STUCK_NO_PROGRESS_AFTER,
    stuckRunningAfter: env.HEALTH_STUCK_RUNNING_AFTER,
    failureWindow: env.HEALTH_FAILURE_WINDOW,
    workerStaleAfter: env.HEALTH_WORKER_STALE_AFTER,
    failures: env.HEALTH_FAILURES,
    rssMb: env.HEALTH_RSS_MB,
    heapUsedRatio: env.HEALTH_HEAP_USED_RATIO,
    eventLoopDelayMs: env.HEALTH_EVENT_LOOP_DELAY_MS,
    scheduleToStartMs: env.HEALTH_SCHEDULE_TO_START_MS,
    serviceLatencyMs: env.HEALTH_SERVICE_LATENCY_MS,
    overload: Object.keys(overload).length > 0 ? overload : undefined,
  });
  let thresholds: HealthThresholds;
  try {
    thresholds = resolveThresholds(DEFAULT_HEALTH_THRESHOLDS, overrides);
  } catch (err) {
    throw new Error(`HEALTH_* thresholds contradict each other: ${(err as Error).message}`);
  }
  return {
    thresholds,
    ...(env.HEALTH_WEBHOOK_URL ? { webhookUrl: env.HEALTH_WEBHOOK_URL } : {}),
    pauseOnOverload: env.HEALTH_PAUSE_ON_OVERLOAD,
    intervalMs: parseDuration(env.HEALTH_INTERVAL),
  };
}

/** `values` without its undefined entries (the variables that are not set). */
function definedOnly<T extends Record<string, unknown>>(
  values: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
