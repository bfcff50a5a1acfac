import type { Command } from 'commander';
import { act, type CliContext } from './cli-context';
import { duration, integer } from './cli-values';
import { valueOption } from './sync-options';
import { formatMs, isCheckError, unpolledAdvice, type HealthReport } from '../shared/health';
import { EXIT } from './errors';
import { markStatus, plain, type Emphasis } from './present';
import { ago, whenAndAge } from '../shared/when';
import { installHealthSchedule, recentHealthReports, runHealthNow } from '../temporal/health-schedule';

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
