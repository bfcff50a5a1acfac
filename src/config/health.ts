import { z } from 'zod';
import { DURATION_PATTERN, parseDuration } from '../shared/duration';
import {
  DEFAULT_HEALTH_THRESHOLDS,
  resolveThresholds,
  type HealthThresholdOverrides,
  type HealthThresholds,
} from '../shared/health';

const blankToUndefined = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const duration = blankToUndefined.pipe(
  z
    .string()
    .regex(DURATION_PATTERN, 'must be a duration such as 500ms, 90s, 30m, 2h or 1d')
    .refine((v) => !DURATION_PATTERN.test(v) || parseDuration(v) > 0, 'must be longer than zero')
    .optional(),
);

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

/**
 * The health check's environment variables (README "Configuration"). Thresholds left unset keep
 * their defaults ({@link DEFAULT_HEALTH_THRESHOLDS}); a health run's input may override any of them.
 */
export const HEALTH_ENV = {
  /** Interval of the health schedule, which the worker installs at start and `health install` sets. */
  HEALTH_INTERVAL: z
    .string()
    .trim()
    .regex(DURATION_PATTERN, 'must be a duration such as 30s, 1m or 5m')
    .refine((v) => !DURATION_PATTERN.test(v) || parseDuration(v) >= 1000, 'must be at least 1s')
    .default('1m'),
  /** `on`: the worker installs (or updates) the health schedule at start; `off`: it does not. */
  HEALTH_SCHEDULE: z
    .enum(['on', 'off', 'true', 'false', '1', '0'], { error: "must be 'on' or 'off'" })
    .transform((v) => v === 'on' || v === 'true' || v === '1')
    .default(true),
  /** Alerts are POSTed here as JSON when set. */
  HEALTH_WEBHOOK_URL: blankToUndefined.pipe(z.url().optional()),
  HEALTH_STUCK_NO_PROGRESS_AFTER: duration,
  HEALTH_STUCK_RUNNING_AFTER: duration,
  HEALTH_FAILURE_WINDOW: duration,
  HEALTH_WORKER_STALE_AFTER: duration,
  HEALTH_FAILURES: level,
  HEALTH_RSS_MB: level,
  HEALTH_HEAP_USED_RATIO: level,
  HEALTH_LOAD_PER_CPU: level,
  HEALTH_FREE_MEMORY_RATIO: level,
  HEALTH_EVENT_LOOP_DELAY_MS: level,
  HEALTH_SERVICE_LATENCY_MS: level,
  HEALTH_OVERLOAD_RSS_MB: number,
  HEALTH_OVERLOAD_LOAD_PER_CPU: number,
  HEALTH_OVERLOAD_FREE_MEMORY_RATIO: number,
  HEALTH_OVERLOAD_EVENT_LOOP_DELAY_MS: number,
};

type HealthEnv = z.output<z.ZodObject<typeof HEALTH_ENV>>;

/**
 * The worker's health settings from its configuration: the thresholds (defaults where unset) and
 * the webhook. Throws an Error naming the variables when the thresholds contradict each other
 * (e.g. an unhealthy level below the degraded one).
 */
export function healthSettingsFrom(env: HealthEnv): { thresholds: HealthThresholds; webhookUrl?: string } {
  const overrides: HealthThresholdOverrides = {};
  const set = <K extends keyof HealthThresholdOverrides>(
    key: K,
    value: HealthThresholdOverrides[K] | undefined,
  ) => {
    if (value !== undefined) overrides[key] = value;
  };
  set('stuckNoProgressAfter', env.HEALTH_STUCK_NO_PROGRESS_AFTER);
  set('stuckRunningAfter', env.HEALTH_STUCK_RUNNING_AFTER);
  set('failureWindow', env.HEALTH_FAILURE_WINDOW);
  set('workerStaleAfter', env.HEALTH_WORKER_STALE_AFTER);
  set('failures', env.HEALTH_FAILURES);
  set('rssMb', env.HEALTH_RSS_MB);
  set('heapUsedRatio', env.HEALTH_HEAP_USED_RATIO);
  set('loadPerCpu', env.HEALTH_LOAD_PER_CPU);
  set('freeMemoryRatio', env.HEALTH_FREE_MEMORY_RATIO);
  set('eventLoopDelayMs', env.HEALTH_EVENT_LOOP_DELAY_MS);
  set('serviceLatencyMs', env.HEALTH_SERVICE_LATENCY_MS);
  const overload: NonNullable<HealthThresholdOverrides['overload']> = {};
  if (env.HEALTH_OVERLOAD_RSS_MB !== undefined) overload.rssMb = env.HEALTH_OVERLOAD_RSS_MB;
  if (env.HEALTH_OVERLOAD_LOAD_PER_CPU !== undefined) overload.loadPerCpu = env.HEALTH_OVERLOAD_LOAD_PER_CPU;
  if (env.HEALTH_OVERLOAD_FREE_MEMORY_RATIO !== undefined)
    overload.freeMemoryRatio = env.HEALTH_OVERLOAD_FREE_MEMORY_RATIO;
  if (env.HEALTH_OVERLOAD_EVENT_LOOP_DELAY_MS !== undefined)
    overload.eventLoopDelayMs = env.HEALTH_OVERLOAD_EVENT_LOOP_DELAY_MS;
  if (Object.keys(overload).length > 0) overrides.overload = overload;
  let thresholds: HealthThresholds;
  try {
    thresholds = resolveThresholds(DEFAULT_HEALTH_THRESHOLDS, overrides);
  } catch (err) {
    throw new Error(`HEALTH_* thresholds contradict each other: ${(err as Error).message}`);
  }
  return { thresholds, ...(env.HEALTH_WEBHOOK_URL ? { webhookUrl: env.HEALTH_WEBHOOK_URL } : {}) };
}
