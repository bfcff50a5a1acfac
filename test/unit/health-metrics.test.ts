import { Registry } from 'prom-client';
import { scheduleIntervalMs } from '../../src/activities/health';
import { recordScheduleToStart, takeScheduleToStart } from '../../src/activities/schedule-latency';
import { briefProgress } from '../../src/temporal/system';
import { createMetrics } from '../../src/observability/metrics';
import {
  DEFAULT_HEALTH_THRESHOLDS,
  type CadenceEntry,
  type CampaignsSection,
  type HealthReport,
  type RunningSyncInfo,
} from '../../src/shared/health';
import { emptyCounts, type SyncSummary } from '../../src/shared/sync-types';

const T0 = Date.parse('2025-06-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function summary(over: Partial<SyncSummary>): SyncSummary {
  return {
    campaign: '2024_A_B',
    productId: 1,
    status: 'completed',
    pages: 1,
    runs: 1,
    dryRun: false,
    samples: { created: [], updated: [] },
    resourcesToCreate: [],
    mode: 'upsert',
    invalidRecords: [],
    invalidRecordsOmitted: 0,
    failedRecords: [],
    failedRecordsOmitted: 0,
    skippedRecords: [],
    skippedRecordsOmitted: 0,
    startedAt: iso(T0 - 60_000),
    finishedAt: iso(T0),
    durationMs: 60_000,
    ...emptyCounts(),
    ...over,
  };
}

function cadence(campaign: string, over: Partial<CadenceEntry> = {}): CadenceEntry {
  return {
    campaign,
    source: 'schedule',
    scheduleId: `campaign-sync-schedule-${campaign}`,
    intervalMs: 3_600_000,
    overdueAfterMs: 7_200_000,
    lastSuccessAt: null,
    expectedSince: iso(T0 - 86_400_000),
    overdue: false,
    ...over,
  };
}

function waiting(campaign: string, pendingRemovals: number): CampaignsSection['running'][number] {
  const sync: RunningSyncInfo = {
    campaign,
    workflowId: `campaign-sync-${campaign}`,
    runId: 'r',
    taskQueue: 'q',
    startedAt: iso(T0 - 60_000),
    progress: {
      phase: 'awaiting-approval',
      pages: 1,
      fetched: 1,
      valid: 1,
      invalid: 0,
      created: 0,
      updated: 0,
      unchanged: 1,
      skipped: 0,
      failed: 0,
      startedAt: iso(T0 - 60_000),
      updatedAt: iso(T0 - 30_000),
      pendingRemovals,
    },
    pendingActivities: [],
  };
  return { ...sync, state: 'waiting' };
}

function report(over: Partial<CampaignsSection>, extra: Partial<HealthReport> = {}): HealthReport {
  return {
    status: 'healthy',
    score: 100,
    checkedAt: iso(T0),
    durationMs: 1,
    workflowId: 'w',
    runId: 'r',
    trigger: 't',
    taskQueue: 'q',
    statusTrend: { streak: 1, alertAfterRuns: 2, announced: 'healthy' },
    thresholds: DEFAULT_HEALTH_THRESHOLDS,
    findings: [],
    workers: { error: 'x' },
    resources: { error: 'x' },
    services: [],
    campaigns: {
      running: [],
      runningOmitted: 0,
      stuck: [],
      longLocks: [],
      locks: 0,
      failures: [],
      failuresTotal: 0,
      failuresSince: iso(T0),
      recovered: { restarted: 0, failed: 0 },
      unpolled: [],
      cadence: [],
      ...over,
    },
    overload: {
      overloaded: null,
      reasons: [],
      pauseOnOverload: false,
      paused: [],
      resumed: [],
      keptPaused: [],
      held: [],
    },
    alerts: [],
    carry: {
      announcedStatus: 'healthy',
      heldPaused: [],
      overdueCampaigns: [],
      unpolledSyncs: [],
      cadenceSince: {},
    },
    ...extra,
  };
}

/** The series of one metric in the registry's exposition text: `{labels} value` lines. */
async function series(registry: Registry, name: string): Promise<string[]> {
  const text = await registry.metrics();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .map((l) => l.slice(name.length));
}

describe('cadence metrics', () => {
  let clock = T0;
  const setup = () => {
    clock = T0;
    const registry = new Registry();
    return { registry, metrics: createMetrics(registry, { now: () => clock }) };
  };

  it("campaign_sync_health_announced_status: the status health announced, not each report's (what CampaignSyncUnhealthy watches)", async () => {
    const { registry, metrics } = setup();
    // An unhealthy report that has not held long enough to be announced: the announced status stays.
    metrics.recordHealth(
      report(
        {},
        { status: 'unhealthy', statusTrend: { streak: 1, alertAfterRuns: 2, announced: 'healthy' } },
      ),
    );
    expect(await series(registry, 'campaign_sync_health_status')).toContain('{status="unhealthy"} 1');
    expect(await series(registry, 'campaign_sync_health_announced_status')).toEqual([
      '{status="healthy"} 1',
      '{status="degraded"} 0',
      '{status="unhealthy"} 0',
    ]);
    // The second in a row is announced.
    metrics.recordHealth(
      report(
        {},
        {
          status: 'unhealthy',
          statusTrend: { streak: 2, alertAfterRuns: 2, announced: 'unhealthy', changedFrom: 'healthy' },
        },
      ),
    );
    expect(await series(registry, 'campaign_sync_health_announced_status')).toContain(
      '{status="unhealthy"} 1',
    );
  });

  it('campaign_sync_last_success_timestamp_seconds: completed real runs and health reports, never backwards', async () => {
    const { registry, metrics } = setup();
    metrics.recordRun(summary({ campaign: 'A', finishedAt: iso(T0) }));
    // Neither a dry run nor a failed or cancelled run is a success.
    metrics.recordRun(summary({ campaign: 'A', dryRun: true, finishedAt: iso(T0 + 60_000) }));
    metrics.recordRun(summary({ campaign: 'A', status: 'failed', finishedAt: iso(T0 + 120_000) }));
    metrics.recordRun(summary({ campaign: 'A', status: 'cancelled', finishedAt: iso(T0 + 180_000) }));
    metrics.recordRun(summary({ campaign: 'B', dryRun: true }));
    expect(await series(registry, 'campaign_sync_last_success_timestamp_seconds')).toEqual([
      `{campaign="A"} ${T0 / 1000}`,
    ]);
    // A report with an older success for A does not take it back; B's comes from the report.
    metrics.recordHealth(
      report({
        cadence: [
          cadence('A', { lastSuccessAt: iso(T0 - 3_600_000) }),
          cadence('B', { lastSuccessAt: iso(T0 - 600_000) }),
          cadence('C', { lastSuccessAt: null }),
        ],
      }),
    );
    expect(await series(registry, 'campaign_sync_last_success_timestamp_seconds')).toEqual([
      `{campaign="A"} ${T0 / 1000}`,
      `{campaign="B"} ${(T0 - 600_000) / 1000}`,
    ]);
    metrics.recordRun(summary({ campaign: 'B', finishedAt: iso(T0 + 5_000) }));
    expect(await series(registry, 'campaign_sync_last_success_timestamp_seconds')).toContain(
      `{campaign="B"} ${(T0 + 5_000) / 1000}`,
    );
  });

  it('campaign_sync_overdue_after_seconds: replaced by each report, expired when no report refreshes it', async () => {
    const { registry, metrics } = setup();
    metrics.recordHealth(
      report({ cadence: [cadence('A'), cadence('B', { source: 'setting', overdueAfterMs: 86_400_000 })] }),
    );
    expect(await series(registry, 'campaign_sync_overdue_after_seconds')).toEqual([
      '{campaign="A"} 7200',
      '{campaign="B"} 86400',
    ]);
    // A's schedule deleted: the next report's set replaces the whole set.
    metrics.recordHealth(
      report({ cadence: [cadence('B', { source: 'setting', overdueAfterMs: 86_400_000 })] }),
    );
    expect(await series(registry, 'campaign_sync_overdue_after_seconds')).toEqual(['{campaign="B"} 86400']);
    // No report for 29 minutes: still there; past 30 minutes (or 3 health intervals): gone.
    clock = T0 + 29 * 60_000;
    expect(await series(registry, 'campaign_sync_overdue_after_seconds')).toHaveLength(1);
    clock = T0 + 31 * 60_000;
    expect(await series(registry, 'campaign_sync_overdue_after_seconds')).toEqual([]);
    // With a 1h health interval a series lives 3 hours.
    metrics.recordHealth(report({ cadence: [cadence('A')] }, { intervalMs: 3_600_000 }));
    clock += 2 * 3_600_000;
    expect(await series(registry, 'campaign_sync_overdue_after_seconds')).toEqual(['{campaign="A"} 7200']);
    clock += 3_600_000 + 1;
    expect(await series(registry, 'campaign_sync_overdue_after_seconds')).toEqual([]);
  });

  it('campaign_sync_awaiting_approval_removals: syncs waiting for approval with their pending count', async () => {
    const { registry, metrics } = setup();
    metrics.recordHealth(report({ running: [waiting('A', 120), waiting('B', 7)] }));
    expect(await series(registry, 'campaign_sync_awaiting_approval_removals')).toEqual([
      '{campaign="A"} 120',
      '{campaign="B"} 7',
    ]);
    metrics.recordHealth(report({ running: [waiting('B', 7)] }));
    expect(await series(registry, 'campaign_sync_awaiting_approval_removals')).toEqual(['{campaign="B"} 7']);
    // A decision ends the wait at once: without a newer report (this worker no longer runs the
    // checks) the count lives one and a half health intervals, at least 2 minutes.
    clock = T0 + 110_000;
    expect(await series(registry, 'campaign_sync_awaiting_approval_removals')).toHaveLength(1);
    clock = T0 + 121_000;
    expect(await series(registry, 'campaign_sync_awaiting_approval_removals')).toEqual([]);
    metrics.recordHealth(report({ running: [waiting('B', 7)] }, { intervalMs: 600_000 }));
    clock += 899_000;
    expect(await series(registry, 'campaign_sync_awaiting_approval_removals')).toHaveLength(1);
    clock += 2_000;
    expect(await series(registry, 'campaign_sync_awaiting_approval_removals')).toEqual([]);
  });

  it('campaign_sync_expected_since_timestamp_seconds: since when each judged campaign is expected to sync', async () => {
    const { registry, metrics } = setup();
    metrics.recordHealth(
      report({
        cadence: [
          cadence('A', { expectedSince: iso(T0 - 600_000) }),
          cadence('B', { expectedSince: iso(T0) }),
        ],
      }),
    );
    expect(await series(registry, 'campaign_sync_expected_since_timestamp_seconds')).toEqual([
      `{campaign="A"} ${(T0 - 600_000) / 1000}`,
      `{campaign="B"} ${T0 / 1000}`,
    ]);
    clock = T0 + 31 * 60_000;
    expect(await series(registry, 'campaign_sync_expected_since_timestamp_seconds')).toEqual([]);
  });
});

describe('a running sync in brief', () => {
  it('carries the removals a mirror sync waits to have approved', () => {
    const progress = {
      campaign: 'A',
      phase: 'awaiting-approval' as const,
      pages: 3,
      startedAt: iso(T0),
      updatedAt: iso(T0),
      mode: 'mirror' as const,
      fetched: 3,
      valid: 3,
      invalid: 0,
      created: 0,
      updated: 0,
      unchanged: 3,
      superseded: 0,
      skipped: 0,
      failed: 0,
      removed: 0,
      mirror: {
        groupMembers: 100,
        toRemove: 42,
        maxRemovalShare: 0.1,
        state: 'waiting' as const,
        sample: [],
        failed: 0,
      },
    };
    expect(briefProgress(progress).pendingRemovals).toBe(42);
    expect(briefProgress({ ...progress, phase: 'syncing' }).pendingRemovals).toBeUndefined();
  });
});

describe('schedule-to-start window', () => {
  it('reports p50, p99 and max since the previous read, per task queue, then starts over', () => {
    const tq = `q-${Date.now()}`;
    for (let i = 1; i <= 100; i++) recordScheduleToStart(tq, i * 10);
    recordScheduleToStart(`${tq}-other`, 99_999);
    const first = takeScheduleToStart(tq);
    expect(first).toMatchObject({ taskQueue: tq, count: 100, p50: 500, p99: 990, max: 1000 });
    expect(takeScheduleToStart(tq)).toMatchObject({ count: 0, p99: 0, max: 0 });
  });
});

describe('a schedule’s interval', () => {
  it('is its one interval, or the largest gap between its next action times', () => {
    expect(scheduleIntervalMs({ intervals: [{ every: 3_600_000 }] }, [])).toBe(3_600_000);
    const next = [0, 6, 12, 24, 30].map((h) => new Date(T0 + h * 3_600_000));
    expect(scheduleIntervalMs({ calendars: [{}] }, next)).toBe(12 * 3_600_000);
    expect(scheduleIntervalMs({ calendars: [{}] }, [new Date(T0)])).toBeUndefined();
  });
});
