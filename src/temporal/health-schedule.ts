/**
 * The health check's schedule and runs, as the worker (which installs the schedule at start) and
 * the CLI (`health install`, `health run`, `health`) both use them.
 */
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import { DURATION_PATTERN, parseDuration } from '../shared/duration';
import { InvalidInputError } from '../shared/errors';
import { HealthInputSchema, type HealthInput, type HealthReport } from '../shared/health';
import { healthScheduleId, manualHealthWorkflowId, WORKFLOW_TYPES } from '../shared/names';
import { describeZodIssues } from '../shared/schemas';
import { queryString } from './system';

/** A health run that cannot finish (say, no worker polls its queue) times out instead of blocking the schedule. */
export const HEALTH_RUN_TIMEOUT = '10m';

type HealthWorkflow = (input: HealthInput) => Promise<HealthReport>;

export interface HealthScheduleResult {
  scheduleId: string;
  every: string;
  /** `created`, `updated` (its interval or action changed), or `unchanged`. */
  outcome: 'created' | 'updated' | 'unchanged';
}

/**
 * The User Metadata summary of a health run (the Web UI's workflow list shows it), so the syncs
 * are easy to tell from the health checks in the list.
 */
export function healthRunSummary(trigger: string): string {
  return `health check (${trigger.startsWith('schedule:') ? 'schedule' : trigger})`;
}

function healthAction(
  taskQueue: string,
  scheduleId: string,
): ScheduleOptionsStartWorkflowAction<HealthWorkflow> {
  return {
    type: 'startWorkflow',
    workflowType: WORKFLOW_TYPES.systemHealth,
    taskQueue,
    // The schedule appends each action's time to this ID.
    workflowId: scheduleId,
    args: [{ trigger: `schedule:${scheduleId}` }],
    workflowExecutionTimeout: HEALTH_RUN_TIMEOUT,
    staticSummary: healthRunSummary('schedule'),
  };
}

/**
 * Installs the health schedule of a task queue (ID `campaign-sync-health`, or
 * `campaign-sync-health-<queue>` for a queue other than the default), idempotently: an existing
 * schedule keeps its ID and its paused state, and gets the interval and action wanted when they
 * differ. Overlap SKIP (a tick while a run is still going is dropped), catch-up window one minute;
 * each run has the summary `health check (schedule)` in the Web UI's list.
 */
export async function installHealthSchedule(
  client: Client,
  opts: { taskQueue: string; every: string },
): Promise<HealthScheduleResult> {
  if (!DURATION_PATTERN.test(opts.every) || parseDuration(opts.every) < 1000)
    throw new InvalidInputError(
      `--every must be a duration of at least 1s, e.g. 30s, 1m or 5m, not '${opts.every}'`,
    );
  const scheduleId = healthScheduleId(opts.taskQueue);
  const everyMs = parseDuration(opts.every);
  const spec = { intervals: [{ every: everyMs }] };
  const action = healthAction(opts.taskQueue, scheduleId);
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1m' as const };
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action,
      policies,
      state: { note: 'campaign-sync health check (installed by campaign-sync health install or the worker)' },
    });
    return { scheduleId, every: opts.every, outcome: 'created' };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(scheduleId);
  const current = await handle.describe();
  const intervals = current.spec.intervals ?? [];
  const same =
    intervals.length === 1 &&
    Number(intervals[0]!.every) === everyMs &&
    (current.spec.calendars ?? []).length === 0 &&
    current.action.workflowType === WORKFLOW_TYPES.systemHealth &&
    current.action.taskQueue === opts.taskQueue &&
    current.action.staticSummary === action.staticSummary &&
    current.policies.overlap === ScheduleOverlapPolicy.SKIP;
  if (same) return { scheduleId, every: opts.every, outcome: 'unchanged' };
  await handle.update<HealthWorkflow>((previous) => ({
    spec,
    action,
    policies,
    state: { paused: previous.state.paused, ...(previous.state.note ? { note: previous.state.note } : {}) },
  }));
  return { scheduleId, every: opts.every, outcome: 'updated' };
}

/** An interval as `health install --every` takes it: `90s`, `5m`, `2h`. */
function formatInterval(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The health schedule of a task queue as it is now, or undefined when there is none. */
export async function describeHealthSchedule(
  client: Client,
  taskQueue: string,
): Promise<{ scheduleId: string; every?: string; paused: boolean; nextRun?: string } | undefined> {
  const scheduleId = healthScheduleId(taskQueue);
  try {
    const d = await client.schedule.getHandle(scheduleId).describe();
    const every = d.spec.intervals?.[0]?.every;
    const next = d.info.nextActionTimes[0];
    return {
      scheduleId,
      ...(every !== undefined ? { every: formatInterval(Number(every)) } : {}),
      paused: d.state.paused,
      ...(next ? { nextRun: next.toISOString() } : {}),
    };
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
}

/**
 * Starts a health run now (workflow ID `<schedule ID>-manual-<time>`, summary `health check (cli)`)
 * and waits for its report.
 */
export async function runHealthNow(
  client: Client,
  opts: { taskQueue: string; input?: HealthInput },
): Promise<HealthReport> {
  const input: HealthInput = { trigger: 'cli', ...opts.input };
  const parsed = HealthInputSchema.safeParse(input);
  if (!parsed.success) {
    const issues = describeZodIssues(parsed.error);
    throw new InvalidInputError(`Invalid health input: ${issues.join('; ')}`, issues);
  }
  const handle = await client.workflow.start<HealthWorkflow>(WORKFLOW_TYPES.systemHealth, {
    taskQueue: opts.taskQueue,
    workflowId: manualHealthWorkflowId(opts.taskQueue, new Date()),
    args: [input],
    workflowExecutionTimeout: HEALTH_RUN_TIMEOUT,
    staticSummary: healthRunSummary(input.trigger ?? 'manual'),
  });
  return handle.result();
}

/**
 * The latest health reports of a task queue, newest first (completed runs, found through
 * visibility, their reports read from their results).
 */
export async function recentHealthReports(
  client: Client,
  opts: { taskQueue: string; last: number },
): Promise<HealthReport[]> {
  const query =
    `WorkflowType = '${WORKFLOW_TYPES.systemHealth}' AND ExecutionStatus = 'Completed' ` +
    `AND TaskQueue = ${queryString(opts.taskQueue)}`;
  const runs: { workflowId: string; runId: string; closedAt: number }[] = [];
  // Visibility lists closed runs newest first; read a little more than asked, then sort to be sure.
  for await (const run of client.workflow.list({ query, pageSize: Math.min(1000, opts.last * 2) })) {
    runs.push({ workflowId: run.workflowId, runId: run.runId, closedAt: run.closeTime?.getTime() ?? 0 });
    if (runs.length >= opts.last * 2) break;
  }
  runs.sort((a, b) => b.closedAt - a.closedAt);
  return Promise.all(
    runs
      .slice(0, opts.last)
      .map((r) => client.workflow.getHandle<HealthWorkflow>(r.workflowId, r.runId).result()),
  );
}
