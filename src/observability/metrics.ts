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
  opts: {
    defaultMetrics?: boolean;
    /** The clock the expiring health series use (tests move it). Default `Date.now`. */
    now?: () => number;
  } = {},
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
  const now = opts.now ?? Date.now;
  const lastSuccess = lastSuccessGauge(registry);
  const recordHealth = healthMetrics(registry, now, lastSuccess);
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
      if (s.status === 'completed' && !s.dryRun) lastSuccess.observe(s.campaign, Date.parse(s.finishedAt));
    },
  };
}

/**
 * `campaign_sync_last_success_timestamp_seconds{campaign}`: when the campaign's newest successful
 * sync (completed, not a dry run) finished, from the runs this worker recorded and from each health
 * report's cadence. It keeps the newest value and never goes backwards.
 */
function lastSuccessGauge(registry: Registry): { observe(campaign: string, ms: number): void } {
  const gauge = new Gauge({
    name: 'campaign_sync_last_success_timestamp_seconds',
    help: 'Unix time at which the newest successful (completed, not dry-run) sync of the campaign finished.',
    labelNames: ['campaign'],
    registers: [registry],
  });
  const newest = new Map<string, number>();
  return {
    observe(campaign, ms) {
      if (!Number.isFinite(ms)) return;
      const seconds = ms / 1000;
      if ((newest.get(campaign) ?? -Infinity) >= seconds) return;
      newest.set(campaign, seconds);
      gauge.set({ campaign }, seconds);
    },
  };
}

/** How long series set from a health report live without a newer report: 3 health intervals, at least 30 minutes. */
const MIN_HEALTH_SERIES_TTL_MS = 30 * 60_000;
/** Removals awaiting approval live one and a half health intervals, at least 2 minutes. */
const APPROVAL_SERIES_MIN_TTL_MS = 2 * 60_000;

/**
 * A gauge whose whole set of series is replaced by each health report, and which drops them when
 * no report has refreshed them for a while (a worker that no longer runs health checks, a deleted
 * schedule), so no stale series lingers. Computed at scrape time (`collect`).
 */
function reportGauge(
  registry: Registry,
  now: () => number,
  config: { name: string; help: string; labelNames: string[] },
): { replace(values: { labels: Record<string, string>; value: number }[], ttlMs: number): void } {
  let current: { labels: Record<string, string>; value: number }[] = [];
  let expiresAt = 0;
  new Gauge({
    ...config,
    registers: [registry],
    collect() {
      this.reset();
      if (now() >= expiresAt) return;
      for (const v of current) this.set(v.labels, v.value);
    },
  });
  return {
    replace(values, ttlMs) {
      current = values;
      expiresAt = now() + ttlMs;
    },
  };
}

/** The health check's metrics (`campaign_sync_health_*`, `campaign_sync_worker_*`, cadence), set from each report. */
function healthMetrics(
  registry: Registry,
  now: () => number,
  lastSuccess: { observe(campaign: string, ms: number): void },
): (report: HealthReport) => void {
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new Gauge({ name, help, labelNames, registers: [registry] });
  const counter = (name: string, help: string, labelNames: string[] = []) =>
    new Counter({ name, help, labelNames, registers: [registry] });
  const status = gauge(
    'campaign_sync_health_status',
    "The latest health report's status: 1 for the current one (healthy, degraded, unhealthy), 0 for the others.",
    ['status'],
  );
  const announced = gauge(
    'campaign_sync_health_announced_status',
    'The status health last announced: 1 for it (healthy, degraded, unhealthy), 0 for the others. A change is announced once it has held HEALTH_STATUS_ALERT_AFTER checks in a row, so a flapping signal does not move it.',
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
  const load = gauge(
    'campaign_sync_worker_load_average',
    'Host load average, by period (1m, 5m, 15m): information, health does not judge it.',
    ['period'],
  );
  const scheduleToStart = gauge(
    'campaign_sync_worker_activity_schedule_to_start_p99_seconds',
    'How long activities waited to start on the main task queue (p99) on the worker that ran the health check, since its previous check.',
  );
  const overdueAfter = reportGauge(registry, now, {
    name: 'campaign_sync_overdue_after_seconds',
    help: "How long the campaign may go without a successful sync before it is overdue (its schedule's interval plus a run's timeout, or HEALTH_SYNC_OVERDUE_AFTER); from the latest health report, expiring when no report refreshes it.",
    labelNames: ['campaign'],
  });
  const expectedSince = reportGauge(registry, now, {
    name: 'campaign_sync_expected_since_timestamp_seconds',
    help: 'Since when (unix seconds) a successful sync of the campaign has been expected at the earliest: its schedule made, changed or unpaused (a campaign is overdue when neither this nor its last success is within campaign_sync_overdue_after_seconds); from the latest health report, expiring when no report refreshes it.',
    labelNames: ['campaign'],
  });
  const awaitingApproval = reportGauge(registry, now, {
    name: 'campaign_sync_awaiting_approval_removals',
    help: 'Mirror removals a running sync of the campaign waits for a person to approve; from the latest health report, expiring when no report refreshes it.',
    labelNames: ['campaign'],
  });
  const free = gauge('campaign_sync_worker_free_memory_bytes', "Free memory of the worker's host.");
  const loopDelay = gauge(
    'campaign_sync_worker_event_loop_delay_p99_seconds',
    'Event-loop delay (p99) of the worker that ran the health check, since the previous check.',
  );
  return (report) => {
    for (const s of HEALTH_STATUSES) status.set({ status: s }, s === report.status ? 1 : 0);
    for (const s of HEALTH_STATUSES) announced.set({ status: s }, s === report.statusTrend.announced ? 1 : 0);
    score.set(report.score);
    reports.inc({ status: report.status });
    if (!isCheckError(report.campaigns)) {
      const c = report.campaigns;
      runningSyncs.set(c.running.length + c.runningOmitted);
      stuckFound.inc(c.stuck.length);
      stuckRecovered.inc({ action: 'restarted' }, c.recovered.restarted);
      stuckRecovered.inc({ action: 'failed' }, c.recovered.failed);
      const ttlMs = Math.max(MIN_HEALTH_SERIES_TTL_MS, 3 * (report.intervalMs ?? 0));
      for (const e of c.cadence)
        if (e.lastSuccessAt) lastSuccess.observe(e.campaign, Date.parse(e.lastSuccessAt));
      // A cadence that could not be checked leaves the previous values to expire on their own.
      if (c.cadenceError === undefined) {
        overdueAfter.replace(
          c.cadence.map((e) => ({ labels: { campaign: e.campaign }, value: e.overdueAfterMs / 1000 })),
          ttlMs,
        );
        expectedSince.replace(
          c.cadence.map((e) => ({
            labels: { campaign: e.campaign },
            value: Date.parse(e.expectedSince) / 1000,
          })),
          ttlMs,
        );
      }
      // A decision ends a wait at once: on a worker that does not run the next check, the count
      // must not outlive it by much (the worker that does replaces it).
      awaitingApproval.replace(
        c.running
          .filter((r) => r.state === 'waiting')
          .map((r) => ({ labels: { campaign: r.campaign }, value: r.progress?.pendingRemovals ?? 0 })),
        Math.max(APPROVAL_SERIES_MIN_TTL_MS, 1.5 * (report.intervalMs ?? 0)),
      );
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
      if (r.scheduleToStartMs && r.scheduleToStartMs.count > 0)
        scheduleToStart.set(r.scheduleToStartMs.p99 / 1000);
    }
  };
}
