import { cpus, freemem, hostname, loadavg, totalmem } from 'node:os';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { getHeapStatistics } from 'node:v8';
import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import { SyncAlreadyRunningError } from '../client/errors';
import { startSync } from '../client/sync-start';
import {
  deploymentQueues,
  describePollers,
  listRecentFailures,
  listRunningSyncs,
  pauseSyncSchedules,
  queryString,
  resumeSyncSchedules,
} from '../client/system';
import {
  DEFAULT_HEALTH_THRESHOLDS,
  HEALTH_RESTART_TRIGGER,
  HEALTH_STATUSES,
  type CampaignScan,
  type HealthAlert,
  type HealthReport,
  type HealthStatus,
  type HealthThresholds,
  type ResourceCheck,
  type ServiceCheck,
  type ServiceName,
  type WorkersCheck,
} from '../shared/health';
import { WORKFLOW_TYPES } from '../shared/names';
import { HEALTH_STATUS, SYNC_TRIGGER } from '../shared/search-attributes';
import type { SyncInput } from '../shared/sync-types';
import type { ActivityDeps } from './deps';

/** What the health workflow learns before checking: the worker's thresholds and the previous report's status. */
export interface HealthContext {
  thresholds: HealthThresholds;
  webhookConfigured: boolean;
  previous?: { status: HealthStatus; workflowId: string; closedAt: string };
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
  const thresholds = health?.thresholds ?? DEFAULT_HEALTH_THRESHOLDS;

  const requireClient = (): Client => {
    if (temporal) return temporal.client;
    throw ApplicationFailure.create({
      type: 'WorkerConfigError',
      nonRetryable: true,
      message:
        'This worker has no Temporal client (ActivityDeps.temporal), which the health check needs; ' +
        'workers built by src/workers/main.ts have one.',
    });
  };

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
      const context: HealthContext = { thresholds, webhookConfigured: Boolean(health?.webhookUrl) };
      if (!temporal) return context;
      try {
        const query =
          `WorkflowType = '${WORKFLOW_TYPES.systemHealth}' AND ExecutionStatus = 'Completed' ` +
          `AND TaskQueue = ${queryString(input.taskQueue)}`;
        let seen = 0;
        for await (const run of temporal.client.workflow.list({ query, pageSize: 20 })) {
          const status = run.typedSearchAttributes.get(HEALTH_STATUS);
          const closedAt = run.closeTime?.toISOString();
          if (status && closedAt && HEALTH_STATUSES.includes(status as HealthStatus)) {
            if (!context.previous || closedAt > context.previous.closedAt)
              context.previous = { status: status as HealthStatus, workflowId: run.workflowId, closedAt };
          }
          if (++seen >= 20) break;
        }
      } catch (err) {
        logger.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'health: previous report not read',
        );
      }
      return context;
    },

    /** Pollers of the deployment's queues (main: workflow and activity tasks; MailerLite: activity tasks). */
    async checkWorkers(input: { taskQueue: string }): Promise<WorkersCheck> {
      const queues = await describePollers(requireClient(), deploymentQueues(input.taskQueue));
      return { checkedAt: new Date().toISOString(), queues };
    },

    /** Memory, load, free memory and event-loop delay of the worker process (and host) running it. */
    async checkResources(): Promise<ResourceCheck> {
      const eventLoopDelayMs = await eventLoopDelay();
      const mem = process.memoryUsage();
      const [l1 = 0, l5 = 0, l15 = 0] = loadavg();
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
      };
    },

    /** Temporal's frontend answers (system info), and whether the HealthStatus search attribute is registered. */
    async checkTemporal(): Promise<ServiceCheck> {
      const client = requireClient();
      let registered: boolean | undefined;
      const check = await timeService('temporal', async () => {
        await client.workflowService.getSystemInfo({});
      });
      if (check.ok) {
        try {
          const attrs = await client.connection.operatorService.listSearchAttributes({
            namespace: client.options.namespace,
          });
          registered = HEALTH_STATUS.name in (attrs.customAttributes ?? {});
        } catch {
          registered = undefined;
        }
      }
      return { ...check, ...(registered !== undefined ? { healthSearchAttribute: registered } : {}) };
    },

    /** One EDD request (`GET /customers?number=1`) with the worker's credentials. */
    async checkEdd(): Promise<ServiceCheck> {
      return timeService('edd', () => providers.edd.validateConnection());
    },

    /** One MailerLite request (`GET /groups?limit=1`); runs on the MailerLite task queue, within the budget. */
    async checkMailerLite(): Promise<ServiceCheck> {
      return timeService('mailerlite', () => providers.mailerlite.validateConnection());
    },

    /** Running syncs with progress, lock holders, and the failed syncs of the window, on one task queue. */
    async scanCampaigns(input: {
      taskQueue: string;
      campaignPrefix?: string;
      failureWindowMs: number;
    }): Promise<CampaignScan> {
      const client = requireClient();
      const since = new Date(Date.now() - input.failureWindowMs);
      const scope = {
        taskQueue: input.taskQueue,
        ...(input.campaignPrefix ? { campaignPrefix: input.campaignPrefix } : {}),
      };
      const [runs, failures] = await Promise.all([
        listRunningSyncs(client, scope),
        listRecentFailures(client, { ...scope, since }),
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

    /** Overloaded: pauses the task queue's campaign sync schedules that are running (see `pauseSyncSchedules`). */
    async pauseSchedulesForOverload(input: {
      taskQueue: string;
      campaignPrefix?: string;
      reason: string;
    }): Promise<{ paused: string[] }> {
      const paused = await pauseSyncSchedules(requireClient(), { ...input, at: new Date() });
      if (paused.length > 0)
        logger.warn({ schedules: paused, reason: input.reason }, 'health: overloaded, sync schedules paused');
      return { paused };
    },

    /** Recovered: unpauses the schedules health paused; those a person paused stay paused. */
    async resumeSchedulesAfterOverload(input: {
      taskQueue: string;
      campaignPrefix?: string;
    }): Promise<{ resumed: string[]; keptPaused: string[] }> {
      const result = await resumeSyncSchedules(requireClient(), input);
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
      const url = health?.webhookUrl;
      if (!url) return { sent: false };
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'User-Agent': 'campaign-sync-health' },
          body: JSON.stringify(payload),
          signal: AbortSignal.timeout(10_000),
        });
      } catch (err) {
        throw ApplicationFailure.create({
          type: 'HealthWebhookError',
          message: `health webhook (${new URL(url).host}) not reached: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { sent: true };
      const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
      throw ApplicationFailure.create({
        type: 'HealthWebhookError',
        nonRetryable: !retryable,
        message: `health webhook (${new URL(url).host}) answered HTTP ${res.status}`,
      });
    },
  };
}
