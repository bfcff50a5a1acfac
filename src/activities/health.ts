import { cpus, freemem, hostname, loadavg, totalmem } from 'node:os';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapStatistics } from 'node:v8';
import { ApplicationFailure, Context, heartbeat } from '@temporalio/activity';
import { ScheduleNotFoundError, type Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { SyncAlreadyRunningError } from '../temporal/errors';
import { startSync } from '../temporal/sync-start';
import {
  campaignHasSyncRuns,
  deploymentQueues,
  describePollers,
  lastSuccessfulSync,
  listRecentFailures,
  listRunningSyncs,
  listSyncScheduleSummaries,
  pauseSchedulesForHealth,
  queryString,
  resumeSchedulesHeldByHealth,
} from '../temporal/system';
import { DURATION_PATTERN, parseDuration } from '../shared/duration';
import {
  DEFAULT_HEALTH_THRESHOLDS,
  HEALTH_RESTART_TRIGGER,
  HEALTH_STATUSES,
  type CadenceCheck,
  type CadenceFacts,
  type CampaignScan,
  type HealthAlert,
  type HealthReport,
  type HealthStatus,
  type HealthThresholds,
  type HeldPause,
  type PreviousReport,
  type ResourceCheck,
  type ServiceCheck,
  type ServiceName,
  type WorkersCheck,
} from '../shared/health';
import { campaignFromWorkflowId, WORKFLOW_TYPES } from '../shared/names';
import { HEALTH_STATUS, SEARCH_ATTRIBUTES, SYNC_TRIGGER } from '../shared/search-attributes';
import type { SyncInput } from '../shared/sync-types';
import { requireTemporalClient, type ActivityDeps } from './deps';
import { postWebhook } from './webhook';
import { takeScheduleToStart } from './schedule-latency';

/** What the health workflow learns before checking: the worker's settings and the previous reports. */
export interface HealthContext {
  thresholds: HealthThresholds;
  webhookConfigured: boolean;
  /** HEALTH_PAUSE_ON_OVERLOAD: the default of the run's `pauseOnOverload`. */
  pauseOnOverload: boolean;
  /** HEALTH_INTERVAL, ms, when known. */
  intervalMs?: number;
  /** The latest completed report of the task queue, with what it carries for this one. */
  previous?: PreviousReport;
  /** The statuses of the latest completed runs of the task queue, newest first (their HealthStatus). */
  recentStatuses: HealthStatus[];
}

export interface RecoverStuckSyncInput {
  campaign: string;
  workflowId: string;
  runId: string;
  action: 'restart' | 'fail';
  /** Why it is stuck, and why this action: both go into the termination reason. */
  reason: string;
  why: string;
}

export interface RecoverStuckSyncResult {
  outcome: 'restarted' | 'failed' | 'closed-meanwhile' | 'lock-taken';
  newRunId?: string;
  /** Who took the lock first, for `lock-taken`. */
  holder?: string;
}

/** The JSON body of a webhook alert. No personal data: campaign codes, IDs and counts only. */
export interface HealthWebhookPayload {
  source: 'campaign-sync';
  kind: 'health-alert';
  status: HealthStatus;
  score: number;
  checkedAt: string;
  taskQueue: string;
  workflowId: string;
  runId: string;
  alerts: HealthAlert[];
  findings: string[];
}

/** How many recent health runs the context reads (statuses for the alert hysteresis, the previous report). */
const RECENT_RUNS = 20;

/** How far back the cadence check looks for unscheduled campaigns' runs the first time (the setting is new). */
const SETTING_DISCOVERY_MS = 7 * 86_400_000;

/** Runs read at most when discovering unscheduled campaigns. */
const SETTING_DISCOVERY_RUNS = 1000;

/** How long a cancelled stuck sync gets to close before it is terminated. */
const CANCEL_GRACE_MS = 60_000;

// One event-loop delay monitor per worker process, started at the first check. Each check reads
// what it measured since the previous one (at least a short sample), then starts over.
let loopMonitor: IntervalHistogram | undefined;
let loopSince = 0;
const MIN_SAMPLE_MS = 500;

async function eventLoopDelay(): Promise<ResourceCheck['eventLoopDelayMs']> {
  if (!loopMonitor) {
    loopMonitor = monitorEventLoopDelay({ resolution: 10 });
    loopMonitor.enable();
    loopSince = Date.now();
  }
  const elapsed = Date.now() - loopSince;
  if (elapsed < MIN_SAMPLE_MS) await sleep(MIN_SAMPLE_MS - elapsed);
  const h = loopMonitor;
  const ms = (ns: number) => (Number.isFinite(ns) ? Math.round((ns / 1e6) * 100) / 100 : 0);
  const result = {
    mean: ms(h.mean),
    p50: ms(h.percentile(50)),
    p99: ms(h.percentile(99)),
    max: ms(h.max),
    sampledMs: Date.now() - loopSince,
  };
  h.reset();
  loopSince = Date.now();
  return result;
}

function errorType(err: unknown): string | undefined {
  if (err instanceof ApplicationFailure) return err.type ?? undefined;
  return err instanceof Error ? err.name : undefined;
}

/**
 * The health check's activities: each check returns what it saw (a failed check is a result, not
 * an error, so one unreachable service never hides the others), plus recovery of stuck syncs,
 * overload pauses, metrics and alerts. Checks that read Temporal use the worker's client.
 */
export function healthActivities({ providers, logger, metrics, temporal, health }: ActivityDeps) {
  const settings = health;
  const thresholds = settings?.thresholds ?? DEFAULT_HEALTH_THRESHOLDS;

  const requireClient = (): Client => requireTemporalClient({ temporal }, 'the health check needs');

  const timeService = async (service: ServiceName, call: () => Promise<unknown>): Promise<ServiceCheck> => {
    const started = performance.now();
    const checkedAt = new Date().toISOString();
    try {
      await call();
      return { service, ok: true, latencyMs: Math.round(performance.now() - started), checkedAt };
    } catch (err) {
      const type = errorType(err);
      return {
        service,
        ok: false,
        latencyMs: Math.round(performance.now() - started),
        checkedAt,
        error: err instanceof Error ? err.message : String(err),
        ...(type ? { errorType: type } : {}),
      };
    }
  };

  return {
    async healthContext(input: { taskQueue: string; workflowId: string }): Promise<HealthContext> {
      const context: HealthContext = {
        thresholds,
        webhookConfigured: Boolean(settings?.webhookUrl),
        pauseOnOverload: settings?.pauseOnOverload ?? false,
        ...(settings?.intervalMs !== undefined ? { intervalMs: settings.intervalMs } : {}),
        recentStatuses: [],
      };
      if (!temporal) return context;
      // Not caught: a run that cannot read its predecessor fails (after the activity's retries)
      // rather than carry on with no memory, which would forget the schedules health holds paused
      // and raise every overdue and unpolled alert again.
      const query =
        `WorkflowType = '${WORKFLOW_TYPES.systemHealth}' AND ExecutionStatus = 'Completed' ` +
        `AND TaskQueue = ${queryString(input.taskQueue)}`;
      const runs: { workflowId: string; runId: string; closedAt: string; status?: HealthStatus }[] = [];
      for await (const run of temporal.client.workflow.list({ query, pageSize: RECENT_RUNS })) {
        const status = run.typedSearchAttributes.get(HEALTH_STATUS);
        const closedAt = run.closeTime?.toISOString();
        if (closedAt)
          runs.push({
            workflowId: run.workflowId,
            runId: run.runId,
            closedAt,
            ...(status && HEALTH_STATUSES.includes(status as HealthStatus)
              ? { status: status as HealthStatus }
              : {}),
          });
        if (runs.length >= RECENT_RUNS) break;
      }
      runs.sort((a, b) => b.closedAt.localeCompare(a.closedAt));
      context.recentStatuses = runs.flatMap((r) => (r.status ? [r.status] : []));
      // The newest report is the previous one; a run limited to a campaign prefix merged its part
      // into the memory it carries (see mergeCarry), so it carries the rest unchanged.
      const newest = runs[0];
      if (newest) {
        const report = await temporal.client.workflow
          .getHandle<() => Promise<HealthReport>>(newest.workflowId, newest.runId)
          .result();
        context.previous = {
          workflowId: report.workflowId,
          checkedAt: report.checkedAt,
          status: report.status,
          ...(report.carry ? { carry: report.carry } : {}),
        };
        // Without the HealthStatus search attribute the runs have no status to list: the
        // previous report's own streak stands in for them.
        if (context.recentStatuses.length === 0)
          context.recentStatuses = Array<HealthStatus>(
            Math.min(RECENT_RUNS, report.statusTrend?.streak ?? 1),
          ).fill(report.status);
      }
      return context;
    },

    /** Pollers of the deployment's queues (main: workflow and activity tasks; MailerLite: activity tasks). */
    async checkWorkers(input: { taskQueue: string }): Promise<WorkersCheck> {
      const queues = await describePollers(requireClient(), deploymentQueues(input.taskQueue));
      return { checkedAt: new Date().toISOString(), queues };
    },

    /**
     * The worker process's own signals (memory, heap against its limit, event-loop delay, and how
     * long activities waited to start on its main task queue since its previous check), and the
     * host's load and free memory as information.
     */
    async checkResources(): Promise<ResourceCheck> {
      const eventLoopDelayMs = await eventLoopDelay();
      const mem = process.memoryUsage();
      const [l1 = 0, l5 = 0, l15 = 0] = loadavg();
      let taskQueue: string | undefined;
      try {
        taskQueue = Context.current().info.taskQueue;
      } catch {
        taskQueue = undefined;
      }
      return {
        checkedAt: new Date().toISOString(),
        host: hostname(),
        pid: process.pid,
        uptimeSeconds: Math.round(process.uptime()),
        memory: {
          rssBytes: mem.rss,
          heapUsedBytes: mem.heapUsed,
          heapTotalBytes: mem.heapTotal,
          heapLimitBytes: getHeapStatistics().heap_size_limit,
          externalBytes: mem.external,
          freeBytes: freemem(),
          totalBytes: totalmem(),
        },
        loadAverage: [l1, l5, l15],
        cpus: cpus().length || 1,
        eventLoopDelayMs,
        ...(taskQueue !== undefined ? { scheduleToStartMs: takeScheduleToStart(taskQueue) } : {}),
      };
    },

    /**
     * Temporal's frontend answers (system info), and which of the project's search attributes the
     * namespace lacks (a sync setting a missing one fails every workflow task).
     */
    async checkTemporal(): Promise<ServiceCheck> {
      const client = requireClient();
      const namespace = client.options.namespace;
      let registered: Set<string> | undefined;
      const check = await timeService('temporal', async () => {
        await client.workflowService.getSystemInfo({});
      });
      if (check.ok) {
        try {
          const attrs = await client.connection.operatorService.listSearchAttributes({ namespace });
          registered = new Set(Object.keys(attrs.customAttributes ?? {}));
        } catch {
          registered = undefined;
        }
      }
      if (!registered) return { ...check, namespace };
      return {
        ...check,
        namespace,
        healthSearchAttribute: registered.has(HEALTH_STATUS.name),
        missingSearchAttributes: SEARCH_ATTRIBUTES.filter((key) => !registered.has(key.name)).map((key) => ({
          name: key.name,
          type: key.type,
        })),
      };
    },

    /** EDD with the worker's credentials, and its key's capabilities (the sync's connection check, `validateConnection`). */
    async checkEdd(): Promise<ServiceCheck> {
      return timeService('edd', () => providers.edd.validateConnection());
    },

    /** One MailerLite request (`GET /groups?limit=1`); runs on the MailerLite task queue, within the budget. */
    async checkMailerLite(): Promise<ServiceCheck> {
      return timeService('mailerlite', () => providers.mailerlite.validateConnection());
    },

    /**
     * Every running campaign sync, whatever its task queue (a sync started on a queue no worker
     * polls holds its campaign's lock all the same), with its progress and whether any worker polls
     * its queue; lock holders; and the failed syncs of the window on the deployment's task queue.
     */
    async scanCampaigns(input: {
      taskQueue: string;
      campaignPrefix?: string;
      failureWindowMs: number;
    }): Promise<CampaignScan> {
      const client = requireClient();
      const since = new Date(Date.now() - input.failureWindowMs);
      const prefix = input.campaignPrefix ? { campaignPrefix: input.campaignPrefix } : {};
      const [runs, failures] = await Promise.all([
        listRunningSyncs(client, { ...prefix, checkPollers: true }),
        listRecentFailures(client, { taskQueue: input.taskQueue, ...prefix, since }),
      ]);
      return {
        checkedAt: new Date().toISOString(),
        ...runs,
        failures: failures.failures,
        failuresTotal: failures.total,
        failuresSince: since.toISOString(),
      };
    },

    /**
     * What the cadence of each campaign is judged on: the deployment's campaign sync schedules that
     * are not paused (interval from the spec, or for a cron or calendar the largest gap between its
     * next runs; overdue after the interval plus the time a run may take, its `timeout`, which
     * defaults to the interval), and, when `overdueAfterMs` is given (HEALTH_SYNC_OVERDUE_AFTER),
     * the campaigns without a schedule that have syncs in Temporal: those the previous report
     * judged, and those with runs started since it. Each with its last successful sync.
     */
    async checkSyncCadence(input: {
      taskQueue: string;
      campaignPrefix?: string;
      overdueAfterMs?: number;
      /** Campaigns the previous report judged by the setting. */
      knownCampaigns?: string[];
      /** When the previous report checked (unscheduled campaigns' runs are looked for since then). */
      previousCheckedAt?: string;
      /** Since when each judged campaign was expected to succeed, from the previous report. */
      since?: Record<string, string>;
    }): Promise<CadenceCheck> {
      const client = requireClient();
      const checkedAt = new Date().toISOString();
      const facts: CadenceFacts[] = [];
      const scheduled = new Set<string>();
      const summaries = await listSyncScheduleSummaries(
        client,
        input.campaignPrefix ? { campaignPrefix: input.campaignPrefix } : {},
      );
      for (const s of summaries) {
        scheduled.add(s.campaign);
        if (s.state.paused) continue;
        let d;
        try {
          d = await client.schedule.getHandle(s.scheduleId).describe();
        } catch (err) {
          if (err instanceof ScheduleNotFoundError) continue;
          throw err;
        }
        if (d.state.paused || d.action.type !== 'startWorkflow' || d.action.taskQueue !== input.taskQueue)
          continue;
        const intervalMs = scheduleIntervalMs(d.spec, d.info.nextActionTimes);
        if (intervalMs === undefined) continue;
        const timeout = (d.action.args?.[0] as { timeout?: unknown } | undefined)?.timeout;
        const runAllowanceMs =
          typeof timeout === 'string' && DURATION_PATTERN.test(timeout.trim())
            ? parseDuration(timeout)
            : intervalMs;
        const last = await lastSuccessfulSync(client, s.campaign);
        const updated = d.info.lastUpdatedAt ?? d.info.createdAt;
        facts.push({
          campaign: s.campaign,
          source: 'schedule',
          scheduleId: s.scheduleId,
          intervalMs,
          runAllowanceMs,
          overdueAfterMs: intervalMs + runAllowanceMs,
          lastSuccessAt: last?.closedAt ?? null,
          expectedSince: (updated > d.info.createdAt ? updated : d.info.createdAt).toISOString(),
        });
      }

      if (input.overdueAfterMs !== undefined) {
        // Campaigns without a schedule: known from the previous report, or with runs started since.
        const firstSeen = new Map<string, string>();
        for (const c of input.knownCampaigns ?? [])
          firstSeen.set(c, input.since?.[c] ?? input.previousCheckedAt ?? checkedAt);
        const from = input.knownCampaigns
          ? new Date(Date.parse(input.previousCheckedAt ?? checkedAt) - 3_600_000)
          : new Date(Date.now() - SETTING_DISCOVERY_MS);
        const query = `WorkflowType = '${WORKFLOW_TYPES.campaignSync}' AND StartTime > ${queryString(from.toISOString())}`;
        let read = 0;
        for await (const run of client.workflow.list({ query, pageSize: 200 })) {
          const campaign = campaignFromWorkflowId(run.workflowId);
          if (campaign && (!input.campaignPrefix || campaign.startsWith(input.campaignPrefix))) {
            const started = run.startTime.toISOString();
            const seen = firstSeen.get(campaign);
            if (seen === undefined || started < seen) firstSeen.set(campaign, started);
          }
          if (++read >= SETTING_DISCOVERY_RUNS) break;
        }
        for (const [campaign, expectedSince] of [...firstSeen].sort(([a], [b]) => a.localeCompare(b))) {
          if (scheduled.has(campaign)) continue;
          const last = await lastSuccessfulSync(client, campaign);
          // A campaign whose runs have all left visibility (the namespace's retention) is no longer judged.
          if (!last && !(await campaignHasSyncRuns(client, campaign))) continue;
          facts.push({
            campaign,
            source: 'setting',
            overdueAfterMs: input.overdueAfterMs,
            lastSuccessAt: last?.closedAt ?? null,
            expectedSince,
          });
        }
      }
      return { checkedAt, campaigns: facts };
    },

    /**
     * Recovers a stuck sync. `fail`: terminates the run with the reason (the lock is freed; the next
     * scheduled or manual sync starts afresh). `restart`: reads the run's input from its history,
     * cancels it (terminating it if it has not closed after a grace period), and starts a new run of
     * that input under the same workflow ID with the trigger `health-restart:<trigger>`. A run that
     * had continued as new carries its cursor in that input, so the new run starts at that page.
     * Safe to retry: a run already closed, or already replaced by health's restart, is reported as such.
     */
    async recoverStuckSync(input: RecoverStuckSyncInput): Promise<RecoverStuckSyncResult> {
      const client = requireClient();
      const old = client.workflow.getHandle(input.workflowId, input.runId);
      const described = await old.describe();
      if (described.status.name !== 'RUNNING') {
        const latest = await client.workflow
          .getHandle(input.workflowId)
          .describe()
          .catch(() => undefined);
        const trigger = latest?.typedSearchAttributes.get(SYNC_TRIGGER);
        if (
          input.action === 'restart' &&
          latest &&
          latest.runId !== input.runId &&
          trigger?.startsWith(HEALTH_RESTART_TRIGGER)
        )
          return { outcome: 'restarted', newRunId: latest.runId };
        return { outcome: 'closed-meanwhile' };
      }
      const note = `campaign-sync health: stuck (${input.reason})`;
      if (input.action === 'fail') {
        await old.terminate(`${note}; not restarted: ${input.why}`);
        logger.warn(
          { campaign: input.campaign, workflowId: input.workflowId, runId: input.runId },
          'health: stuck sync failed',
        );
        return { outcome: 'failed' };
      }

      const history = await client.workflowService.getWorkflowExecutionHistory({
        namespace: client.options.namespace,
        execution: { workflowId: input.workflowId, runId: input.runId },
        maximumPageSize: 1,
      });
      const started = history.history?.events?.[0]?.workflowExecutionStartedEventAttributes;
      const syncInput = await decodeFromPayloadsAtIndex<SyncInput>(
        client.options.loadedDataConverter,
        0,
        started?.input?.payloads,
      );

      await old.cancel();
      const deadline = Date.now() + CANCEL_GRACE_MS;
      for (;;) {
        heartbeat({ phase: 'waiting for the cancelled run to close' });
        const now = await old.describe();
        if (now.status.name !== 'RUNNING') break;
        if (Date.now() > deadline) {
          await old.terminate(
            `${note}; it did not close within ${CANCEL_GRACE_MS / 1000}s of its cancellation`,
          );
          break;
        }
        await sleep(500);
      }

      const previousTrigger =
        described.typedSearchAttributes.get(SYNC_TRIGGER) ?? syncInput.trigger ?? 'manual';
      const trigger = `${HEALTH_RESTART_TRIGGER}:${previousTrigger}`.slice(0, 200);
      try {
        const handle = await startSync(client, described.taskQueue, { ...syncInput, trigger });
        logger.warn(
          {
            campaign: input.campaign,
            workflowId: input.workflowId,
            oldRunId: input.runId,
            newRunId: handle.firstExecutionRunId,
          },
          'health: stuck sync restarted',
        );
        return { outcome: 'restarted', newRunId: handle.firstExecutionRunId };
      } catch (err) {
        if (err instanceof SyncAlreadyRunningError)
          return {
            outcome: 'lock-taken',
            ...(err.runId ? { holder: `${err.workflowId}/${err.runId}` } : {}),
          };
        throw err;
      }
    },

    /**
     * Overloaded: pauses the task queue's campaign sync schedules that are running, keeping their
     * notes; returns health's marks, which its report carries (see `pauseSchedulesForHealth`).
     */
    async pauseSchedulesForOverload(input: {
      taskQueue: string;
      campaignPrefix?: string;
      reason: string;
    }): Promise<{ held: HeldPause[] }> {
      const held = await pauseSchedulesForHealth(requireClient(), { ...input, at: new Date() });
      if (held.length > 0)
        logger.warn(
          { schedules: held.map((h) => h.scheduleId), reason: input.reason },
          'health: overloaded, sync schedules paused',
        );
      return { held };
    },

    /**
     * No longer overloaded: unpauses the schedules health holds paused that nobody changed since;
     * those a person changed are released as they are.
     */
    async resumeSchedulesAfterOverload(input: {
      held: HeldPause[];
    }): Promise<{ resumed: string[]; keptPaused: string[]; released: string[] }> {
      const result = await resumeSchedulesHeldByHealth(requireClient(), input.held);
      if (result.resumed.length > 0)
        logger.warn({ schedules: result.resumed }, 'health: recovered, sync schedules resumed');
      return result;
    },

    /** The report in metrics, and a log line for it and for each alert (no personal data). */
    async recordHealthReport(report: HealthReport): Promise<void> {
      metrics.recordHealth(report);
      const line = {
        status: report.status,
        score: report.score,
        workflowId: report.workflowId,
        findings: report.findings.map((f) => `${f.severity}: ${f.message}`),
      };
      if (report.status === 'healthy') logger.info(line, 'health: healthy');
      else logger.warn(line, `health: ${report.status}`);
      for (const alert of report.alerts) {
        logger.warn(
          { alert: alert.kind, severity: alert.severity, workflowId: report.workflowId },
          alert.message,
        );
      }
    },

    /**
     * POSTs the alerts to HEALTH_WEBHOOK_URL as JSON. A 5xx, 408, 429 or network error fails the
     * attempt (Temporal retries it); another non-2xx answer fails it for good.
     */
    async postHealthWebhook(payload: HealthWebhookPayload): Promise<{ sent: boolean }> {
      const url = settings?.webhookUrl;
      if (!url) return { sent: false };
      await postWebhook(url, payload, 'campaign-sync-health');
      return { sent: true };
    },
  };
}

/**
 * The interval of a schedule's spec, ms: its one interval, or else (a cron expression, calendars,
 * several intervals) the largest gap between its next action times. Undefined when neither says.
 */
export function scheduleIntervalMs(
  spec: { intervals?: { every: unknown }[]; calendars?: unknown[]; cronExpressions?: unknown[] },
  nextActionTimes: Date[],
): number | undefined {
  const intervals = spec.intervals ?? [];
  if (
    intervals.length === 1 &&
    (spec.calendars ?? []).length === 0 &&
    (spec.cronExpressions ?? []).length === 0
  ) {
    const every = Number(intervals[0]!.every);
    if (Number.isFinite(every) && every > 0) return every;
  }
  let largest: number | undefined;
  for (let i = 1; i < nextActionTimes.length; i++) {
    const gap = nextActionTimes[i]!.getTime() - nextActionTimes[i - 1]!.getTime();
    if (largest === undefined || gap > largest) largest = gap;
  }
  return largest;
}
