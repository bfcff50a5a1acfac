import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestObservation } from '../providers/http';
import { HEALTH_STATUSES, isCheckError, type HealthReport } from '../shared/health';
import type { SyncSummary } from '../shared/sync-types';

/** The worker's metrics. The worker process owns the registry and hands this to activities. */
export interface Metrics {
  registry: Registry;
  observeRequest(o: RequestObservation): void;
  recordRun(summary: SyncSummary): void;
  /** A health report: status, score, worker resources, services, stuck syncs, overload pauses, alerts. */
  recordHealth(report: HealthReport): void;
}

export function createMetrics(
  registry: Registry = new Registry(),
  opts: { defaultMetrics?: boolean } = {},
): Metrics {
  if (opts.defaultMetrics) collectDefaultMetrics({ register: registry, prefix: 'campaign_sync_process_' });
  const requests = new Counter({
    name: 'campaign_sync_provider_requests_total',
    help: 'Provider HTTP requests, by provider, method, endpoint pattern and status (or "error").',
    labelNames: ['provider', 'method', 'endpoint', 'status'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'campaign_sync_provider_request_duration_seconds',
    help: 'Provider HTTP request latency in seconds.',
    labelNames: ['provider', 'method', 'endpoint'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const subscribers = new Counter({
    name: 'campaign_sync_subscribers_total',
    help: 'Records processed by sync runs, by campaign and outcome (created, updated, unchanged, superseded, skipped, invalid, failed).',
    labelNames: ['campaign', 'outcome'],
    registers: [registry],
  });
  const runs = new Counter({
    name: 'campaign_sync_runs_total',
    help: 'Finished sync runs, by campaign and status.',
    labelNames: ['campaign', 'status'],
    registers: [registry],
  });
  const runDuration = new Histogram({
    name: 'campaign_sync_run_duration_seconds',
    help: 'Duration of finished sync runs in seconds.',
    labelNames: ['campaign'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [registry],
  });
  const recordHealth = healthMetrics(registry);
  return {
    registry,
    recordHealth,
    observeRequest(o) {
      requests.inc({
        provider: o.provider,
        method: o.method,
        endpoint: o.endpoint,
        status: String(o.status),
      });
      latency.observe({ provider: o.provider, method: o.method, endpoint: o.endpoint }, o.durationMs / 1000);
    },
    recordRun(s) {
      for (const outcome of [
        'created',
        'updated',
        'unchanged',
        'superseded',
        'skipped',
        'invalid',
        'failed',
        'removed',
      ] as const) {
        subscribers.inc({ campaign: s.campaign, outcome }, s[outcome]);
      }
      runs.inc({ campaign: s.campaign, status: s.status });
      runDuration.observe({ campaign: s.campaign }, s.durationMs / 1000);
    },
  };
}

/** The health check's metrics (`campaign_sync_health_*`, `campaign_sync_worker_*`), set from each report. */
function healthMetrics(registry: Registry): (report: HealthReport) => void {
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const status = gauge(
    'campaign_sync_health_status',
    "The latest health report's status: 1 for the current one (healthy, degraded, unhealthy), 0 for the others.",
    ['status'],
  );
  const score = gauge('campaign_sync_health_score', "The latest health report's score, 0..100.");
  const reports = counter('campaign_sync_health_reports_total', 'Health reports, by status.', ['status']);
  const stuckFound = counter(
    'campaign_sync_health_stuck_syncs_found_total',
    'Stuck syncs found by health runs.',
  );
  const stuckRecovered = counter(
    'campaign_sync_health_stuck_syncs_recovered_total',
    'Stuck syncs recovered, by action (restarted, failed).',
    ['action'],
  );
  const overload = counter(
    'campaign_sync_health_overload_schedule_changes_total',
    'Campaign sync schedules paused because of an overload, or resumed after it, by action.',
    ['action'],
  );
  const overloaded = gauge(
    'campaign_sync_health_overloaded',
    '1 while the latest health report found an overload.',
  );
  const alerts = counter('campaign_sync_health_alerts_total', 'Health alerts raised, by kind.', ['kind']);
  const serviceUp = gauge(
    'campaign_sync_health_service_up',
    '1 when the service answered the health check.',
    ['service'],
  );
  const serviceLatency = gauge(
    'campaign_sync_health_service_latency_seconds',
    'How long the service took to answer the health check.',
    ['service'],
  );
  const runningSyncs = gauge(
    'campaign_sync_health_running_syncs',
    'Campaign syncs running at the latest health report.',
  );
  const rss = gauge(
    'campaign_sync_worker_rss_bytes',
    'Resident memory of the worker that ran the health check.',
  );
  const heap = gauge(
    'campaign_sync_worker_heap_used_bytes',
    'V8 heap used by the worker that ran the health check.',
  );
  const load = gauge('campaign_sync_worker_load_average', 'Host load average, by period (1m, 5m, 15m).', [
    'period',
  ]);
  const free = gauge('campaign_sync_worker_free_memory_bytes', "Free memory of the worker's host.");
  const loopDelay = gauge(
    'campaign_sync_worker_event_loop_delay_p99_seconds',
    'Event-loop delay (p99) of the worker that ran the health check, since the previous check.',
  );
  return (report) => {
    for (const s of HEALTH_STATUSES) status.set({ status: s }, s === report.status ? 1 : 0);
    score.set(report.score);
    reports.inc({ status: report.status });
    if (!isCheckError(report.campaigns)) {
      runningSyncs.set(report.campaigns.running.length + report.campaigns.runningOmitted);
      stuckFound.inc(report.campaigns.stuck.length);
      stuckRecovered.inc({ action: 'restarted' }, report.campaigns.recovered.restarted);
      stuckRecovered.inc({ action: 'failed' }, report.campaigns.recovered.failed);
    }
    overload.inc({ action: 'paused' }, report.overload.paused.length);
    overload.inc({ action: 'resumed' }, report.overload.resumed.length);
    if (report.overload.overloaded !== null) overloaded.set(report.overload.overloaded ? 1 : 0);
    for (const a of report.alerts) alerts.inc({ kind: a.kind });
    for (const s of report.services) {
      serviceUp.set({ service: s.service }, s.ok ? 1 : 0);
      if (s.latencyMs !== null) serviceLatency.set({ service: s.service }, s.latencyMs / 1000);
    }
    if (!isCheckError(report.resources)) {
      const r = report.resources;
      rss.set(r.memory.rssBytes);
      heap.set(r.memory.heapUsedBytes);
      free.set(r.memory.freeBytes);
      load.set({ period: '1m' }, r.loadAverage[0]);
      load.set({ period: '5m' }, r.loadAverage[1]);
      load.set({ period: '15m' }, r.loadAverage[2]);
      loopDelay.set(r.eventLoopDelayMs.p99 / 1000);
    }
  };
}
