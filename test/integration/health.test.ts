import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { HealthWebhookPayload } from '../../src/activities';
import { installHealthSchedule, runHealthNow } from '../../src/client/health';
import { runCli } from '../../src/client/cli';
import { startSync } from '../../src/client/sync-start';
import {
  HEALTH_PAUSE_NOTE_PREFIX,
  HEALTH_RESTART_TRIGGER,
  isCheckError,
  type CampaignsSection,
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
import { HEALTH_STATUS, SYNC_TRIGGER } from '../../src/shared/search-attributes';
import type { SyncSummary } from '../../src/shared/sync-types';
import { albums, setFaults, startStack, uniqueCampaign, type Stack } from '../helpers/stack';
import { connectTestTemporal, withWorker, type TemporalTestContext } from '../helpers/temporal';
import { startWorkerProcess, type WorkerProcess } from '../helpers/worker-process';

let temporal: TemporalTestContext;
let stack: Stack | undefined;

beforeAll(async () => {
  temporal = await connectTestTemporal();
});
afterAll(async () => {
  await temporal.close();
});
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

async function newStack(env: Record<string, string> = {}, customers = 300): Promise<Stack> {
  stack = await startStack({ customers, temporal, env });
  return stack;
}

function album(s: Stack, index = 0) {
  const a = albums(s.dataset)[index];
  if (!a) throw new Error('the demo data has no album');
  return a;
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

/** Polls until `check` returns a value (visibility is eventually consistent). */
async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
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
  state?: { paused: boolean; note: string },
) {
  const handle = await client.schedule.create({
    scheduleId: syncScheduleId(campaign),
    spec: { intervals: [{ every: '1h' }] },
    action: {
      type: 'startWorkflow',
      workflowType: WORKFLOW_TYPES.scheduledCampaignSync,
      taskQueue,
      workflowId: launcherWorkflowId(campaign),
      args: [{ campaign }],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    ...(state ? { state } : {}),
  });
  return handle;
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
        expect(campaignsOf(report)).toMatchObject({ running: [], stuck: [], failuresTotal: 0 });
        expect(typeof report.overload.overloaded).toBe('boolean');
        const described2 = await temporal.client.workflow.getHandle(run.workflowId, run.runId).describe();
        expect(described2.typedSearchAttributes.get(HEALTH_STATUS)).toBe(report.status);
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
      // A failed sync: a campaign EDD has no product for.
      const failedCampaign = uniqueCampaign();
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
      const campaign = uniqueCampaign();
      await setFaults(s.edd, { latencyMs: 150 });
      const running = await startSync(temporal.client, tq, {
        campaign,
        productId: album(s).id,
        pageSize: 10,
      });
      await eventually('the sync to make progress', async () => {
        const p = await running.query<{ pages: number }>('progress');
        return p.pages > 0 ? p : undefined;
      });

      const report = await runHealthNow(temporal.client, { taskQueue: tq });
      expect(report.trigger).toBe('cli');
      expect(report.workflowId).toMatch(new RegExp(`^${healthScheduleId(tq)}-manual-`));

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

      // Resources: numbers.
      const res = resourcesOf(report);
      expect(res.memory.rssBytes).toBeGreaterThan(0);
      expect(res.memory.heapUsedBytes).toBeGreaterThan(0);
      expect(res.memory.freeBytes).toBeGreaterThan(0);
      expect(res.loadAverage).toHaveLength(3);
      expect(res.cpus).toBeGreaterThan(0);
      expect(res.eventLoopDelayMs.sampledMs).toBeGreaterThanOrEqual(500);
      expect(res.eventLoopDelayMs.p99).toBeGreaterThan(0);

      // Services: each reachable, with its latency (EDD's includes the injected 150 ms).
      expect(report.services.map((x) => [x.service, x.ok])).toEqual([
        ['temporal', true],
        ['edd', true],
        ['mailerlite', true],
      ]);
      for (const x of report.services) expect(x.latencyMs).toEqual(expect.any(Number) as unknown);
      expect(report.services[1]!.latencyMs).toBeGreaterThanOrEqual(150);
      expect(report.services[0]!.healthSearchAttribute).toBe(true);

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
      const product = album(s).id;
      const a = uniqueCampaign();
      const b = uniqueCampaign();
      const first = await startSync(temporal.client, tq, { campaign: a, productId: product, pageSize: 50 });
      const again = await startSync(temporal.client, tq, {
        campaign: b,
        productId: product,
        trigger: `${HEALTH_RESTART_TRIGGER}:cli`,
      });
      await sleep(2500);

      const report = await runHealthNow(temporal.client, {
        taskQueue: tq,
        input: { thresholds: { stuckNoProgressAfter: '2s' } },
      });
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

  it('pauses campaign sync schedules when overloaded and resumes only those it paused', async () => {
    const s = await newStack();
    await withWorker(temporal, s.activities, async (tq) => {
      const mine = uniqueCampaign();
      const person = uniqueCampaign();
      const ours = await createSyncSchedule(temporal.client, tq, mine);
      const theirs = await createSyncSchedule(temporal.client, tq, person, {
        paused: true,
        note: 'paused by ops for the migration',
      });
      try {
        await eventually('both schedules listed', async () => {
          const ids = new Set<string>();
          for await (const sc of temporal.client.schedule.list()) ids.add(sc.scheduleId);
          return ids.has(ours.scheduleId) && ids.has(theirs.scheduleId) ? true : undefined;
        });

        // Any worker uses more than 1 MB: overloaded.
        const overloaded = await runHealthNow(temporal.client, {
          taskQueue: tq,
          input: { thresholds: { overload: { rssMb: 1 } } },
        });
        expect(overloaded.overload).toMatchObject({ overloaded: true, paused: [ours.scheduleId] });
        expect(overloaded.overload.reasons[0]).toMatch(/^worker memory \d+ MB >= 1 MB$/);
        expect(overloaded.status).toBe('unhealthy');
        expect(overloaded.alerts.map((x) => x.kind)).toContain('overload-paused');
        const paused = await ours.describe();
        expect(paused.state.paused).toBe(true);
        expect(paused.state.note).toMatch(
          new RegExp(`^${HEALTH_PAUSE_NOTE_PREFIX} at .*: overloaded \\(worker memory`),
        );
        expect((await theirs.describe()).state).toMatchObject({
          paused: true,
          note: 'paused by ops for the migration',
        });

        // The listing catches up, then a run that is not overloaded resumes ours, not theirs.
        await eventually('the pause in the listing', async () => {
          for await (const sc of temporal.client.schedule.list())
            if (sc.scheduleId === ours.scheduleId && sc.state.paused) return true;
          return undefined;
        });
        const recovered = await runHealthNow(temporal.client, {
          taskQueue: tq,
          input: {
            thresholds: {
              overload: { rssMb: 1e6, loadPerCpu: 1e6, eventLoopDelayMs: 1e9, freeMemoryRatio: 0 },
            },
          },
        });
        expect(recovered.overload).toMatchObject({
          overloaded: false,
          resumed: [ours.scheduleId],
          keptPaused: [theirs.scheduleId],
        });
        expect(recovered.alerts.map((x) => x.kind)).toContain('overload-resumed');
        expect((await ours.describe()).state.paused).toBe(false);
        expect((await theirs.describe()).state).toMatchObject({
          paused: true,
          note: 'paused by ops for the migration',
        });
        expect(
          await metricValue(s, 'campaign_sync_health_overload_schedule_changes_total', { action: 'paused' }),
        ).toBe(1);
        expect(
          await metricValue(s, 'campaign_sync_health_overload_schedule_changes_total', { action: 'resumed' }),
        ).toBe(1);
      } finally {
        await ours.delete().catch(() => undefined);
        await theirs.delete().catch(() => undefined);
      }
    });
  });

  it('sends an alert to the webhook (retried after a 5xx), and HealthStatus finds the run', async () => {
    const received: { status: number; body: HealthWebhookPayload; contentType?: string }[] = [];
    const server: Server = createServer((req: IncomingMessage, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        const status = received.length === 0 ? 500 : 200;
        received.push({
          status,
          body: JSON.parse(data) as HealthWebhookPayload,
          ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
        });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/health`;
    try {
      const s = await newStack({ HEALTH_WEBHOOK_URL: url });
      await withWorker(temporal, s.activities, async (tq) => {
        // Any worker is above 1 MB: degraded (not unhealthy), a change from "no report yet".
        const report = await runHealthNow(temporal.client, {
          taskQueue: tq,
          input: { thresholds: { rssMb: { degraded: 1, unhealthy: 1e6 } } },
        });
        expect(report.status).not.toBe('healthy');
        expect(report.alerts[0]).toMatchObject({ kind: 'status', severity: report.status });
        expect(report.webhook).toEqual({ sent: true });
        expect(received.map((r) => r.status)).toEqual([500, 200]);
        const body = received[1]!.body;
        expect(received[1]!.contentType).toBe('application/json');
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

        // Runs can be filtered by status.
        const found = await eventually('the run by its HealthStatus', async () => {
          for await (const r of temporal.client.workflow.list({
            query: `HealthStatus = '${report.status}' AND TaskQueue = '${tq}' AND ExecutionStatus = 'Completed'`,
          }))
            return r;
          return undefined;
        });
        expect(found.workflowId).toBe(report.workflowId);

        // The same status again raises no new alert; nothing more is posted.
        const second = await runHealthNow(temporal.client, {
          taskQueue: tq,
          input: { thresholds: { rssMb: { degraded: 1, unhealthy: 1e6 } } },
        });
        if (second.status === report.status) {
          expect(second.previousStatus).toBe(report.status);
          expect(second.alerts).toEqual([]);
          expect(received).toHaveLength(2);
        }
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('CLI: status and health', () => {
  it('health run, health (latest and trend) and status show the system', async () => {
    const s = await newStack();
    await withWorker(temporal, s.activities, async (tq) => {
      const env = { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: tq };
      const cli = async (...args: string[]) => {
        const out: string[] = [];
        const err: string[] = [];
        const code = await runCli(args, env, { out: (l) => out.push(l), err: (l) => err.push(l) });
        return { code, out: out.join('\n'), err: err.join('\n') };
      };
      expect((await cli('health')).code).toBe(4);

      const run = await cli('health', 'run', '--json');
      const report = JSON.parse(run.out) as HealthReport;
      expect(run.code).toBe(report.status === 'unhealthy' ? 1 : 0);
      expect(report.taskQueue).toBe(tq);

      const text = await cli('health', 'run');
      expect(text.out).toMatch(/^Health: (HEALTHY|DEGRADED|UNHEALTHY) \(score \d+\)/);
      expect(text.out).toMatch(/Services:\n {2}temporal {3}ok/);

      const history = await eventually('both reports listed', async () => {
        const h = await cli('health', '--json', '--last', '5');
        const parsed = JSON.parse(h.out) as { latest: HealthReport; trend: { workflowId: string }[] };
        return parsed.trend.length === 2 ? parsed : undefined;
      });
      expect(history.trend[1]!.workflowId).toBe(report.workflowId);
      expect(history.latest.workflowId).not.toBe(report.workflowId);
      const human = await cli('health', '--last', '5');
      expect(human.code).toBe(0);
      expect(human.out).toMatch(/Trend \(last 2, newest first\):/);

      const installed = await cli('health', 'install', '--every', '5m');
      expect(installed.out).toBe(
        `Health schedule ${healthScheduleId(tq)} created (every 5m, task queue ${tq}).`,
      );
      try {
        const status = await cli('status', '--json');
        expect(status.code).toBe(0);
        const parsed = JSON.parse(status.out) as {
          workers: WorkersSection;
          healthSchedule: { scheduleId: string; every: string };
          lastHealth: { workflowId: string };
          running: unknown[];
          failures: { total: number };
        };
        expect(parsed.workers.queues.every((q) => q.pollers > 0)).toBe(true);
        expect(parsed.healthSchedule).toMatchObject({ scheduleId: healthScheduleId(tq), every: '5m' });
        expect(parsed.lastHealth.workflowId).toBe(history.latest.workflowId);
        expect(parsed.running).toEqual([]);
        expect(parsed.failures.total).toBe(0);
        const human2 = await cli('status');
        expect(human2.out).toMatch(/Workers:\n/);
        expect(human2.out).toMatch(/Last health report:\n {2}(HEALTHY|DEGRADED|UNHEALTHY)/);
      } finally {
        await temporal.client.schedule
          .getHandle(healthScheduleId(tq))
          .delete()
          .catch(() => undefined);
      }
    });
  });
});
