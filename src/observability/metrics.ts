import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RequestObservation } from '../providers/http';
import type { SyncSummary } from '../shared/sync-types';

/** The worker's metrics. The worker process owns the registry and hands this to activities. */
export interface Metrics {
  registry: Registry;
  observeRequest(o: RequestObservation): void;
  recordRun(summary: SyncSummary): void;
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
  return {
    registry,
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
