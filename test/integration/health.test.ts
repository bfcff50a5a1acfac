import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Duration } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import type { HealthWebhookPayload } from '../../src/activities';
import { formatHealthReport } from '../../src/client/health';
import { installHealthSchedule, runHealthNow } from '../../src/temporal/health-schedule';
import { statusAlarms, type SystemStatus } from '../../src/client/status';
import { startSync } from '../../src/temporal/sync-start';
import { listCampaignSyncSchedules } from '../../src/temporal/system';
import {
  HEALTH_RESTART_TRIGGER,
  isCheckError,
  type CampaignsSection,
  type HealthInput,
  type HealthReport,
  type ResourceCheck,
  type WorkersSection,
} from '../../src/shared/health';
import {
  healthScheduleId,
  launcherWorkflowId,
  mailerliteTaskQueue,
  syncScheduleId,
  syncWorkflowId,
  WORKFLOW_TYPES,
} from '../../src/shared/names';
import { HEALTH_STATUS, SEARCH_ATTRIBUTES, SYNC_TRIGGER } from '../../src/shared/search-attributes';
import type { SyncSummary } from '../../src/shared/sync-types';
import { SyncWorkers } from '../../src/workers/create-worker';
import { albumOf, setFaults, uniqueCampaign, type Stack } from '../helpers/stack';
import { eventually } from '../helpers/eventually';
import { useIntegrationStack } from '../helpers/integration';
import { uniqueTaskQueue, withWorker } from '../helpers/temporal';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

const { temporal, cli, startStack } = useIntegrationStack({ stack: false });
/** Clean-ups of the current test (webhook receivers), run after it whatever its outcome. */
const afterThis: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanUp of afterThis.splice(0)) await cleanUp();
});

/** The test's stack (closed after it), its activities with the given client. */
function newStack(env: Record<string, string> = {}, customers = 300, client: Client = temporal.client) {
  return startStack({ customers, temporal: { client }, env });
}

/**
 * A campaign code prefix of one test's own. Health counts every running sync of the namespace,
 * whatever its task queue, and other test files run beside this one: each health run below is
 * limited to its test's campaigns with `campaignPrefix`.
 */
function campaignFamily(): { prefix: string; campaign: (suffix: string) => string } {
  const prefix = `2099_H${randomBytes(4).toString('hex').toUpperCase()}_`;
  return { prefix, campaign: (suffix) => `${prefix}${suffix}` };
}

/** A real HTTP server receiving the health webhook: answers `statuses` in turn, then 200. */
async function webhookReceiver(statuses: number[] = []) {
  const received: { status: number; body: HealthWebhookPayload; contentType?: string }[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      const status = statuses[received.length] ?? 200;
      received.push({
        status,
        body: JSON.parse(data) as HealthWebhookPayload,
        ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
      });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/health`,
    received,
    /**
     * The health alerts delivered (answered 2xx). The same URL may also get other notifications
     * (a failed sync's), which are not health's.
     */
    alerts: () =>
      received.filter((r) => r.status < 300 && r.body.kind === 'health-alert').flatMap((r) => r.body.alerts),
    close: () =>
      new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();
      }),
  };
}

function campaignsOf(r: HealthReport): CampaignsSection {
  if (isCheckError(r.campaigns)) throw new Error(`campaigns not scanned: ${r.campaigns.error}`);
  return r.campaigns;
}
function workersOf(r: HealthReport): WorkersSection {
  if (isCheckError(r.workers)) throw new Error(`workers not checked: ${r.workers.error}`);
  return r.workers;
}
function resourcesOf(r: HealthReport): ResourceCheck {
  if (isCheckError(r.resources)) throw new Error(`resources not checked: ${r.resources.error}`);
  return r.resources;
}

async function clearFaults(url: string): Promise<void> {
  const res = await fetch(`${url}/_admin/faults`, { method: 'DELETE' });
  if (res.status !== 204) throw new Error(`DELETE /_admin/faults: HTTP ${res.status}`);
}

async function metricValue(s: Stack, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = await s.metrics.registry.getSingleMetric(name)?.get();
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return match?.value ?? 0;
}

/** A campaign sync schedule as `campaign create --every` makes one (its action the launcher), on `taskQueue`. */
async function createSyncSchedule(
  client: Client,
  taskQueue: string,
  campaign: string,
  state?: { paused?: boolean; note: string },
  opts: { every?: string; cron?: string; timeout?: string } = {},
) {
  const handle = await client.schedule.create({
    scheduleId: syncScheduleId(campaign),
    spec: opts.cron
      ? { cronExpressions: [opts.cron] }
      : { intervals: [{ every: (opts.every ?? '1h') as Duration }] },
    action: {
      type: 'startWorkflow',
      workflowType: WORKFLOW_TYPES.scheduledCampaignSync,
      taskQueue,
      workflowId: launcherWorkflowId(campaign),
      args: [{ campaign, ...(opts.timeout ? { timeout: opts.timeout } : {}) }],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    ...(state ? { state } : {}),
  });
  return handle;
}

/** The workflow bundle the global setup built. */
function readBundle(): string {
  return readFileSync(process.env.CAMPAIGN_SYNC_TEST_BUNDLE!, 'utf8');
}

/**
 * Thresholds that let only the measure a test sets decide the status: a busy 2-core test machine
 * may have a slow event loop or a slow service now and then.
 */
const CALM = {
  heapUsedRatio: { degraded: 1, unhealthy: 1 },
  eventLoopDelayMs: { degraded: 1e9, unhealthy: 1e9 },
  scheduleToStartMs: { degraded: 1e9, unhealthy: 1e9 },
  serviceLatencyMs: { degraded: 1e9, unhealthy: 1e9 },
};

/** A health run now, limited to one test's campaigns. */
function healthRun(tq: string, prefix: string, input: HealthInput = {}): Promise<HealthReport> {
  return runHealthNow(temporal.client, { taskQueue: tq, input: { campaignPrefix: prefix, ...input } });
}

/** Waits until visibility lists a run matching `query`. */
async function listed(query: string): Promise<void> {
  await eventually(`a run matching ${query}`, async () => {
    for await (const _ of temporal.client.workflow.list({ query })) return true;
    return undefined;
  });
}

describe('the health schedule', () => {
  it('is installed idempotently with its interval, and its runs record a report', async () => {
    const s = await newStack();
    await withWorker(temporal, s.activities, async (tq) => {
      const scheduleId = healthScheduleId(tq);
      try {
        expect(await installHealthSchedule(temporal.client, { taskQueue: tq, every: '1m' })).toEqual({
          scheduleId,
          every: '1m',
          outcome: 'created',
        });
        const handle = temporal.client.schedule.getHandle(scheduleId);
        const described = await handle.describe();
        expect(described.spec.intervals).toEqual([expect.objectContaining({ every: 60_000 })]);
        expect(described.action).toMatchObject({
          type: 'startWorkflow',
          workflowType: WORKFLOW_TYPES.systemHealth,
          taskQueue: tq,
          workflowId: scheduleId,
          // The Web UI's list shows it, so the syncs stand out among the health checks.
          staticSummary: 'health check (schedule)',
        });
        expect(described.policies.overlap).toBe(ScheduleOverlapPolicy.SKIP);

        // Installing again changes nothing; another interval updates the same schedule.
        expect((await installHealthSchedule(temporal.client, { taskQueue: tq, every: '1m' })).outcome).toBe(
          'unchanged',
        );
        expect((await installHealthSchedule(temporal.client, { taskQueue: tq, every: '2m' })).outcome).toBe(
          'updated',
        );
        expect((await handle.describe()).spec.intervals).toEqual([
          expect.objectContaining({ every: 120_000 }),
        ]);
        const listed = await eventually('the schedule in the listing', async () => {
          const ids: string[] = [];
          for await (const sc of temporal.client.schedule.list())
            if (sc.scheduleId === scheduleId) ids.push(sc.scheduleId);
          return ids.length > 0 ? ids : undefined;
        });
        expect(listed).toEqual([scheduleId]);

        // A scheduled run: its result is the report, its HealthStatus search attribute its status.
        await handle.trigger(ScheduleOverlapPolicy.SKIP);
        const run = await eventually('a scheduled health run', async () => {
          for await (const r of temporal.client.workflow.list({
            query: `WorkflowType = '${WORKFLOW_TYPES.systemHealth}' AND TaskQueue = '${tq}'`,
          }))
            return r;
          return undefined;
        });
        expect(run.workflowId.startsWith(`${scheduleId}-`)).toBe(true);
        const report = await temporal.client.workflow
          .getHandle<() => Promise<HealthReport>>(run.workflowId, run.runId)
          .result();
        expect(report.trigger).toBe(`schedule:${scheduleId}`);
        expect(report.taskQueue).toBe(tq);
        expect(['healthy', 'degraded', 'unhealthy']).toContain(report.status);
        // Every section is there (their contents are checked in detail below).
        expect(workersOf(report).queues.map((q) => q.pollers > 0)).toEqual([true, true, true]);
        expect(resourcesOf(report).memory.rssBytes).toBeGreaterThan(0);
        expect(report.services.map((x) => [x.service, x.ok])).toEqual([
          ['temporal', true],
          ['edd', true],
          ['mailerlite', true],
        ]);
        // A scheduled run scans every campaign; none of this queue's.
        const mine = campaignsOf(report);
        expect(mine.running.filter((r) => r.taskQueue === tq)).toEqual([]);
        expect(mine.failuresTotal).toBe(0);
        expect(typeof report.overload.overloaded).toBe('boolean');
        const described2 = await temporal.client.workflow.getHandle(run.workflowId, run.runId).describe();
        expect(described2.typedSearchAttributes.get(HEALTH_STATUS)).toBe(report.status);
        expect(await described2.staticSummary()).toBe('health check (schedule)');
      } finally {
        await temporal.client.schedule
          .getHandle(scheduleId)
          .delete()
          .catch(() => undefined);
      }
    });
  });
});

describe('the worker process', () => {
  it('installs the health schedule at start (HEALTH_INTERVAL), idempotently', async () => {
    const s = await newStack();
    const tq = `health-worker-${uniqueCampaign()}`;
    const scheduleId = healthScheduleId(tq);
    const start = () =>
      startWorkerProcess(temporal.address, tq, s, 0, { HEALTH_SCHEDULE: 'on', HEALTH_INTERVAL: '90s' });
    const installed = async (w: WorkerProcess) =>
      eventually('the install log line', () =>
        /"msg":"health schedule (installed|not installed)"/.test(w.output()) ? w.output() : undefined,
      );
    try {
      const first = await start();
      try {
        expect(await installed(first)).toMatch(/"outcome":"created".*"msg":"health schedule installed"/);
      } finally {
        expect(await first.stop()).toBe(0);
      }
      const described = await temporal.client.schedule.getHandle(scheduleId).describe();
      expect(described.spec.intervals).toEqual([expect.objectContaining({ every: 90_000 }) as unknown]);
      expect(described.action).toMatchObject({ workflowType: WORKFLOW_TYPES.systemHealth, taskQueue: tq });

      // A second start (a restart, another worker) leaves the one schedule as it is.
      const second = await start();
      try {
        expect(await installed(second)).toMatch(/"outcome":"unchanged".*"msg":"health schedule installed"/);
      } finally {
        expect(await second.stop()).toBe(0);
      }
    } finally {
      await temporal.client.schedule
        .getHandle(scheduleId)
        .delete()
        .catch(() => undefined);
    }
  });
});

describe('a health run', () => {
  it('records workers, resources, services with latency, running syncs with progress and recent failures', async () => {
    const s = await newStack({}, 600);
    await withWorker(temporal, s.activities, async (tq) => {
      const { prefix, campaign: code } = campaignFamily();
      // A failed sync: a campaign EDD has no product for.
      const failedCampaign = code('FAILED');
      const failed = await startSync(temporal.client, tq, { campaign: failedCampaign });
      await expect(failed.result()).rejects.toThrow();
      await eventually('the failed sync in visibility', async () => {
        for await (const r of temporal.client.workflow.list({
          query: `WorkflowId = '${syncWorkflowId(failedCampaign)}' AND ExecutionStatus = 'Failed'`,
        }))
          return r;
        return undefined;
      });

      // A running sync, slowed down so it is still running during the check.
      const campaign = code('RUNNING');
      await setFaults(s.edd, { latencyMs: 150 });
      const running = await startSync(temporal.client, tq, {
        campaign,
        productId: albumOf(s.dataset).id,
        pageSize: 10,
      });
      await eventually('the sync to make progress', async () => {
        const p = await running.query<{ pages: number }>('progress');
        return p.pages > 0 ? p : undefined;
      });

      const report = await runHealthNow(temporal.client, {
        taskQueue: tq,
        input: { campaignPrefix: prefix },
      });
      expect(report.trigger).toBe('cli');
      expect(report.workflowId).toMatch(new RegExp(`^${healthScheduleId(tq)}-manual-`));
      const manual = temporal.client.workflow.getHandle(report.workflowId, report.runId);
      expect(await (await manual.describe()).staticSummary()).toBe('health check (cli)');

      // Workers: each queue polled, with when each poller was last seen.
      const workers = workersOf(report);
      expect(workers.queues).toEqual([
        expect.objectContaining({ taskQueue: tq, kind: 'workflow', pollers: expect.any(Number) as unknown }),
        expect.objectContaining({ taskQueue: tq, kind: 'activity' }),
        expect.objectContaining({ taskQueue: mailerliteTaskQueue(tq), kind: 'activity' }),
      ]);
      for (const q of workers.queues) {
        expect(q.pollers).toBeGreaterThan(0);
        expect(Date.parse(q.lastSeen!)).toBeGreaterThan(Date.now() - 5 * 60_000);
      }
      expect(workers.workers.length).toBeGreaterThan(0);
      expect(workers.workers[0]!.polls.length).toBeGreaterThan(0);

      // Resources: numbers. The syncs' activities on this queue were measured from schedule to start.
      const res = resourcesOf(report);
      expect(res.memory.rssBytes).toBeGreaterThan(0);
      expect(res.memory.heapUsedBytes).toBeGreaterThan(0);
      expect(res.memory.freeBytes).toBeGreaterThan(0);
      expect(res.loadAverage).toHaveLength(3);
      expect(res.cpus).toBeGreaterThan(0);
      expect(res.eventLoopDelayMs.sampledMs).toBeGreaterThanOrEqual(500);
      expect(res.eventLoopDelayMs.p99).toBeGreaterThan(0);
      expect(res.scheduleToStartMs).toMatchObject({ taskQueue: tq });
      expect(res.scheduleToStartMs!.count).toBeGreaterThan(3);
      expect(res.scheduleToStartMs!.max).toBeGreaterThanOrEqual(res.scheduleToStartMs!.p99);
      expect(res.scheduleToStartMs!.p99).toBeLessThan(10_000);

      // Services: each reachable, with its latency (EDD's includes the injected 150 ms).
      expect(report.services.map((x) => [x.service, x.ok])).toEqual([
        ['temporal', true],
        ['edd', true],
        ['mailerlite', true],
      ]);
      for (const x of report.services) expect(x.latencyMs).toEqual(expect.any(Number) as unknown);
      expect(report.services[1]!.latencyMs).toBeGreaterThanOrEqual(150);
      expect(report.services[0]!.healthSearchAttribute).toBe(true);
      expect(report.services[0]!.missingSearchAttributes).toEqual([]);

      // Campaigns: the running sync with its progress; the failure with its message.
      const campaigns = campaignsOf(report);
      const mine = campaigns.running.find((r) => r.campaign === campaign);
      expect(mine).toMatchObject({
        state: 'running',
        workflowId: syncWorkflowId(campaign),
        trigger: 'manual',
      });
      expect(mine!.progress!.pages).toBeGreaterThan(0);
      expect(mine!.progress!.phase).toBe('syncing');
      expect(campaigns.stuck).toEqual([]);
      expect(campaigns.failures).toEqual([
        expect.objectContaining({
          campaign: failedCampaign,
          count: 1,
          last: expect.objectContaining({
            status: 'FAILED',
            message: expect.stringMatching(/not found/) as unknown,
          }) as unknown,
        }),
      ]);
      expect(campaigns.failuresTotal).toBe(1);
      expect(typeof report.overload.overloaded).toBe('boolean');

      // Metrics of the worker that ran it.
      expect(await metricValue(s, 'campaign_sync_health_status', { status: report.status })).toBe(1);
      expect(await metricValue(s, 'campaign_sync_health_score')).toBe(report.score);
      expect(await metricValue(s, 'campaign_sync_worker_rss_bytes')).toBeGreaterThan(0);
      expect(await metricValue(s, 'campaign_sync_health_service_up', { service: 'mailerlite' })).toBe(1);

      await running.cancel();
      await clearFaults(s.edd.url);
    });
  });

  it('finds stalled syncs: restarts one (it completes once the fault is lifted), fails one health restarted already', async () => {
    // EDD stops answering in time (3 s latency, 1 s client timeout): syncs stop making progress.
    const s = await newStack({ HTTP_TIMEOUT_MS: '1000' });
    await withWorker(temporal, s.activities, async (tq) => {
      await setFaults(s.edd, { latencyMs: 3_000 });
      const product = albumOf(s.dataset).id;
      const { prefix, campaign: code } = campaignFamily();
      const a = code('A');
      const b = code('B');
      const first = await startSync(temporal.client, tq, { campaign: a, productId: product, pageSize: 50 });
      const again = await startSync(temporal.client, tq, {
        campaign: b,
        productId: product,
        trigger: `${HEALTH_RESTART_TRIGGER}:cli`,
      });
      await sleep(2500);

      const report = await healthRun(tq, prefix, { thresholds: { stuckNoProgressAfter: '2s' } });
      const campaigns = campaignsOf(report);
      const byCampaign = Object.fromEntries(campaigns.stuck.map((x) => [x.campaign, x]));
      expect(Object.keys(byCampaign).sort()).toEqual([a, b].sort());
      expect(byCampaign[a]).toMatchObject({
        runId: first.firstExecutionRunId,
        action: 'restart',
        outcome: 'restarted',
        newRunId: expect.any(String) as unknown,
        reason: expect.stringMatching(/^no progress for \d+s in phase checking-connections/) as unknown,
      });
      expect(byCampaign[b]).toMatchObject({
        action: 'fail',
        outcome: 'failed',
        why: expect.stringMatching(/restarted it already/) as unknown,
      });
      expect(campaigns.recovered).toEqual({ restarted: 1, failed: 1 });
      expect(report.status).not.toBe('healthy');
      expect(report.findings).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            area: 'campaigns',
            message: expect.stringMatching(`sync of ${a} is stuck`) as unknown,
          }),
          expect.objectContaining({
            area: 'services',
            message: expect.stringMatching(/^edd unreachable/) as unknown,
          }),
        ]),
      );
      expect(report.alerts.filter((x) => x.kind === 'stuck-sync')).toHaveLength(2);

      // The old run of A was cancelled; B's run was terminated with the reason.
      const aRun = temporal.client.workflow.getHandle(syncWorkflowId(a), first.firstExecutionRunId);
      expect((await aRun.describe()).status.name).toBe('CANCELLED');
      const bRun = temporal.client.workflow.getHandle(syncWorkflowId(b), again.firstExecutionRunId);
      expect((await bRun.describe()).status.name).toBe('TERMINATED');
      await expect(bRun.result()).rejects.toThrow(/restarted it already/);

      // Counted in metrics.
      expect(await metricValue(s, 'campaign_sync_health_stuck_syncs_found_total')).toBe(2);
      expect(
        await metricValue(s, 'campaign_sync_health_stuck_syncs_recovered_total', { action: 'restarted' }),
      ).toBe(1);
      expect(
        await metricValue(s, 'campaign_sync_health_stuck_syncs_recovered_total', { action: 'failed' }),
      ).toBe(1);

      // A's new run, marked as health's restart, completes once EDD answers again.
      await clearFaults(s.edd.url);
      const restarted = temporal.client.workflow.getHandle<() => Promise<SyncSummary>>(
        syncWorkflowId(a),
        byCampaign[a]!.newRunId,
      );
      expect((await restarted.describe()).typedSearchAttributes.get(SYNC_TRIGGER)).toBe(
        `${HEALTH_RESTART_TRIGGER}:manual`,
      );
      const summary = await restarted.result();
      expect(summary).toMatchObject({ campaign: a, status: 'completed' });
    });
  });

  it('judges the worker’s own signals: an overload does not pause schedules unless HEALTH_PAUSE_ON_OVERLOAD is on', async () => {
    const s = await newStack();
    await withWorker(temporal, s.activities, async (tq) => {
      const { prefix, campaign: code } = campaignFamily();
      const schedule = await createSyncSchedule(temporal.client, tq, code('SCHED'), {
        note: 'nightly sync, owner: ops',
      });
      try {
        // Any worker uses more than 1 MB: overloaded, by its own memory.
        const report = await healthRun(tq, prefix, { thresholds: { overload: { rssMb: 1 } } });
        expect(report.overload).toMatchObject({
          overloaded: true,
          pauseOnOverload: false,
          paused: [],
          held: [],
        });
        expect(report.overload.reasons).toEqual([expect.stringMatching(/^worker memory \d+ MB >= 1 MB$/)]);
        expect(report.status).toBe('unhealthy');
        // `health` shows it with exit 1 (for cron and monitors), UNHEALTHY in bold red on a
        // terminal and plain in a pipe.
        const onTerminal = await eventually('the report listed', async () => {
          const r = await cli(['health', '--last', '1'], tq, { tty: true });
          return r.code === 4 ? undefined : r;
        });
        expect(onTerminal.code).toBe(1);
        expect(onTerminal.out.startsWith('Health: \x1b[1;31mUNHEALTHY\x1b[0m (score ')).toBe(true);
        expect(onTerminal.out.split('\n')[0]).toMatch(/\) at \d{4}-\d\d-\d\d \d\d:\d\d \(\d+s ago\)/);
        const piped = await cli(['health', '--last', '1'], tq);
        expect(piped.code).toBe(1);
        expect(piped.out).toMatch(/^Health: UNHEALTHY \(score \d+\)/);
        expect(piped.out).not.toContain('\x1b');
        const noColor = await cli(['health', '--last', '1'], tq, { tty: true, env: { NO_COLOR: '1' } });
        expect(noColor.out).not.toContain('\x1b');
        expect(report.alerts.map((x) => x.kind)).not.toContain('overload-paused');
        expect((await schedule.describe()).state).toMatchObject({
          paused: false,
          note: 'nightly sync, owner: ops',
        });
        // The host is reported, not judged: no finding about load or free memory.
        expect(resourcesOf(report).loadAverage).toHaveLength(3);
        expect(report.findings.map((f) => f.message).join('\n')).not.toMatch(
          /per CPU|load average|free memory/,
        );
        expect(report.thresholds.overload).not.toHaveProperty('loadPerCpu');
      } finally {
        await schedule.delete().catch(() => undefined);
      }
    });
  });

  it('with HEALTH_PAUSE_ON_OVERLOAD, pauses keeping each note, and resumes only those nobody changed since', async () => {
    const s = await newStack({ HEALTH_PAUSE_ON_OVERLOAD: 'on' });
    await withWorker(temporal, s.activities, async (tq) => {
      const { prefix, campaign: code } = campaignFamily();
      const ours = await createSyncSchedule(temporal.client, tq, code('OURS'), {
        note: 'nightly sync, owner: ops',
      });
      const touched = await createSyncSchedule(temporal.client, tq, code('TOUCHED'), { note: 'hourly sync' });
      const theirs = await createSyncSchedule(temporal.client, tq, code('THEIRS'), {
        paused: true,
        note: 'paused by ops for the migration',
      });
      const ids = [ours.scheduleId, touched.scheduleId, theirs.scheduleId];
      try {
        await eventually('the schedules listed', async () => {
          const found = new Set<string>();
          for await (const sc of temporal.client.schedule.list()) found.add(sc.scheduleId);
          return ids.every((id) => found.has(id)) ? true : undefined;
        });

        const overloaded = await healthRun(tq, prefix, { thresholds: { overload: { rssMb: 1 } } });
        expect(overloaded.overload).toMatchObject({ overloaded: true, pauseOnOverload: true });
        expect(overloaded.overload.paused.sort()).toEqual([ours.scheduleId, touched.scheduleId].sort());
        expect(overloaded.overload.held.sort()).toEqual([ours.scheduleId, touched.scheduleId].sort());
        expect(overloaded.alerts.map((x) => x.kind)).toContain('overload-paused');
        // Paused, each note exactly as the person wrote it.
        expect((await ours.describe()).state).toMatchObject({
          paused: true,
          note: 'nightly sync, owner: ops',
        });
        expect((await touched.describe()).state).toMatchObject({ paused: true, note: 'hourly sync' });
        expect((await theirs.describe()).state).toMatchObject({
          paused: true,
          note: 'paused by ops for the migration',
        });
        // `status` still tells health's pauses apart (from health's own mark).
        const pausedBy = async () =>
          Object.fromEntries(
            (await listCampaignSyncSchedules(temporal.client, { campaignPrefix: prefix })).map((x) => [
              x.scheduleId,
              x.pausedByHealth,
            ]),
          );
        await eventually('the pauses shown as health’s', async () => {
          const by = await pausedBy();
          return by[ours.scheduleId] && by[touched.scheduleId] && by[theirs.scheduleId] === false
            ? true
            : undefined;
        });

        // A person pauses one of them again with their own note: it is theirs now.
        await touched.pause('held for the label’s audit');
        expect((await pausedBy())[touched.scheduleId]).toBe(false);

        const recovered = await healthRun(tq, prefix, {
          thresholds: {
            overload: { rssMb: 1e6, heapUsedRatio: 1, eventLoopDelayMs: 1e9, scheduleToStartMs: 1e9 },
          },
        });
        expect(recovered.overload).toMatchObject({
          overloaded: false,
          resumed: [ours.scheduleId],
          keptPaused: [touched.scheduleId],
          held: [],
        });
        expect(recovered.alerts.map((x) => x.kind)).toContain('overload-resumed');
        expect((await ours.describe()).state).toMatchObject({
          paused: false,
          note: 'nightly sync, owner: ops',
        });
        expect((await touched.describe()).state).toMatchObject({
          paused: true,
          note: 'held for the label’s audit',
        });
        expect((await theirs.describe()).state).toMatchObject({
          paused: true,
          note: 'paused by ops for the migration',
        });
        await eventually('no pause shown as health’s any more', async () => {
          const by = await pausedBy();
          return Object.values(by).every((v) => !v) ? true : undefined;
        });
        expect(
          await metricValue(s, 'campaign_sync_health_overload_schedule_changes_total', { action: 'paused' }),
        ).toBe(2);
        expect(
          await metricValue(s, 'campaign_sync_health_overload_schedule_changes_total', { action: 'resumed' }),
        ).toBe(1);
      } finally {
        for (const h of [ours, touched, theirs]) await h.delete().catch(() => undefined);
      }
    });
  });

  it('sends a status alert to the webhook once the status has held for two checks (retried after a 5xx)', async () => {
    const hook = await webhookReceiver([500]);
    try {
      const s = await newStack({ HEALTH_WEBHOOK_URL: hook.url });
      await withWorker(temporal, s.activities, async (tq) => {
        const { prefix } = campaignFamily();
        // Any worker is above 1 MB: degraded (not unhealthy).
        const degraded = { thresholds: { ...CALM, rssMb: { degraded: 1, unhealthy: 1e6 } } };
        const first = await healthRun(tq, prefix, degraded);
        expect(first.status).toBe('degraded');
        expect(first.statusTrend).toMatchObject({ streak: 1, announced: 'healthy' });
        expect(first.alerts).toEqual([]);
        expect(hook.received).toEqual([]);

        // Runs can be filtered by status; the next run counts this one.
        const found = await eventually('the run by its HealthStatus', async () => {
          for await (const r of temporal.client.workflow.list({
            query: `HealthStatus = 'degraded' AND TaskQueue = '${tq}' AND ExecutionStatus = 'Completed'`,
          }))
            return r;
          return undefined;
        });
        expect(found.workflowId).toBe(first.workflowId);

        const report = await healthRun(tq, prefix, degraded);
        expect(report.statusTrend).toMatchObject({
          streak: 2,
          announced: 'degraded',
          changedFrom: 'healthy',
        });
        expect(report.alerts).toEqual([
          {
            kind: 'status',
            severity: 'degraded',
            message: expect.stringMatching(
              /^campaign-sync is degraded \(score \d+, 2 checks in a row; was healthy\): worker memory/,
            ) as unknown,
          },
        ]);
        expect(report.webhook).toEqual({ sent: true });
        expect(hook.received.map((r) => r.status)).toEqual([500, 200]);
        const body = hook.received[1]!.body;
        expect(hook.received[1]!.contentType).toBe('application/json');
        expect(body).toMatchObject({
          source: 'campaign-sync',
          kind: 'health-alert',
          status: report.status,
          score: report.score,
          workflowId: report.workflowId,
          taskQueue: tq,
        });
        expect(body.alerts).toEqual(report.alerts);
        expect(body.findings).toEqual(
          expect.arrayContaining([expect.stringMatching(/^degraded: worker memory/) as unknown]),
        );
        expect(await metricValue(s, 'campaign_sync_health_alerts_total', { kind: 'status' })).toBe(1);

        // The same status again raises no new alert; nothing more is posted.
        await listed(`WorkflowId = '${report.workflowId}' AND ExecutionStatus = 'Completed'`);
        const third = await healthRun(tq, prefix, degraded);
        expect(third.statusTrend).toMatchObject({ streak: 3, announced: 'degraded' });
        expect(third.alerts).toEqual([]);
        expect(hook.received).toHaveLength(2);
      });
    } finally {
      await hook.close();
    }
  });

  it('does not alert on a signal that flaps between healthy and degraded at every check', async () => {
    const s = await newStack();
    await withWorker(temporal, s.activities, async (tq) => {
      const { prefix } = campaignFamily();
      const statuses: string[] = [];
      for (let i = 0; i < 5; i++) {
        const rssMb = i % 2 === 0 ? { degraded: 1, unhealthy: 1e6 } : { degraded: 1e5, unhealthy: 1e6 };
        const r = await healthRun(tq, prefix, { thresholds: { ...CALM, rssMb } });
        statuses.push(r.status);
        expect(r.alerts.filter((a) => a.kind === 'status')).toEqual([]);
        await listed(`WorkflowId = '${r.workflowId}' AND ExecutionStatus = 'Completed'`);
      }
      expect(statuses).toEqual(['degraded', 'healthy', 'degraded', 'healthy', 'degraded']);
      expect(await metricValue(s, 'campaign_sync_health_alerts_total', { kind: 'status' })).toBe(0);
    });
  });

  it('finds a sync on a task queue no worker polls: unhealthy, named with what to do, one alert, never restarted', async () => {
    const hook = await webhookReceiver();
    const s = await newStack({ HEALTH_WEBHOOK_URL: hook.url });
    const { prefix, campaign: code } = campaignFamily();
    const campaign = code('ORPHAN');
    const nobody = uniqueTaskQueue('nobody-polls');
    const orphan = await startSync(temporal.client, nobody, { campaign });
    try {
      await withWorker(temporal, s.activities, async (tq) => {
        await listed(`WorkflowId = '${syncWorkflowId(campaign)}' AND ExecutionStatus = 'Running'`);
        // Even with a tiny stuck threshold, it is not recovered: no worker would run the restart either.
        const report = await healthRun(tq, prefix, { thresholds: { stuckNoProgressAfter: '1s' } });
        const c = campaignsOf(report);
        expect(c.running).toEqual([
          expect.objectContaining({ campaign, taskQueue: nobody, taskQueuePolled: false, state: 'unpolled' }),
        ]);
        expect(c.stuck).toEqual([]);
        expect(c.unpolled).toEqual([
          {
            campaign,
            workflowId: syncWorkflowId(campaign),
            runId: orphan.firstExecutionRunId,
            taskQueue: nobody,
            new: true,
          },
        ]);
        expect(report.status).toBe('unhealthy');
        const advice = `start a worker with TEMPORAL_TASK_QUEUE=${nobody}, or free the lock with 'campaign-sync sync cancel ${campaign} --force'`;
        expect(report.findings).toEqual(
          expect.arrayContaining([
            {
              area: 'campaigns',
              severity: 'unhealthy',
              message: `sync of ${campaign} (${syncWorkflowId(campaign)}) runs on task queue ${nobody}, which no worker polls: nothing runs it, not even a cancellation, and it holds the campaign's lock; ${advice}`,
            },
          ]),
        );
        expect(report.alerts).toEqual([
          {
            kind: 'unpolled-queue',
            severity: 'unhealthy',
            message: `sync of ${campaign} (${syncWorkflowId(campaign)}, run ${orphan.firstExecutionRunId}) waits on task queue ${nobody}, which no worker polls: it holds the campaign's lock and nothing runs it, not even a cancellation; ${advice}`,
          },
        ]);
        expect(hook.alerts()).toEqual(report.alerts);
        expect(formatHealthReport(report)).toContain(
          `UNPOLLED ${campaign}: run ${orphan.firstExecutionRunId} on task queue ${nobody}`,
        );

        // Still found by the next run, without a second alert; the run was left as it was.
        await listed(`WorkflowId = '${report.workflowId}' AND ExecutionStatus = 'Completed'`);
        const again = await healthRun(tq, prefix, { thresholds: { stuckNoProgressAfter: '1s' } });
        expect(campaignsOf(again).unpolled).toEqual([expect.objectContaining({ campaign, new: false })]);
        expect(again.alerts.filter((a) => a.kind === 'unpolled-queue')).toEqual([]);
        const described = await temporal.client.workflow.getHandle(syncWorkflowId(campaign)).describe();
        expect(described).toMatchObject({ runId: orphan.firstExecutionRunId, taskQueue: nobody });
        expect(described.status.name).toBe('RUNNING');
      });
    } finally {
      await orphan.terminate('test over').catch(() => undefined);
      await hook.close();
    }
  });

  it('alerts once when a scheduled campaign has not synced successfully for longer than its interval allows', async () => {
    const hook = await webhookReceiver();
    afterThis.push(() => hook.close());
    const s = await newStack({ HEALTH_WEBHOOK_URL: hook.url });
    await withWorker(temporal, s.activities, async (tq) => {
      const { prefix, campaign: code } = campaignFamily();
      // Every 2 s, each run at most 2 s: overdue 4 s after the last success. The campaign has no
      // product in EDD, so every scheduled sync fails.
      const campaign = code('NOPRODUCT');
      const schedule = await createSyncSchedule(temporal.client, tq, campaign, undefined, {
        every: '2s',
        timeout: '2s',
      });
      // A cron schedule a day apart, created now: judged, on time.
      const daily = await createSyncSchedule(temporal.client, tq, code('DAILY'), undefined, {
        cron: '0 6 * * *',
        timeout: '1h',
      });
      try {
        await listed(`WorkflowId = '${syncWorkflowId(campaign)}' AND ExecutionStatus = 'Failed'`);
        await sleep(Math.max(0, (await schedule.describe()).info.createdAt.getTime() + 4500 - Date.now()));

        const report = await healthRun(tq, prefix);
        const c = campaignsOf(report);
        const byCampaign = Object.fromEntries(c.cadence.map((e) => [e.campaign, e]));
        expect(byCampaign[campaign]).toMatchObject({
          source: 'schedule',
          scheduleId: schedule.scheduleId,
          intervalMs: 2000,
          overdueAfterMs: 4000,
          lastSuccessAt: null,
          overdue: true,
          change: 'became-overdue',
        });
        expect(byCampaign[code('DAILY')]).toMatchObject({
          source: 'schedule',
          intervalMs: 86_400_000,
          overdueAfterMs: 86_400_000 + 3_600_000,
          overdue: false,
        });
        expect(report.findings).toEqual(
          expect.arrayContaining([
            expect.objectContaining({
              area: 'campaigns',
              severity: 'degraded',
              message: expect.stringMatching(
                new RegExp(
                  `^campaign ${campaign} has had no successful sync since .* \\(expected every 2s by its schedule ${schedule.scheduleId}; overdue after 4s\\)$`,
                ),
              ) as unknown,
            }),
          ]),
        );
        const overdue = report.alerts.filter((a) => a.kind === 'sync-overdue');
        expect(overdue).toEqual([
          {
            kind: 'sync-overdue',
            severity: 'degraded',
            message: expect.stringContaining(
              `; look with 'campaign-sync schedule describe ${campaign}' and 'campaign-sync sync status ${campaign}'`,
            ) as unknown,
          },
        ]);
        expect(hook.alerts().filter((a) => a.kind === 'sync-overdue')).toEqual(overdue);
        expect(formatHealthReport(report)).toMatch(new RegExp(`${campaign}\\s+OVERDUE\\s+last success none`));
        expect(
          await s.metrics.registry.getSingleMetricAsString('campaign_sync_overdue_after_seconds'),
        ).toContain(`campaign_sync_overdue_after_seconds{campaign="${campaign}"} 4`);

        // Still overdue at the next check: no second alert.
        await listed(`WorkflowId = '${report.workflowId}' AND ExecutionStatus = 'Completed'`);
        const again = await healthRun(tq, prefix);
        expect(campaignsOf(again).cadence.find((e) => e.campaign === campaign)).toMatchObject({
          overdue: true,
        });
        expect(again.alerts.filter((a) => a.kind === 'sync-overdue')).toEqual([]);
        expect(hook.alerts().filter((a) => a.kind === 'sync-overdue')).toHaveLength(1);

        // A paused schedule is not judged.
        await schedule.pause('a person looks into it');
        const paused = await healthRun(tq, prefix);
        expect(campaignsOf(paused).cadence.map((e) => e.campaign)).toEqual([code('DAILY')]);
      } finally {
        await schedule.delete().catch(() => undefined);
        await daily.delete().catch(() => undefined);
      }
    });
  });

  it('judges a campaign without a schedule by HEALTH_SYNC_OVERDUE_AFTER: one alert when overdue, one when it syncs again; a dry run is no success', async () => {
    const hook = await webhookReceiver();
    afterThis.push(() => hook.close());
    const s = await newStack({ HEALTH_WEBHOOK_URL: hook.url, HEALTH_SYNC_OVERDUE_AFTER: '12s' });
    await withWorker(temporal, s.activities, async (tq) => {
      const { prefix, campaign: code } = campaignFamily();
      const campaign = code('MANUAL');
      const productId = albumOf(s.dataset).id;
      const first = await startSync(temporal.client, tq, { campaign, productId });
      const firstSummary = await first.result();
      expect(firstSummary.status).toBe('completed');
      const done = await first.describe();
      await listed(`WorkflowId = '${syncWorkflowId(campaign)}' AND ExecutionStatus = 'Completed'`);

      const fresh = await healthRun(tq, prefix);
      expect(campaignsOf(fresh).cadence).toEqual([
        expect.objectContaining({ campaign, source: 'setting', overdueAfterMs: 12_000, overdue: false }),
      ]);
      const lastSuccessAt = campaignsOf(fresh).cadence[0]!.lastSuccessAt!;
      expect(Math.abs(Date.parse(lastSuccessAt) - done.closeTime!.getTime())).toBeLessThan(1000);
      await sleep(Math.max(0, done.closeTime!.getTime() + 12_500 - Date.now()));

      // A dry run completes, but is no success.
      const dry = await startSync(temporal.client, tq, { campaign, productId, dryRun: true });
      await dry.result();
      await listed(`RunId = '${dry.firstExecutionRunId}' AND ExecutionStatus = 'Completed'`);

      const late = await healthRun(tq, prefix);
      expect(campaignsOf(late).cadence).toEqual([
        expect.objectContaining({ campaign, overdue: true, change: 'became-overdue', lastSuccessAt }),
      ]);
      const overdueAlert = late.alerts.find((a) => a.kind === 'sync-overdue');
      expect(overdueAlert?.message).toMatch(
        new RegExp(
          `^campaign ${campaign} has not synced successfully for \\d+s \\(no schedule; HEALTH_SYNC_OVERDUE_AFTER; overdue after 12s; last success `,
        ),
      );

      await listed(`WorkflowId = '${late.workflowId}' AND ExecutionStatus = 'Completed'`);
      const still = await healthRun(tq, prefix);
      expect(campaignsOf(still).cadence[0]).toMatchObject({ overdue: true });
      expect(still.alerts.filter((a) => a.kind.startsWith('sync-'))).toEqual([]);

      // It syncs again: one info alert.
      const second = await startSync(temporal.client, tq, { campaign, productId });
      await second.result();
      await listed(`RunId = '${second.firstExecutionRunId}' AND ExecutionStatus = 'Completed'`);
      await listed(`WorkflowId = '${still.workflowId}' AND ExecutionStatus = 'Completed'`);
      const back = await healthRun(tq, prefix);
      expect(campaignsOf(back).cadence[0]).toMatchObject({ overdue: false, change: 'synced-again' });
      expect(back.alerts.filter((a) => a.kind.startsWith('sync-'))).toEqual([
        {
          kind: 'sync-caught-up',
          severity: 'info',
          message: expect.stringMatching(
            new RegExp(`^campaign ${campaign} synced successfully again at `),
          ) as unknown,
        },
      ]);
      expect(
        hook
          .alerts()
          .filter((a) => a.kind.startsWith('sync-'))
          .map((a) => a.kind),
      ).toEqual(['sync-overdue', 'sync-caught-up']);
      const lastSuccess = campaignsOf(back).cadence[0]!.lastSuccessAt!;
      expect(
        await s.metrics.registry.getSingleMetricAsString('campaign_sync_last_success_timestamp_seconds'),
      ).toContain(`{campaign="${campaign}"} ${Date.parse(lastSuccess) / 1000}`);
    });
  });

  it('reports every project search attribute the namespace lacks, with the commands that register them', async () => {
    const namespace = `health-sa-${randomBytes(4).toString('hex')}`;
    await temporal.client.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    const client = new Client({ connection: temporal.client.connection, namespace });
    const s = await newStack({}, 300, client);
    const taskQueue = uniqueTaskQueue('health-sa');
    const workers = await SyncWorkers.create({
      connection: temporal.nativeConnection,
      namespace,
      taskQueue,
      activities: s.activities,
      workflowBundle: { code: readBundle() },
      shutdownGraceTime: '2s',
    });
    const report = await workers.runUntil(runHealthNow(client, { taskQueue }));
    const names = SEARCH_ATTRIBUTES.map((k) => k.name);
    expect(report.services[0]).toMatchObject({
      service: 'temporal',
      ok: true,
      namespace,
      healthSearchAttribute: false,
      missingSearchAttributes: names.map((name) => ({ name, type: 'KEYWORD' })),
    });
    expect(report.findings).toEqual(
      expect.arrayContaining([
        {
          area: 'services',
          severity: 'unhealthy',
          message:
            `search attributes ${names.join(', ')} not registered in namespace ${namespace}: a sync setting one fails every workflow task until it is; register them with ` +
            names
              .map(
                (n) =>
                  `temporal operator search-attribute create --namespace ${namespace} --name ${n} --type Keyword`,
              )
              .join(' && '),
        },
      ]),
    );
    expect(report.status).toBe('unhealthy');
  });
});

describe('CLI: status and health', () => {
  it('health run, health (latest and trend) and status show the system', async () => {
    const s = await newStack();
    await withWorker(temporal, s.activities, async (tq) => {
      expect((await cli(['health'], tq)).code).toBe(4);

      const run = await cli(['health', 'run', '--json'], tq);
      const report = JSON.parse(run.out) as HealthReport;
      expect(run.code).toBe(report.status === 'unhealthy' ? 1 : 0);
      expect(report.taskQueue).toBe(tq);

      const text = await cli(['health', 'run'], tq);
      expect(text.out).toMatch(/^Health: (HEALTHY|DEGRADED|UNHEALTHY) \(score \d+\)/);
      expect(text.out).toMatch(/Services:\n {2}temporal {3}ok/);

      const history = await eventually('both reports listed', async () => {
        const h = await cli(['health', '--json', '--last', '5'], tq);
        const parsed = JSON.parse(h.out) as { latest: HealthReport; trend: { workflowId: string }[] };
        return parsed.trend.length === 2 ? parsed : undefined;
      });
      expect(history.trend[1]!.workflowId).toBe(report.workflowId);
      expect(history.latest.workflowId).not.toBe(report.workflowId);
      const human = await cli(['health', '--last', '5'], tq);
      // Exit 1 when the latest report is unhealthy (for cron and monitors).
      expect(human.code).toBe(history.latest.status === 'unhealthy' ? 1 : 0);
      expect(human.out).toMatch(/Trend \(last 2, newest first\):/);

      const installed = await cli(['health', 'install', '--every', '5m'], tq);
      expect(installed.out).toBe(
        `Health schedule ${healthScheduleId(tq)} created (every 5m, task queue ${tq}).`,
      );
      try {
        const status = await cli(['status', '--json'], tq);
        const parsed = JSON.parse(status.out) as SystemStatus & {
          workers: WorkersSection;
          healthSchedule: { scheduleId: string; every: string };
          lastHealth: { workflowId: string };
          running: { taskQueue: string }[];
          failures: { total: number };
        };
        expect(parsed.workers.queues.every((q) => q.pollers > 0)).toBe(true);
        expect(parsed.healthSchedule).toMatchObject({ scheduleId: healthScheduleId(tq), every: '5m' });
        expect(parsed.lastHealth.workflowId).toBe(history.latest.workflowId);
        // Other test files' syncs may run meanwhile (status lists every queue's): none of this one's.
        expect(parsed.running.filter((r) => r.taskQueue === tq)).toEqual([]);
        expect(parsed.failures.total).toBe(0);
        // Exit 1 when something needs a person: other test files' syncs on queues no worker polls
        // may be listed as problems, and this queue's last report may be unhealthy.
        const alarms = statusAlarms(parsed);
        expect(status.code).toBe(alarms.length > 0 ? 1 : 0);
        if (alarms.length > 0) expect(status.err).toBe(`Needs attention (exit 1): ${alarms.join('; ')}.`);
        const human2 = await cli(['status'], tq);
        expect(human2.out).toMatch(/Workers:\n/);
        expect(human2.out).toMatch(/Last health report:\n {2}(HEALTHY|DEGRADED|UNHEALTHY)/);

        // A task queue no worker polls: status exits 1 naming it, NO WORKER in bold red on a terminal only.
        const nobody = uniqueTaskQueue('nobody');
        const unpolled = await cli(['status'], nobody, { tty: true });
        expect(unpolled.code).toBe(1);
        expect(unpolled.out).toContain(
          `${nobody} (workflow tasks): \x1b[1;31mNO WORKER\x1b[0m, last seen never`,
        );
        expect(unpolled.err).toContain(`no worker polls task queue ${nobody} (workflow tasks)`);
        expect(unpolled.err).toMatch(/^Needs attention \(exit 1\): /);
        const unpolledPiped = await cli(['status'], nobody);
        expect(unpolledPiped.code).toBe(1);
        expect(unpolledPiped.out).toContain(`${nobody} (workflow tasks): NO WORKER, last seen never`);
        expect(unpolledPiped.out).not.toContain('\x1b');
      } finally {
        await temporal.client.schedule
          .getHandle(healthScheduleId(tq))
          .delete()
          .catch(() => undefined);
      }
    });
  });
});
