import { healthSettingsFrom } from '../../src/config/health';
import { loadConfig } from '../../src/config';
import {
  DEFAULT_HEALTH_THRESHOLDS,
  evaluateHealth,
  healthAlerts,
  HEALTH_RESTART_TRIGGER,
  resolveThresholds,
  scoreFindings,
  scrubPersonalData,
  type CampaignScan,
  type CampaignsSection,
  type HealthReport,
  type HealthSnapshot,
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

  it('grades resources against the degraded and unhealthy levels (free memory: lower is worse)', () => {
    const r = resources({
      memory: { ...resources().memory, rssBytes: 1500 * MB, freeBytes: 300 * MB, totalBytes: 8192 * MB },
      loadAverage: [7, 1, 1],
      eventLoopDelayMs: { mean: 50, p50: 40, p99: 250, max: 300, sampledMs: 1000 },
    });
    const e = evaluateHealth(snapshot({ resources: r }), T, { recover: true });
    const bySeverity = Object.fromEntries(
      e.findings.map((f) => [f.message.split(' ')[0]! + f.message.split(' ')[1], f.severity]),
    );
    expect(bySeverity).toMatchObject({
      workermemory: 'degraded', // 1500 MB: >= 1024, < 2048
      'load3.50': 'unhealthy', // 7 / 2 CPUs >= 3
      freememory: 'unhealthy', // 3.7% <= 5%
      'event-loopdelay': 'degraded', // 250 ms >= 200
    });
    expect(scoreFindings(e.findings)).toEqual({ status: 'unhealthy', score: 100 - 10 - 30 - 30 - 10 });
    expect(e.overload).toEqual({ overloaded: false, reasons: [] });
  });

  it('reports an overload when any overload threshold is reached', () => {
    const t = resolveThresholds(T, { overload: { rssMb: 100 } });
    const e = evaluateHealth(snapshot(), t, { recover: true });
    expect(e.overload).toEqual({ overloaded: true, reasons: ['worker memory 200 MB >= 100 MB'] });
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

  it('records a check that could not be made as degraded, and leaves overload unknown', () => {
    const e = evaluateHealth(snapshot({ resources: { error: 'timeout' }, campaigns: { error: 'boom' } }), T, {
      recover: true,
    });
    expect(e.overload).toBeNull();
    expect(e.findings.map((f) => f.severity)).toEqual(['degraded', 'degraded']);
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
    expect(() => resolveThresholds(T, { freeMemoryRatio: { unhealthy: 0.5 } })).toThrow(/lower is worse/);
  });

  it('come from HEALTH_* variables, defaults where unset', () => {
    const config = loadConfig({
      HEALTH_RSS_MB: '512,1024',
      HEALTH_STUCK_NO_PROGRESS_AFTER: '5m',
      HEALTH_OVERLOAD_LOAD_PER_CPU: '8',
      HEALTH_WEBHOOK_URL: 'http://hooks.example/x',
    });
    const settings = healthSettingsFrom(config);
    expect(settings.thresholds).toEqual({
      ...T,
      rssMb: { degraded: 512, unhealthy: 1024 },
      stuckNoProgressAfter: '5m',
      overload: { ...T.overload, loadPerCpu: 8 },
    });
    expect(settings.webhookUrl).toBe('http://hooks.example/x');
    expect(config.HEALTH_INTERVAL).toBe('1m');
    expect(config.HEALTH_SCHEDULE).toBe(true);
    expect(loadConfig({ HEALTH_SCHEDULE: 'off' }).HEALTH_SCHEDULE).toBe(false);
    expect(() => loadConfig({ HEALTH_RSS_MB: 'lots' })).toThrow(/HEALTH_RSS_MB: must be two numbers/);
    expect(() => loadConfig({ HEALTH_INTERVAL: '0s' })).toThrow(/HEALTH_INTERVAL/);
    expect(() => loadConfig({ HEALTH_RSS_MB: '2048,1024' })).toThrow(
      /HEALTH_\* thresholds contradict each other: rssMb: unhealthy must be at least degraded/,
    );
  });
});

describe('alerts', () => {
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
      thresholds: T,
      findings: [],
      workers: { queues: [], workers: [] },
      resources: resources(),
      services: [],
      campaigns: { error: 'x' },
      overload: { overloaded: false, reasons: [], paused: [], resumed: [], keptPaused: [] },
      ...over,
    };
  }

  it('alert on a change of status only, including back to healthy', () => {
    const degraded = {
      status: 'degraded' as const,
      score: 90,
      findings: [{ area: 'resources' as const, severity: 'degraded' as const, message: 'heap 90%' }],
    };
    expect(healthAlerts(report({}))).toEqual([]);
    expect(healthAlerts(report({ ...degraded }))).toEqual([
      { kind: 'status', severity: 'degraded', message: 'campaign-sync is degraded (score 90): heap 90%' },
    ]);
    expect(healthAlerts(report({ ...degraded, previousStatus: 'degraded' }))).toEqual([]);
    expect(healthAlerts(report({ previousStatus: 'unhealthy' }))).toEqual([
      {
        kind: 'status',
        severity: 'info',
        message: 'campaign-sync is healthy again (score 100; was unhealthy)',
      },
    ]);
  });

  it('alert on overload pauses and resumes', () => {
    const alerts = healthAlerts(
      report({
        previousStatus: 'healthy',
        overload: {
          overloaded: true,
          reasons: ['load 5 per CPU >= 4'],
          paused: ['s1'],
          resumed: [],
          keptPaused: [],
        },
      }),
    );
    expect(alerts.map((a) => a.kind)).toEqual(['overload-paused']);
    expect(
      healthAlerts(
        report({
          previousStatus: 'healthy',
          overload: { overloaded: false, reasons: [], paused: [], resumed: ['s1'], keptPaused: [] },
        }),
      ).map((a) => a.kind),
    ).toEqual(['overload-resumed']);
  });

  it('carry no email addresses', () => {
    expect(scrubPersonalData('refused jane.doe@example.com and <x@y.org>')).toBe(
      'refused j***@example.com and <x***@y.org>',
    );
  });
});
