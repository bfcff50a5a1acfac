import type { Command } from 'commander';
import { act, type CliContext } from './cli-context';
import { duration, integer } from './cli-values';
import { valueOption } from './sync-options';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type Client,
  type ScheduleOptionsStartWorkflowAction,
} from '@temporalio/client';
import { DURATION_PATTERN, parseDuration } from '../shared/duration';
import { InvalidInputError } from '../shared/errors';
import {
  formatMs,
  HealthInputSchema,
  isCheckError,
  unpolledAdvice,
  type HealthInput,
  type HealthReport,
} from '../shared/health';
import { healthScheduleId, manualHealthWorkflowId, WORKFLOW_TYPES } from '../shared/names';
import { describeZodIssues } from '../shared/sync-types';
import { EXIT } from './errors';
import { ago, markStatus, plain, whenAndAge, type Emphasis } from './present';
import { queryString } from './system';

/** A health run that cannot finish (say, no worker polls its queue) times out instead of blocking the schedule. */
export const HEALTH_RUN_TIMEOUT = '10 minutes';

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
  const policies = { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' as const };
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

// ---------------------------------------------------------------------------------------------
// Formatting

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MB`;
}

/**
 * A health report for people: times in local time with their age (as of the check), UNHEALTHY,
 * DEGRADED, DOWN, STUCK, OVERDUE... marked by `emphasis`.
 */
export function formatHealthReport(r: HealthReport, emphasis: Emphasis = plain): string {
  const now = r.checkedAt;
  const t = r.statusTrend;
  const mark = (status: string) => markStatus(status, emphasis);
  const lines = [
    `Health: ${mark(r.status.toUpperCase())} (score ${r.score}) at ${whenAndAge(r.checkedAt, new Date())}` +
      `${r.previousStatus ? `, previously ${r.previousStatus}` : ''} — run ${r.workflowId} (${r.trigger}, ${formatMs(r.durationMs)})`,
    `  ${t.streak} check${t.streak === 1 ? '' : 's'} in a row ${r.status}; alerts announce a status after ${t.alertAfterRuns}` +
      ` (announced: ${t.announced}${t.changedFrom ? `, changed from ${t.changedFrom} now` : ''})`,
  ];
  if (r.findings.length > 0) {
    lines.push('Findings:');
    for (const f of r.findings) lines.push(`  [${f.severity}] ${f.area}: ${f.message}`);
  }
  lines.push('Workers:');
  if (isCheckError(r.workers)) lines.push(`  not checked: ${r.workers.error}`);
  else {
    for (const q of r.workers.queues)
      lines.push(
        `  ${q.taskQueue} (${q.kind} tasks): ${q.pollers} poller${q.pollers === 1 ? '' : 's'}, last seen ${ago(q.lastSeen, now)}`,
      );
    for (const w of r.workers.workers)
      lines.push(`  worker ${w.identity}: last seen ${ago(w.lastSeen, now)}`);
  }
  if (isCheckError(r.resources)) lines.push(`Resources: not checked: ${r.resources.error}`);
  else {
    const x = r.resources;
    const m = x.memory;
    const s2s = x.scheduleToStartMs;
    lines.push(
      `Resources (worker ${x.pid} on ${x.host}): RSS ${mb(m.rssBytes)}, heap ${mb(m.heapUsedBytes)} of ${mb(m.heapLimitBytes)}, ` +
        `event-loop delay p99 ${x.eventLoopDelayMs.p99} ms (max ${x.eventLoopDelayMs.max} ms over ${formatMs(x.eventLoopDelayMs.sampledMs)}), ` +
        (s2s
          ? s2s.count > 0
            ? `activity schedule-to-start p99 ${formatMs(s2s.p99)}, max ${formatMs(s2s.max)} (${s2s.count} on ${s2s.taskQueue} over ${formatMs(s2s.sampledMs)})`
            : `no activity started on ${s2s.taskQueue} over ${formatMs(s2s.sampledMs)}`
          : 'activity schedule-to-start not measured'),
    );
    lines.push(
      `  host (information, not judged): load ${x.loadAverage.map((l) => l.toFixed(2)).join(' ')} (${x.cpus} CPUs), ` +
        `free memory ${mb(m.freeBytes)} of ${mb(m.totalBytes)}`,
    );
  }
  lines.push('Services:');
  for (const s of r.services)
    lines.push(
      `  ${s.service.padEnd(10)} ${s.ok ? 'ok  ' : mark('DOWN')} ${s.latencyMs === null ? '-' : `${s.latencyMs} ms`}` +
        (s.error ? `  ${s.error}` : ''),
    );
  if (isCheckError(r.campaigns)) lines.push(`Campaigns: not scanned: ${r.campaigns.error}`);
  else {
    const c = r.campaigns;
    lines.push(
      `Campaigns: ${c.running.length + c.runningOmitted} syncs running, ${c.stuck.length} stuck ` +
        `(${c.recovered.restarted} restarted, ${c.recovered.failed} failed), ${c.locks} locks held by other workflows, ` +
        `${c.failuresTotal} failed syncs since ${c.failuresSince}`,
    );
    for (const s of c.running) {
      const p = s.progress;
      lines.push(
        `  ${s.campaign.padEnd(16)} ${s.state.padEnd(8)} ` +
          (s.state === 'unpolled'
            ? `on task queue ${s.taskQueue}, which no worker polls`
            : p
              ? `${p.phase}: pages ${p.pages}, fetched ${p.fetched}, created ${p.created}, updated ${p.updated}, unchanged ${p.unchanged}, failed ${p.failed}` +
                (p.pendingRemovals !== undefined ? `, ${p.pendingRemovals} removals await approval` : '') +
                `; progress ${ago(p.updatedAt, now)}`
              : `progress unknown (${s.progressError ?? 'no answer'})`),
      );
    }
    for (const u of c.unpolled)
      lines.push(
        `  ${mark('UNPOLLED')} ${u.campaign}: run ${u.runId} on task queue ${u.taskQueue}; ${unpolledAdvice(u.campaign, u.taskQueue)}`,
      );
    for (const s of c.stuck)
      lines.push(
        `  ${mark('STUCK')} ${s.campaign}: ${s.reason}; ${s.action} (${s.why}) -> ${s.outcome ?? 'pending'}` +
          (s.newRunId ? ` as run ${s.newRunId}` : '') +
          (s.error ? `: ${s.error}` : ''),
      );
    for (const l of c.longLocks)
      lines.push(
        `  LOCKED ${l.campaign} by ${l.holder ?? l.workflowId} since ${whenAndAge(l.startedAt, now)}`,
      );
    for (const f of c.failures)
      lines.push(
        `  failed ${f.campaign}: ${f.count}, last ${mark(f.last.status)} at ${whenAndAge(f.last.closedAt, now)}${f.last.message ? `: ${f.last.message}` : ''}`,
      );
    if (c.cadenceError) lines.push(`Cadence: not checked: ${c.cadenceError}`);
    else if (c.cadence.length > 0) {
      lines.push('Cadence (last successful sync):');
      for (const e of c.cadence)
        lines.push(
          `  ${e.campaign.padEnd(16)} ${e.overdue ? `${mark('OVERDUE')} ` : 'on time '} ` +
            `last success ${e.lastSuccessAt ? whenAndAge(e.lastSuccessAt, now) : 'none'}, ` +
            (e.source === 'schedule'
              ? `every ${formatMs(e.intervalMs ?? 0)} (${e.scheduleId})`
              : 'no schedule (HEALTH_SYNC_OVERDUE_AFTER)') +
            `, overdue after ${formatMs(e.overdueAfterMs)}`,
        );
    }
  }
  const o = r.overload;
  lines.push(
    `Overload: ${o.overloaded === null ? 'unknown' : o.overloaded ? `YES (${o.reasons.join('; ')})` : 'no'}` +
      (o.overloaded && !o.pauseOnOverload ? '; schedules not paused (HEALTH_PAUSE_ON_OVERLOAD is off)' : '') +
      (o.paused.length ? `; paused ${o.paused.join(', ')}` : '') +
      (o.resumed.length ? `; resumed ${o.resumed.join(', ')}` : '') +
      (o.keptPaused.length
        ? `; changed by a person since health paused them, left alone: ${o.keptPaused.join(', ')}`
        : '') +
      (o.held.length ? `; held paused by health: ${o.held.join(', ')}` : '') +
      (o.error ? `; ${o.error}` : ''),
  );
  if (r.alerts.length > 0) {
    lines.push('Alerts:');
    for (const a of r.alerts) lines.push(`  [${a.severity}] ${a.kind}: ${a.message}`);
    if (r.webhook)
      lines.push(
        `  webhook: ${r.webhook.sent ? 'sent' : `not sent${r.webhook.error ? `: ${r.webhook.error}` : ''}`}`,
      );
  }
  return lines.join('\n');
}

/** The trend of several reports, newest first: one line each. */
export function formatHealthTrend(reports: HealthReport[], emphasis: Emphasis = plain): string {
  const lines = [`Trend (last ${reports.length}, newest first):`];
  for (const r of reports) {
    const c = isCheckError(r.campaigns) ? undefined : r.campaigns;
    lines.push(
      `  ${whenAndAge(r.checkedAt)}  ${markStatus(r.status, emphasis)}${' '.repeat(Math.max(0, 9 - r.status.length))} ${String(r.score).padStart(3)}  findings ${r.findings.length}` +
        (c ? `, running ${c.running.length + c.runningOmitted}, stuck ${c.stuck.length}` : '') +
        (c && c.cadence.some((e) => e.overdue)
          ? `, overdue ${c.cadence.filter((e) => e.overdue).length}`
          : '') +
        (r.overload.overloaded ? ', OVERLOADED' : ''),
    );
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------
// CLI: health [--json] [--last N] | health run [--json] | health install [--every 1m]

/** `health [--last N]`, `health run`, `health install [--every 5m]`, each with `--json`. */
export function registerHealthCommands(program: Command, ctx: CliContext): void {
  const { out } = ctx;
  const health = program
    .command('health')
    .description(
      'the latest health report and the trend of the last N; run a check now; install its schedule',
    )
    .addOption(
      valueOption('--last <n>', 'reports in the trend, 1 to 100 (default: 10)', integer('--last', 1, 100)),
    )
    .option('--json', 'print the latest report and the trend as JSON')
    .addHelpText(
      'after',
      `
Exit codes (for cron and monitors): 0 the latest report is healthy or degraded; 1 it is UNHEALTHY;
4 there is no report yet; 2 invalid input. 'health run' exits likewise for the check it runs.`,
    )
    .action(
      act(ctx, async (opts: { last?: number }) => {
        const taskQueue = ctx.taskQueue();
        const reports = await recentHealthReports(await ctx.connect(), { taskQueue, last: opts.last ?? 10 });
        if (reports.length === 0) {
          out.err(
            `No health report on task queue ${taskQueue} yet. Run one with 'campaign-sync health run', ` +
              `or install the schedule with 'campaign-sync health install'.`,
          );
          return EXIT.notFound;
        }
        out.result(
          { latest: reports[0] ?? null, trend: reports.map(trendEntry) },
          `${formatHealthReport(reports[0]!, ctx.emphasis)}\n\n${formatHealthTrend(reports, ctx.emphasis)}`,
        );
        return reports[0]!.status === 'unhealthy' ? EXIT.failed : EXIT.ok;
      }),
    );
  health
    .command('run')
    .description('run a health check now and print its report (exit 1 when unhealthy)')
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      `
Exit codes (for cron and monitors): 0 healthy or degraded; 1 UNHEALTHY; 2 invalid input.`,
    )
    .action(
      act(ctx, async () => {
        const report = await runHealthNow(await ctx.connect(), { taskQueue: ctx.taskQueue() });
        out.result(report, formatHealthReport(report, ctx.emphasis));
        return report.status === 'unhealthy' ? EXIT.failed : EXIT.ok;
      }),
    );
  health
    .command('install')
    .description('install the health schedule, or set its interval (the worker installs it at start too)')
    .addOption(valueOption('--every <duration>', 'interval (default: HEALTH_INTERVAL)', duration('--every')))
    .option('--json', 'print the outcome as JSON')
    .action(
      act(ctx, async (opts: { every?: string }) => {
        const taskQueue = ctx.taskQueue();
        const result = await installHealthSchedule(await ctx.connect(), {
          taskQueue,
          every: opts.every ?? ctx.config().HEALTH_INTERVAL,
        });
        out.result(
          result,
          `Health schedule ${result.scheduleId} ${result.outcome} (every ${result.every}, task queue ${taskQueue}).`,
        );
        return EXIT.ok;
      }),
    );
}

/** One report, cut to a trend line's fields. */
export function trendEntry(r: HealthReport) {
  const c = isCheckError(r.campaigns) ? undefined : r.campaigns;
  return {
    checkedAt: r.checkedAt,
    status: r.status,
    score: r.score,
    findings: r.findings.length,
    workflowId: r.workflowId,
    runId: r.runId,
    ...(c
      ? {
          running: c.running.length + c.runningOmitted,
          stuck: c.stuck.length,
          restarted: c.recovered.restarted,
          failed: c.recovered.failed,
          unpolled: c.unpolled.length,
          overdue: c.cadence.filter((e) => e.overdue).map((e) => e.campaign),
        }
      : {}),
    overloaded: r.overload.overloaded,
  };
}
