import type { Command } from 'commander';
import { act, type CliContext } from './cli-context';
import type { Client } from '@temporalio/client';
import {
  summarizeWorkers,
  unpolledAdvice,
  type CampaignFailures,
  type LockRunInfo,
  type RunningSyncInfo,
  type WorkersSection,
} from '../shared/health';
import { EXIT } from './errors';
import { markStatus, plain, type Emphasis } from './present';
import { ago, whenAndAge } from '../shared/when';
import { describeHealthSchedule, recentHealthReports } from '../temporal/health-schedule';
import {
  deploymentQueues,
  describePollers,
  listRecentFailures,
  listRunningSyncs,
  listCampaignSyncSchedules,
  type SyncScheduleInfo,
} from '../temporal/system';

/** How far back `status` lists failed syncs. */
const FAILURES_SINCE_MS = 24 * 3_600_000;

export interface SystemStatus {
  checkedAt: string;
  taskQueue: string;
  /**
   * What needs a person now: running syncs on a task queue that no worker polls,
   * which hold their campaign's lock and cannot go on or act on a cancellation.
   */
  problems: string[];
  workers: WorkersSection;
  /** Every running sync, whatever its task queue, with live progress. */
  running: RunningSyncInfo[];
  runningOmitted: number;
  /** Campaign locks held by other workflows (transitions, creates). */
  locks: LockRunInfo[];
  schedules: SyncScheduleInfo[];
  healthSchedule: { scheduleId: string; every?: string; paused: boolean; nextRun?: string } | null;
  /** The latest health report, in brief. */
  lastHealth: {
    status: string;
    score: number;
    checkedAt: string;
    workflowId: string;
    findings: string[];
  } | null;
  failures: { since: string; total: number; byCampaign: CampaignFailures[] };
}

/**
 * The whole system at a glance, for one deployment (task queue): workers polling its queues, the
 * running syncs with their progress, campaign sync schedules, the health schedule and the last
 * health report, and the syncs that failed in the last 24 hours.
 */
export async function systemStatus(client: Client, taskQueue: string): Promise<SystemStatus> {
  const since = new Date(Date.now() - FAILURES_SINCE_MS);
  const [pollers, runs, schedules, healthSchedule, reports, failures] = await Promise.all([
    describePollers(client, deploymentQueues(taskQueue)),
    // Every queue: a sync started on a queue no worker polls holds its lock all the same (and is
    // not queried: nothing would answer).
    listRunningSyncs(client, { queryTimeoutMs: 3000, checkPollers: true }),
    listCampaignSyncSchedules(client),
    describeHealthSchedule(client, taskQueue),
    recentHealthReports(client, { taskQueue, last: 1 }),
    listRecentFailures(client, { since, taskQueue, limit: 20 }),
  ]);
  const last = reports[0];
  return {
    checkedAt: new Date().toISOString(),
    taskQueue,
    problems: unpolledRuns(runs.running),
    workers: summarizeWorkers({ checkedAt: new Date().toISOString(), queues: pollers }),
    running: runs.running,
    runningOmitted: runs.runningOmitted,
    locks: runs.locks,
    schedules,
    healthSchedule: healthSchedule ?? null,
    lastHealth: last
      ? {
          status: last.status,
          score: last.score,
          checkedAt: last.checkedAt,
          workflowId: last.workflowId,
          findings: last.findings.map((f) => `${f.severity}: ${f.message}`),
        }
      : null,
    failures: { since: since.toISOString(), total: failures.total, byCampaign: failures.failures },
  };
}

/** The running syncs whose task queue no worker polls, each said with what to do. */
function unpolledRuns(running: RunningSyncInfo[]): string[] {
  return running
    .filter((r) => r.taskQueuePolled === false)
    .map(
      (r) =>
        `${r.workflowId} (campaign ${r.campaign}) runs on task queue ${r.taskQueue}, which no worker polls: it holds the ` +
        `campaign's lock and cannot go on or be cancelled; ${unpolledAdvice(r.campaign, r.taskQueue)}.`,
    );
}

/**
 * What `status` shows that needs a person now, each said once (exit 1 when any): a problem listed,
 * a task queue of the deployment no worker polls, the last health report UNHEALTHY.
 */
export function statusAlarms(s: SystemStatus): string[] {
  return [
    ...(s.problems.length > 0
      ? [`${s.problems.length} problem${s.problems.length === 1 ? '' : 's'} listed under PROBLEMS`]
      : []),
    ...s.workers.queues
      .filter((q) => q.pollers === 0)
      .map((q) => `no worker polls task queue ${q.taskQueue} (${q.kind} tasks)`),
    ...(s.lastHealth?.status === 'unhealthy'
      ? [`the last health report is UNHEALTHY ('campaign-sync health' shows it)`]
      : []),
  ];
}

/** The status for people: times in local time with their age, what needs a person emphasised. */
export function formatSystemStatus(s: SystemStatus, emphasis: Emphasis = plain): string {
  const now = s.checkedAt;
  const lines = [`campaign-sync status at ${whenAndAge(s.checkedAt, now)} (task queue ${s.taskQueue})`];
  if (s.problems.length > 0) {
    lines.push('', `${emphasis('PROBLEMS')}: ${s.problems.length}`);
    for (const p of s.problems) lines.push(`  ${p}`);
  }
  lines.push('', 'Workers:');
  for (const q of s.workers.queues)
    lines.push(
      `  ${q.taskQueue} (${q.kind} tasks): ${q.pollers === 0 ? emphasis('NO WORKER') : `${q.pollers} poller${q.pollers === 1 ? '' : 's'}`}, last seen ${ago(q.lastSeen, now)}`,
    );
  for (const w of s.workers.workers) lines.push(`  ${w.identity}: last seen ${ago(w.lastSeen, now)}`);

  lines.push('', `Running syncs: ${s.running.length + s.runningOmitted}`);
  for (const r of s.running) {
    const p = r.progress;
    lines.push(
      `  ${r.campaign.padEnd(16)} started ${whenAndAge(r.startedAt, now)} by ${r.trigger ?? '?'}` +
        `${r.taskQueue !== s.taskQueue ? ` on task queue ${r.taskQueue}` : ''}: ` +
        (p
          ? `${p.phase}, pages ${p.pages}, fetched ${p.fetched}, created ${p.created}, updated ${p.updated}, unchanged ${p.unchanged}, failed ${p.failed}; progress ${ago(p.updatedAt, now)}`
          : `progress unknown (${r.progressError ?? 'no answer'})`),
    );
  }
  if (s.runningOmitted > 0) lines.push(`  ... and ${s.runningOmitted} more`);
  for (const l of s.locks)
    lines.push(
      `  ${l.campaign.padEnd(16)} locked by ${l.holder ?? l.workflowId} since ${whenAndAge(l.startedAt, now)}`,
    );

  lines.push('', `Schedules: ${s.schedules.length} campaign sync schedules`);
  for (const sc of s.schedules)
    lines.push(
      `  ${sc.scheduleId}: ${sc.paused ? `PAUSED${sc.pausedByHealth ? ' by health (overload)' : ''}${sc.note ? ` (${sc.note})` : ''}` : 'active'}` +
        `${sc.nextRun && !sc.paused ? `, next run ${whenAndAge(sc.nextRun, now)}` : ''}${sc.lastRun ? `, last run ${whenAndAge(sc.lastRun, now)}` : ''}`,
    );
  lines.push(
    s.healthSchedule
      ? `  ${s.healthSchedule.scheduleId} (health): ${s.healthSchedule.paused ? 'PAUSED' : 'active'}, every ${s.healthSchedule.every ?? '?'}` +
          `${s.healthSchedule.nextRun ? `, next run ${whenAndAge(s.healthSchedule.nextRun, now)}` : ''}`
      : `  no health schedule: install it with 'campaign-sync health install'`,
  );

  lines.push('', 'Last health report:');
  if (!s.lastHealth) lines.push('  none yet');
  else {
    lines.push(
      `  ${markStatus(s.lastHealth.status.toUpperCase(), emphasis)} (score ${s.lastHealth.score}) at ${whenAndAge(s.lastHealth.checkedAt, now)}, run ${s.lastHealth.workflowId}`,
    );
    for (const f of s.lastHealth.findings.slice(0, 10)) lines.push(`    ${f}`);
  }

  lines.push('', `Failed syncs since ${whenAndAge(s.failures.since, now)}: ${s.failures.total}`);
  for (const f of s.failures.byCampaign)
    lines.push(
      `  ${f.campaign.padEnd(16)} ${f.count}x, last ${markStatus(f.last.status, emphasis)} at ${whenAndAge(f.last.closedAt, now)}${f.last.message ? `: ${f.last.message}` : ''}`,
    );
  return lines.join('\n');
}

const STATUS_EXIT_HELP = `
Exit codes (for cron and monitors): 0 nothing needs a person; 1 something does: a problem listed
under PROBLEMS, a task queue no worker polls, or the last health report UNHEALTHY (failed syncs of
the last 24 hours alone do not: health judges them); 2 invalid input or configuration.`;

/** CLI: `status [--json]`. */
export function registerStatusCommand(program: Command, ctx: CliContext): void {
  program
    .command('status')
    .description(
      'the whole system at a glance: workers polling the task queues, running syncs with progress, schedules, ' +
        'the last health report, failed syncs of the last 24 hours',
    )
    .option('--json', 'print it as JSON')
    .addHelpText('after', STATUS_EXIT_HELP)
    .action(
      act(ctx, async () => {
        const status = await systemStatus(await ctx.connect(), ctx.taskQueue());
        ctx.out.result(status, formatSystemStatus(status, ctx.emphasis));
        const alarms = statusAlarms(status);
        if (alarms.length === 0) return EXIT.ok;
        ctx.out.err(`Needs attention (exit 1): ${alarms.join('; ')}.`);
        return EXIT.failed;
      }),
    );
}
