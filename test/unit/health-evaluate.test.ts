import { healthSettingsFrom } from '../../src/config/health';
import { loadConfig } from '../../src/config';
import { checkConfig } from '../../src/client/config-check';
import {
  DEFAULT_HEALTH_THRESHOLDS,
  evaluateHealth,
  healthAlerts,
  mergeCarry,
  HEALTH_RESTART_TRIGGER,
  judgeCadence,
  resolveThresholds,
  scoreFindings,
  scrubPersonalData,
  statusTrend,
  type CadenceCheck,
  type CampaignScan,
  type CampaignsSection,
  type HealthReport,
  type HealthSnapshot,
  type HealthStatus,
  type ResourceCheck,
  type RunningSyncInfo,
} from '../../src/shared/health';

const NOW = Date.parse('2025-06-01T12:00:00.000Z');
const at = (msAgo: number) => new Date(NOW - msAgo).toISOString();
const MB = 1024 * 1024;

function resources(over: Partial<ResourceCheck> = {}): ResourceCheck {
  return {
    checkedAt: at(0),
    host: 'host',
    pid: 1,
    uptimeSeconds: 100,
    memory: {
      rssBytes: 200 * MB,
      heapUsedBytes: 100 * MB,
      heapTotalBytes: 150 * MB,
      heapLimitBytes: 4096 * MB,
      externalBytes: 0,
      freeBytes: 4096 * MB,
      totalBytes: 8192 * MB,
    },
    loadAverage: [0.5, 0.5, 0.5],
    cpus: 2,
    eventLoopDelayMs: { mean: 10, p50: 10, p99: 15, max: 20, sampledMs: 60_000 },
    ...over,
  };
}

function sync(over: Partial<RunningSyncInfo> = {}): RunningSyncInfo {
  return {
    campaign: '2024_A_B',
    workflowId: 'campaign-sync-2024_A_B',
    runId: 'run-1',
    taskQueue: 'q',
    startedAt: at(60_000),
    progress: {
      phase: 'syncing',
      pages: 3,
      fetched: 300,
      valid: 290,
      invalid: 10,
      created: 200,
      updated: 0,
      unchanged: 90,
      skipped: 0,
      failed: 0,
      startedAt: at(60_000),
      updatedAt: at(5_000),
    },
    pendingActivities: [],
    ...over,
  };
}

function scan(over: Partial<CampaignScan> = {}): CampaignScan {
  return {
    checkedAt: at(0),
    running: [sync()],
    runningOmitted: 0,
    locks: [],
    failures: [],
    failuresTotal: 0,
    failuresSince: at(3_600_000),
    ...over,
  };
}

function snapshot(over: Partial<HealthSnapshot> = {}): HealthSnapshot {
  const poller = { identity: '1@host', lastSeen: at(10_000) };
  return {
    taskQueue: 'q',
    workers: {
      checkedAt: at(0),
      queues: [
        { taskQueue: 'q', kind: 'workflow', pollers: [poller] },
        { taskQueue: 'q', kind: 'activity', pollers: [poller] },
        { taskQueue: 'q-mailerlite', kind: 'activity', pollers: [poller] },
      ],
    },
    resources: resources(),
    services: [
      { service: 'temporal', ok: true, latencyMs: 3, checkedAt: at(0) },
      { service: 'edd', ok: true, latencyMs: 40, checkedAt: at(0) },
      { service: 'mailerlite', ok: true, latencyMs: 60, checkedAt: at(0) },
    ],
    campaigns: scan(),
    ...over,
  };
}

const T = DEFAULT_HEALTH_THRESHOLDS;

function campaignsOf(e: ReturnType<typeof evaluateHealth>): CampaignsSection {
  if ('error' in e.campaigns) throw new Error('campaigns not scanned');
  return e.campaigns;
}

function carry(over: Partial<HealthReport['carry']> = {}): HealthReport['carry'] {
  return {
    announcedStatus: 'healthy',
    heldPaused: [],
    overdueCampaigns: [],
    unpolledSyncs: [],
    cadenceSince: {},
    ...over,
  };
}

describe('scoreFindings', () => {
  it('is healthy with 100 when nothing is found', () => {
    expect(scoreFindings([])).toEqual({ status: 'healthy', score: 100 });
  });
  it('takes the worst severity and subtracts each penalty, never below 0', () => {
    expect(scoreFindings([{ area: 'resources', severity: 'degraded', message: 'x' }])).toEqual({
      status: 'degraded',
      score: 90,
    });
    expect(
      scoreFindings([
        { area: 'resources', severity: 'degraded', message: 'x' },
        { area: 'services', severity: 'unhealthy', message: 'y' },
      ]),
    ).toEqual({ status: 'unhealthy', score: 60 });
    const many = Array.from({ length: 5 }, () => ({
      area: 'services' as const,
      severity: 'unhealthy' as const,
      message: 'z',
    }));
    expect(scoreFindings(many).score).toBe(0);
  });
});

describe('evaluateHealth', () => {
  it('finds nothing in a healthy snapshot', () => {
    const e = evaluateHealth(snapshot(), T, { recover: true });
    expect(e.findings).toEqual([]);
    expect(scoreFindings(e.findings)).toEqual({ status: 'healthy', score: 100 });
    expect(e.overload).toEqual({ overloaded: false, reasons: [] });
    expect(campaignsOf(e).running[0]!.state).toBe('running');
    if ('error' in e.workers) throw new Error('workers');
    expect(e.workers.workers).toEqual([
      {
        identity: '1@host',
        lastSeen: at(10_000),
        polls: ['q (workflow)', 'q (activity)', 'q-mailerlite (activity)'],
      },
    ]);
  });

  it('grades the worker’s own resources against the degraded and unhealthy levels', () => {
    const r = resources({
      memory: { ...resources().memory, rssBytes: 1500 * MB, heapUsedBytes: 3950 * MB },
      eventLoopDelayMs: { mean: 50, p50: 40, p99: 250, max: 300, sampledMs: 1000 },
      scheduleToStartMs: { taskQueue: 'q', count: 40, p50: 100, p99: 6000, max: 7000, sampledMs: 60_000 },
    });
    const e = evaluateHealth(snapshot({ resources: r }), T, { recover: true });
    expect(e.findings.map((f) => [f.severity, f.message])).toEqual([
      ['degraded', 'worker memory (RSS) 1500 MB'], // >= 1024, < 2048
      ['unhealthy', 'heap 96% of its limit'], // >= 95%
      ['degraded', 'event-loop delay p99 250 ms'], // >= 200
      ['degraded', 'activities waited p99 6s (max 7s) to start on q'], // >= 5 s
    ]);
    expect(scoreFindings(e.findings)).toEqual({ status: 'unhealthy', score: 100 - 10 - 30 - 10 - 10 });
    expect(e.overload).toEqual({ overloaded: false, reasons: [] });
  });

  it('does not judge the host: a load of 4 per CPU and 2% free memory are information only', () => {
    const busyHost = resources({
      loadAverage: [8, 8, 8],
      cpus: 2,
      memory: { ...resources().memory, freeBytes: 160 * MB, totalBytes: 8192 * MB },
    });
    const e = evaluateHealth(snapshot({ resources: busyHost }), T, { recover: true });
    expect(e.findings).toEqual([]);
    expect(e.overload).toEqual({ overloaded: false, reasons: [] });
  });

  it('judges no schedule-to-start when no activity started since the previous check', () => {
    const idle = resources({
      scheduleToStartMs: { taskQueue: 'q', count: 0, p50: 0, p99: 0, max: 0, sampledMs: 60_000 },
    });
    const t = resolveThresholds(T, { scheduleToStartMs: { degraded: 0, unhealthy: 0 } });
    expect(evaluateHealth(snapshot({ resources: idle }), t, { recover: true }).findings).toEqual([]);
  });

  it('reports an overload when any of the worker’s overload thresholds is reached', () => {
    const t = resolveThresholds(T, { overload: { rssMb: 100 } });
    const e = evaluateHealth(snapshot(), t, { recover: true });
    expect(e.overload).toEqual({ overloaded: true, reasons: ['worker memory 200 MB >= 100 MB'] });

    const strained = resources({
      memory: { ...resources().memory, heapUsedBytes: 4000 * MB },
      scheduleToStartMs: {
        taskQueue: 'q',
        count: 9,
        p50: 30_000,
        p99: 90_000,
        max: 95_000,
        sampledMs: 60_000,
      },
    });
    expect(evaluateHealth(snapshot({ resources: strained }), T, { recover: true }).overload).toEqual({
      overloaded: true,
      reasons: ['heap 98% of its limit >= 97%', 'activities waited p99 90s to start >= 60s'],
    });
  });

  it('is unhealthy when a queue has no poller, degraded when its pollers are stale', () => {
    const s = snapshot();
    if ('error' in s.workers) throw new Error('workers');
    s.workers.queues[2]!.pollers = [];
    s.workers.queues[0]!.pollers = [{ identity: 'old', lastSeen: at(10 * 60_000) }];
    const e = evaluateHealth(s, T, { recover: true });
    expect(e.findings).toEqual([
      { area: 'workers', severity: 'degraded', message: 'no worker polled q (workflow tasks) for 10m' },
      { area: 'workers', severity: 'unhealthy', message: 'no worker polls q-mailerlite (activity tasks)' },
    ]);
  });

  it('marks services down or slow', () => {
    const e = evaluateHealth(
      snapshot({
        services: [
          { service: 'temporal', ok: true, latencyMs: 3, checkedAt: at(0) },
          { service: 'edd', ok: true, latencyMs: 2500, checkedAt: at(0) },
          { service: 'mailerlite', ok: false, latencyMs: 5, checkedAt: at(0), error: 'HTTP 503' },
        ],
      }),
      T,
      { recover: true },
    );
    expect(e.findings).toEqual([
      { area: 'services', severity: 'degraded', message: 'edd answers slowly: 3s' },
      { area: 'services', severity: 'unhealthy', message: 'mailerlite unreachable: HTTP 503' },
    ]);
  });

  it('finds a sync without progress past the threshold as stuck and restarts it', () => {
    const s = snapshot();
    const stale = sync({ progress: { ...sync().progress!, updatedAt: at(11 * 60_000) } });
    s.campaigns = scan({ running: [stale] });
    const e = evaluateHealth(s, T, { recover: true });
    const c = campaignsOf(e);
    expect(c.running[0]!.state).toBe('stuck');
    expect(c.stuck).toEqual([
      expect.objectContaining({
        campaign: '2024_A_B',
        action: 'restart',
        reason: 'no progress for 11m in phase syncing (limit 10m)',
      }),
    ]);
    expect(e.findings).toEqual([expect.objectContaining({ area: 'campaigns', severity: 'degraded' })]);
  });

  it('finds a sync running past stuckRunningAfter as stuck, even with progress', () => {
    const s = snapshot();
    const old = sync({ startedAt: at(7 * 3_600_000) });
    s.campaigns = scan({ running: [old] });
    expect(campaignsOf(evaluateHealth(s, T, { recover: true })).stuck[0]!.reason).toBe(
      'running for 7.0h (limit 6h)',
    );
  });

  it('never counts a sync waiting for a removal approval as stuck', () => {
    const s = snapshot();
    const waiting = sync({
      startedAt: at(20 * 3_600_000),
      progress: { ...sync().progress!, phase: 'awaiting-approval', updatedAt: at(3_600_000) },
    });
    s.campaigns = scan({ running: [waiting] });
    const c = campaignsOf(evaluateHealth(s, T, { recover: true }));
    expect(c.stuck).toEqual([]);
    expect(c.running[0]!.state).toBe('waiting');
  });

  it('fails instead of restarting a sync health restarted already, or when credentials are refused', () => {
    const stale = { ...sync().progress!, updatedAt: at(11 * 60_000) };
    const s = snapshot();
    s.campaigns = scan({ running: [sync({ trigger: `${HEALTH_RESTART_TRIGGER}:cli`, progress: stale })] });
    expect(campaignsOf(evaluateHealth(s, T, { recover: true })).stuck[0]).toMatchObject({
      action: 'fail',
      why: expect.stringMatching(/restarted it already/) as unknown,
    });

    const auth = snapshot({
      services: [
        { service: 'temporal', ok: true, latencyMs: 3, checkedAt: at(0) },
        {
          service: 'edd',
          ok: false,
          latencyMs: 5,
          checkedAt: at(0),
          error: 'bad token',
          errorType: 'ProviderAuthError',
        },
        { service: 'mailerlite', ok: true, latencyMs: 5, checkedAt: at(0) },
      ],
    });
    auth.campaigns = scan({ running: [sync({ progress: stale })] });
    expect(campaignsOf(evaluateHealth(auth, T, { recover: true })).stuck[0]).toMatchObject({
      action: 'fail',
      why: expect.stringMatching(/edd refuses the request \(ProviderAuthError\)/) as unknown,
    });
  });

  it('only reports a stuck sync when no worker polls a queue it needs, or recovery is off', () => {
    const stale = { ...sync().progress!, updatedAt: at(11 * 60_000) };
    const s = snapshot();
    if ('error' in s.workers) throw new Error('workers');
    s.workers.queues[2]!.pollers = [];
    s.campaigns = scan({ running: [sync({ progress: stale })] });
    expect(campaignsOf(evaluateHealth(s, T, { recover: true })).stuck[0]).toMatchObject({
      action: 'report',
      why: expect.stringMatching(/no worker polls q-mailerlite\/activity/) as unknown,
    });
    const off = snapshot();
    off.campaigns = scan({ running: [sync({ progress: stale })] });
    expect(campaignsOf(evaluateHealth(off, T, { recover: false })).stuck[0]!.action).toBe('report');
  });

  it('reports long-held locks and grades recent failures', () => {
    const s = snapshot();
    s.campaigns = scan({
      running: [],
      locks: [
        {
          campaign: '2024_C_D',
          workflowId: 'campaign-sync-2024_C_D',
          runId: 'r',
          startedAt: at(7 * 3_600_000),
          holder: 'transition:x',
        },
      ],
      failuresTotal: 4,
    });
    const e = evaluateHealth(s, T, { recover: true });
    expect(e.findings.map((f) => [f.severity, f.message])).toEqual([
      ['degraded', '2024_C_D has been locked by transition:x for 7.0h'],
      ['degraded', '4 failed syncs in the last 1h'],
    ]);
  });

  it('reports every missing search attribute as unhealthy, with the commands that register them', () => {
    const e = evaluateHealth(
      snapshot({
        services: [
          {
            service: 'temporal',
            ok: true,
            latencyMs: 3,
            checkedAt: at(0),
            namespace: 'marketing',
            healthSearchAttribute: true,
            missingSearchAttributes: [
              { name: 'SyncMode', type: 'KEYWORD' },
              { name: 'SyncStatus', type: 'KEYWORD' },
            ],
          },
        ],
      }),
      T,
      { recover: true },
    );
    expect(e.findings).toEqual([
      {
        area: 'services',
        severity: 'unhealthy',
        message:
          'search attributes SyncMode, SyncStatus not registered in namespace marketing: a sync setting one fails ' +
          'every workflow task until it is; register them with ' +
          'temporal operator search-attribute create --namespace marketing --name SyncMode --type Keyword && ' +
          'temporal operator search-attribute create --namespace marketing --name SyncStatus --type Keyword',
      },
    ]);
  });

  it('reports a sync on a task queue no worker polls as unhealthy, naming what to do, and never restarts it', () => {
    const s = snapshot();
    const orphan = sync({
      campaign: '2024_O_Q',
      workflowId: 'campaign-sync-2024_O_Q',
      taskQueue: 'nobody-polls',
      taskQueuePolled: false,
      progress: undefined,
      progressError: 'no poller',
      startedAt: at(3_600_000),
    });
    s.campaigns = scan({ running: [sync({ taskQueuePolled: true }), orphan] });
    const e = evaluateHealth(s, T, { recover: true });
    const c = campaignsOf(e);
    expect(c.running.map((r) => r.state)).toEqual(['running', 'unpolled']);
    expect(c.stuck).toEqual([]);
    expect(c.unpolled).toEqual([
      {
        campaign: '2024_O_Q',
        workflowId: 'campaign-sync-2024_O_Q',
        runId: 'run-1',
        taskQueue: 'nobody-polls',
        new: true,
      },
    ]);
    expect(e.findings).toEqual([
      {
        area: 'campaigns',
        severity: 'unhealthy',
        message:
          "sync of 2024_O_Q (campaign-sync-2024_O_Q) runs on task queue nobody-polls, which no worker polls: nothing runs it, not even a cancellation, and it holds the campaign's lock; " +
          "start a worker with TEMPORAL_TASK_QUEUE=nobody-polls, or free the lock with 'campaign-sync sync cancel 2024_O_Q --force'",
      },
    ]);
    expect(scoreFindings(e.findings).status).toBe('unhealthy');
    expect(e.carry.unpolledSyncs).toEqual(['campaign-sync-2024_O_Q/run-1']);
    // Found again by the next report: no longer new (its alert was raised once).
    const again = evaluateHealth(s, T, {
      recover: true,
      previous: { workflowId: 'w0', checkedAt: at(60_000), status: 'unhealthy', carry: carry(e.carry) },
    });
    expect(campaignsOf(again).unpolled[0]!.new).toBe(false);
  });

  it('only reports a stuck sync of another deployment’s task queue (its own health recovers it)', () => {
    const stale = { ...sync().progress!, updatedAt: at(11 * 60_000) };
    const s = snapshot();
    s.campaigns = scan({ running: [sync({ taskQueue: 'other', taskQueuePolled: true, progress: stale })] });
    expect(campaignsOf(evaluateHealth(s, T, { recover: true })).stuck[0]).toMatchObject({
      action: 'report',
      why: 'it runs on task queue other, whose own health check recovers it',
    });
  });

  it('records a check that could not be made as degraded, and leaves overload unknown', () => {
    const e = evaluateHealth(snapshot({ resources: { error: 'timeout' }, campaigns: { error: 'boom' } }), T, {
      recover: true,
    });
    expect(e.overload).toBeNull();
    expect(e.findings.map((f) => f.severity)).toEqual(['degraded', 'degraded']);
  });
});

describe('cadence', () => {
  const HOUR = 3_600_000;
  function check(over: Partial<CadenceCheck['campaigns'][number]> = {}): CadenceCheck {
    return {
      checkedAt: at(0),
      campaigns: [
        {
          campaign: '2024_A_B',
          source: 'schedule',
          scheduleId: 'campaign-sync-schedule-2024_A_B',
          intervalMs: HOUR,
          runAllowanceMs: HOUR,
          overdueAfterMs: 2 * HOUR,
          lastSuccessAt: at(30 * 60_000),
          expectedSince: at(30 * 86_400_000),
          ...over,
        },
      ],
    };
  }
  const prev = (c: Partial<HealthReport['carry']>, checkedAt = at(5 * 60_000)) => ({
    workflowId: 'w0',
    checkedAt,
    status: 'healthy' as HealthStatus,
    carry: carry(c),
  });

  it('is on time within interval + run allowance of the last success, overdue past it', () => {
    expect(judgeCadence(check(), undefined).entries[0]).toMatchObject({ overdue: false });
    expect(judgeCadence(check({ lastSuccessAt: at(2 * HOUR - 1000) }), undefined).entries[0]!.overdue).toBe(
      false,
    );
    const late = judgeCadence(check({ lastSuccessAt: at(2 * HOUR + 1000) }), undefined).entries[0]!;
    expect(late).toMatchObject({ overdue: true, change: 'became-overdue' });
  });

  it('raises its change once: overdue again in the next report is no change; a new success is', () => {
    const judged = { overdueCampaigns: ['2024_A_B'], cadenceSince: { '2024_A_B': at(30 * 86_400_000) } };
    const late = check({ lastSuccessAt: at(3 * HOUR) });
    const still = judgeCadence(late, prev(judged)).entries[0]!;
    expect(still.overdue).toBe(true);
    expect(still.change).toBeUndefined();
    const back = judgeCadence(check({ lastSuccessAt: at(60_000) }), prev(judged));
    expect(back.entries[0]).toMatchObject({ overdue: false, change: 'synced-again' });
  });

  it('counts a schedule that never succeeded from its creation, and a newly judged one from the previous report', () => {
    const never = check({ lastSuccessAt: null, expectedSince: at(3 * HOUR) });
    expect(judgeCadence(never, undefined).entries[0]).toMatchObject({ overdue: true, lastSuccessAt: null });
    const young = check({ lastSuccessAt: null, expectedSince: at(HOUR) });
    expect(judgeCadence(young, undefined).entries[0]!.overdue).toBe(false);
    // Unpaused a minute ago after a week: the previous report (5 minutes ago) did not judge it.
    const unpaused = check({ lastSuccessAt: at(7 * 86_400_000) });
    const judged = judgeCadence(unpaused, prev({}));
    expect(judged.entries[0]).toMatchObject({ overdue: false, expectedSince: at(5 * 60_000) });
    expect(judged.since['2024_A_B']).toBe(at(5 * 60_000));
    // ... and keeps that start while it stays judged.
    const later = judgeCadence(
      { ...unpaused, checkedAt: at(0) },
      prev({ cadenceSince: { '2024_A_B': at(3 * HOUR) } }),
    );
    expect(later.entries[0]).toMatchObject({ overdue: true, change: 'became-overdue' });
  });

  it('makes an overdue campaign a degraded finding, and carries the overdue set', () => {
    const s = snapshot({ cadence: check({ lastSuccessAt: at(3 * HOUR) }) });
    const e = evaluateHealth(s, T, { recover: true });
    expect(e.findings).toEqual([
      {
        area: 'campaigns',
        severity: 'degraded',
        message:
          'campaign 2024_A_B has not synced successfully for 3.0h (expected every 60m by its schedule ' +
          `campaign-sync-schedule-2024_A_B; overdue after 2.0h; last success ${at(3 * HOUR)})`,
      },
    ]);
    expect(campaignsOf(e).cadence[0]).toMatchObject({ campaign: '2024_A_B', overdue: true });
    expect(e.carry.overdueCampaigns).toEqual(['2024_A_B']);
    // A cadence that could not be checked keeps the previous set (no second alert later).
    const failed = evaluateHealth(snapshot({ cadence: { error: 'boom' } }), T, {
      recover: true,
      previous: prev({ overdueCampaigns: ['2024_A_B'] }),
    });
    expect(failed.carry.overdueCampaigns).toEqual(['2024_A_B']);
    expect(campaignsOf(failed).cadenceError).toBe('boom');
  });
});

describe('status alerts (hysteresis)', () => {
  const trend = (status: HealthStatus, recent: HealthStatus[], announced?: HealthStatus) =>
    statusTrend({ status, recentStatuses: recent, alertAfterRuns: 2, ...(announced ? { announced } : {}) });

  it('announce a new status once it has held for N runs, and only once', () => {
    expect(trend('degraded', ['healthy'], 'healthy')).toEqual({
      streak: 1,
      alertAfterRuns: 2,
      announced: 'healthy',
    });
    expect(trend('degraded', ['degraded', 'healthy'], 'healthy')).toEqual({
      streak: 2,
      alertAfterRuns: 2,
      announced: 'degraded',
      changedFrom: 'healthy',
    });
    expect(trend('degraded', ['degraded', 'degraded'], 'degraded').changedFrom).toBeUndefined();
    expect(trend('healthy', ['healthy', 'degraded'], 'degraded')).toMatchObject({
      announced: 'healthy',
      changedFrom: 'degraded',
    });
  });

  it('announce nothing while a signal alternates between two statuses at every run', () => {
    let announced: HealthStatus = 'healthy';
    const history: HealthStatus[] = [];
    const changes: string[] = [];
    for (let run = 0; run < 12; run++) {
      const status: HealthStatus = run % 2 === 0 ? 'degraded' : 'healthy';
      const t = trend(status, history, announced);
      if (t.changedFrom) changes.push(`${t.changedFrom}->${status}`);
      announced = t.announced;
      history.unshift(status);
    }
    expect(changes).toEqual([]);
  });

  it('without a previous announcement, take the newest status that held N runs as the baseline', () => {
    expect(trend('degraded', ['degraded', 'healthy', 'healthy']).changedFrom).toBe('healthy');
    expect(trend('degraded', ['degraded', 'degraded', 'healthy']).changedFrom).toBeUndefined();
    expect(trend('degraded', []).changedFrom).toBeUndefined();
    expect(statusTrend({ status: 'degraded', recentStatuses: [], alertAfterRuns: 1 }).changedFrom).toBe(
      'healthy',
    );
  });
});

describe('thresholds', () => {
  it('merges a run’s overrides level by level and validates the result', () => {
    const t = resolveThresholds(T, { rssMb: { degraded: 10 }, stuckNoProgressAfter: '2s' });
    expect(t.rssMb).toEqual({ degraded: 10, unhealthy: 2048 });
    expect(t.stuckNoProgressAfter).toBe('2s');
    expect(() => resolveThresholds(T, { rssMb: { degraded: 5000 } })).toThrow(
      /unhealthy must be at least degraded/,
    );
    expect(() => resolveThresholds(T, { statusAlertAfterRuns: 0 })).toThrow(/statusAlertAfterRuns/);
  });

  it('come from HEALTH_* variables, defaults where unset', () => {
    const config = loadConfig({
      HEALTH_RSS_MB: '512,1024',
      HEALTH_STUCK_NO_PROGRESS_AFTER: '5m',
      HEALTH_OVERLOAD_SCHEDULE_TO_START_MS: '90000',
      HEALTH_OVERLOAD_HEAP_USED_RATIO: '0.9',
      HEALTH_SCHEDULE_TO_START_MS: '1000,10000',
      HEALTH_STATUS_ALERT_AFTER: '3',
      HEALTH_SYNC_OVERDUE_AFTER: '1d',
      HEALTH_WEBHOOK_URL: 'http://hooks.example/x',
    });
    const settings = healthSettingsFrom(config);
    expect(settings.thresholds).toEqual({
      ...T,
      rssMb: { degraded: 512, unhealthy: 1024 },
      stuckNoProgressAfter: '5m',
      scheduleToStartMs: { degraded: 1000, unhealthy: 10_000 },
      overload: { ...T.overload, scheduleToStartMs: 90_000, heapUsedRatio: 0.9 },
      statusAlertAfterRuns: 3,
      syncOverdueAfter: '1d',
    });
    expect(settings.webhookUrl).toBe('http://hooks.example/x');
    expect(settings.pauseOnOverload).toBe(false);
    expect(settings.intervalMs).toBe(5 * 60_000);
    expect(config.HEALTH_INTERVAL).toBe('5m');
    expect(config.HEALTH_SCHEDULE).toBe(true);
    expect(loadConfig({ HEALTH_SCHEDULE: 'off' }).HEALTH_SCHEDULE).toBe(false);
    expect(healthSettingsFrom(loadConfig({ HEALTH_PAUSE_ON_OVERLOAD: 'on' })).pauseOnOverload).toBe(true);
    expect(() => loadConfig({ HEALTH_PAUSE_ON_OVERLOAD: 'yes' })).toThrow(/HEALTH_PAUSE_ON_OVERLOAD/);
    expect(() => loadConfig({ HEALTH_RSS_MB: 'lots' })).toThrow(/HEALTH_RSS_MB: must be two numbers/);
    expect(() => loadConfig({ HEALTH_INTERVAL: '0s' })).toThrow(/HEALTH_INTERVAL/);
    // A wrong value names the variable to fix, not the threshold inside.
    expect(() => loadConfig({ HEALTH_STATUS_ALERT_AFTER: '0' })).toThrow(
      /HEALTH_STATUS_ALERT_AFTER: must be a whole number of at least 1/,
    );
    expect(() => loadConfig({ HEALTH_RSS_MB: '2048,1024' })).toThrow(
      /HEALTH_\* thresholds contradict each other: rssMb: unhealthy must be at least degraded/,
    );
  });

  it('thresholds on the host are gone: its load and free memory are not judged', () => {
    expect(Object.keys(T)).not.toEqual(expect.arrayContaining(['loadPerCpu']));
    expect(Object.keys(T)).not.toContain('freeMemoryRatio');
    expect(Object.keys(T.overload).sort()).toEqual(
      ['eventLoopDelayMs', 'heapUsedRatio', 'rssMb', 'scheduleToStartMs'].sort(),
    );
  });

  it('config check lists every health variable with its default', () => {
    const check = checkConfig({});
    const byName = Object.fromEntries(check.variables.map((v) => [v.name, v]));
    expect(byName.HEALTH_INTERVAL).toMatchObject({ value: '5m', source: 'default' });
    expect(byName.HEALTH_PAUSE_ON_OVERLOAD).toMatchObject({ value: 'false', source: 'default' });
    expect(byName.HEALTH_STATUS_ALERT_AFTER).toMatchObject({ value: '2', source: 'default' });
    expect(byName.HEALTH_SCHEDULE_TO_START_MS).toMatchObject({ value: '5000,30000', source: 'default' });
    expect(byName.HEALTH_OVERLOAD_HEAP_USED_RATIO).toMatchObject({ value: '0.97', source: 'default' });
    expect(byName.HEALTH_OVERLOAD_SCHEDULE_TO_START_MS).toMatchObject({ value: '60000', source: 'default' });
    expect(byName.HEALTH_SYNC_OVERDUE_AFTER).toMatchObject({ source: 'unset' });
    expect(byName.HEALTH_LOAD_PER_CPU).toBeUndefined();
    expect(byName.HEALTH_FREE_MEMORY_RATIO).toBeUndefined();
  });
});

describe('alerts', () => {
  const overload = (over: Partial<HealthReport['overload']> = {}): HealthReport['overload'] => ({
    overloaded: false,
    reasons: [],
    pauseOnOverload: false,
    paused: [],
    resumed: [],
    keptPaused: [],
    held: [],
    ...over,
  });
  function report(over: Partial<HealthReport>): Omit<HealthReport, 'alerts'> {
    return {
      status: 'healthy',
      score: 100,
      checkedAt: at(0),
      durationMs: 10,
      workflowId: 'w',
      runId: 'r',
      trigger: 't',
      taskQueue: 'q',
      statusTrend: { streak: 1, alertAfterRuns: 2, announced: 'healthy' },
      thresholds: T,
      findings: [],
      workers: { queues: [], workers: [] },
      resources: resources(),
      services: [],
      campaigns: { error: 'x' },
      overload: overload(),
      carry: carry(),
      ...over,
    };
  }
  function section(over: Partial<CampaignsSection>): CampaignsSection {
    return {
      running: [],
      runningOmitted: 0,
      stuck: [],
      longLocks: [],
      locks: 0,
      failures: [],
      failuresTotal: 0,
      failuresSince: at(3_600_000),
      recovered: { restarted: 0, failed: 0 },
      unpolled: [],
      cadence: [],
      ...over,
    };
  }

  it('alert on a change of status once it has held, including back to healthy', () => {
    const degraded = {
      status: 'degraded' as const,
      score: 90,
      findings: [{ area: 'resources' as const, severity: 'degraded' as const, message: 'heap 90%' }],
    };
    expect(healthAlerts(report({}))).toEqual([]);
    // Degraded for one check: not announced yet.
    expect(healthAlerts(report({ ...degraded, previousStatus: 'healthy' }))).toEqual([]);
    expect(
      healthAlerts(
        report({
          ...degraded,
          statusTrend: { streak: 2, alertAfterRuns: 2, announced: 'degraded', changedFrom: 'healthy' },
        }),
      ),
    ).toEqual([
      {
        kind: 'status',
        severity: 'degraded',
        message: 'campaign-sync is degraded (score 90, 2 checks in a row; was healthy): heap 90%',
      },
    ]);
    expect(
      healthAlerts(
        report({
          previousStatus: 'healthy',
          statusTrend: { streak: 2, alertAfterRuns: 2, announced: 'healthy', changedFrom: 'unhealthy' },
        }),
      ),
    ).toEqual([
      {
        kind: 'status',
        severity: 'info',
        message: 'campaign-sync is healthy again (score 100, 2 checks in a row; was unhealthy)',
      },
    ]);
  });

  it('alerts a stuck sync left running once, not again at each check while it stays stuck', () => {
    const s = snapshot();
    s.campaigns = scan({
      running: [sync({ progress: { ...sync().progress!, updatedAt: at(11 * 60_000) } })],
    });
    const first = evaluateHealth(s, T, { recover: false });
    expect(campaignsOf(first).stuck[0]).toMatchObject({ action: 'report', new: true });
    const previous = {
      workflowId: 'w',
      checkedAt: at(0),
      status: 'degraded' as const,
      carry: { ...first.carry, announcedStatus: 'degraded' as const, heldPaused: [] },
    };
    const second = evaluateHealth(s, T, { recover: false, previous });
    expect(campaignsOf(second).stuck[0]).toMatchObject({ action: 'report', new: false });
    // Still a finding at every check; an alert only the first time.
    expect(second.findings).toEqual([expect.objectContaining({ area: 'campaigns', severity: 'degraded' })]);
    const alertsOf = (e: typeof first) =>
      healthAlerts(report({ status: 'degraded', campaigns: campaignsOf(e) })).filter(
        (a) => a.kind === 'stuck-sync',
      );
    expect(alertsOf(first)).toHaveLength(1);
    expect(alertsOf(second)).toEqual([]);
  });

  it('alert once on a sync nobody runs, and on a campaign that becomes overdue and syncs again', () => {
    const alerts = healthAlerts(
      report({
        campaigns: section({
          unpolled: [
            { campaign: 'C1', workflowId: 'campaign-sync-C1', runId: 'r1', taskQueue: 'tq-x', new: true },
            { campaign: 'C2', workflowId: 'campaign-sync-C2', runId: 'r2', taskQueue: 'tq-x', new: false },
          ],
          cadence: [
            {
              campaign: 'C3',
              source: 'schedule',
              scheduleId: 'campaign-sync-schedule-C3',
              intervalMs: 3_600_000,
              overdueAfterMs: 7_200_000,
              lastSuccessAt: at(3 * 3_600_000),
              expectedSince: at(86_400_000),
              overdue: true,
              change: 'became-overdue',
            },
            {
              campaign: 'C4',
              source: 'setting',
              overdueAfterMs: 86_400_000,
              lastSuccessAt: at(60_000),
              expectedSince: at(86_400_000),
              overdue: false,
              change: 'synced-again',
            },
            {
              campaign: 'C5',
              source: 'setting',
              overdueAfterMs: 60_000,
              lastSuccessAt: null,
              expectedSince: at(86_400_000),
              overdue: true,
            },
          ],
        }),
      }),
    );
    expect(alerts).toEqual([
      {
        kind: 'unpolled-queue',
        severity: 'unhealthy',
        message:
          "sync of C1 (campaign-sync-C1, run r1) waits on task queue tq-x, which no worker polls: it holds the campaign's lock and nothing runs it, not even a cancellation; " +
          "start a worker with TEMPORAL_TASK_QUEUE=tq-x, or free the lock with 'campaign-sync sync cancel C1 --force'",
      },
      {
        kind: 'sync-overdue',
        severity: 'degraded',
        message:
          'campaign C3 has not synced successfully for 3.0h (expected every 60m by its schedule campaign-sync-schedule-C3; ' +
          `overdue after 2.0h; last success ${at(3 * 3_600_000)}); ` +
          "look with 'campaign-sync schedule describe C3' and 'campaign-sync sync status C3'",
      },
      {
        kind: 'sync-caught-up',
        severity: 'info',
        message: `campaign C4 synced successfully again at ${at(60_000)} (it was overdue)`,
      },
    ]);
  });

  it('alert on overload pauses and resumes', () => {
    const alerts = healthAlerts(
      report({
        previousStatus: 'healthy',
        overload: overload({
          overloaded: true,
          reasons: ['event-loop delay p99 2500 ms >= 2000 ms'],
          pauseOnOverload: true,
          paused: ['s1'],
          held: ['s1'],
        }),
      }),
    );
    expect(alerts.map((a) => a.kind)).toEqual(['overload-paused']);
    expect(
      healthAlerts(report({ previousStatus: 'healthy', overload: overload({ resumed: ['s1'] }) })).map(
        (a) => a.kind,
      ),
    ).toEqual(['overload-resumed']);
  });

  it('carry no email addresses', () => {
    expect(scrubPersonalData('refused jane.doe@example.com and <x@y.org>')).toBe(
      'refused j***@example.com and <x***@y.org>',
    );
  });
});

describe('mergeCarry', () => {
  const held = (campaign: string) => ({
    scheduleId: `campaign-sync-schedule-${campaign}`,
    campaign,
    pausedAt: at(0),
    conflictToken: 'ab',
  });
  const previous = {
    announcedStatus: 'degraded' as const,
    heldPaused: [held('2024_A_B'), held('2025_X_Y')],
    overdueCampaigns: ['2024_A_B', '2025_X_Y'],
    unpolledSyncs: ['campaign-sync-2024_A_B/r1', 'campaign-sync-2025_X_Y/r2'],
    stuckSyncs: ['campaign-sync-2025_X_Y/r3'],
    cadenceSince: { '2024_A_B': at(1), '2025_X_Y': at(2) },
  };

  it('a whole check hands on what it learnt, all of it', () => {
    const next = {
      ...previous,
      heldPaused: [],
      overdueCampaigns: [],
      unpolledSyncs: [],
      stuckSyncs: [],
      cadenceSince: {},
    };
    expect(mergeCarry(previous, next, undefined)).toEqual(next);
  });

  it('a check limited to a prefix replaces what it knows of those campaigns, and keeps the rest', () => {
    const next = {
      announcedStatus: 'healthy' as const,
      heldPaused: [],
      overdueCampaigns: [],
      unpolledSyncs: ['campaign-sync-2024_A_B/r9'],
      stuckSyncs: [],
      cadenceSince: { '2024_A_B': at(5) },
    };
    expect(mergeCarry(previous, next, '2024_')).toEqual({
      announcedStatus: 'healthy',
      heldPaused: [held('2025_X_Y')],
      overdueCampaigns: ['2025_X_Y'],
      unpolledSyncs: ['campaign-sync-2025_X_Y/r2', 'campaign-sync-2024_A_B/r9'],
      stuckSyncs: ['campaign-sync-2025_X_Y/r3'],
      cadenceSince: { '2024_A_B': at(5), '2025_X_Y': at(2) },
    });
  });
});
