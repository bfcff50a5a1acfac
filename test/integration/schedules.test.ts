import type { WorkflowExecutionDescription, WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import { EXIT } from '../../src/client/errors';
import { SyncAlreadyRunningError, startSync } from '../../src/client';
import type { HeldLock } from '../../src/client/locks';
import { createSyncSchedule, type ScheduleActionView, type ScheduleView } from '../../src/client/schedules';
import { DEFAULT_TIERS } from '../../src/shared/campaign';
import {
  launcherWorkflowId,
  syncScheduleId,
  syncWorkflowId,
  WORKFLOW_TYPES,
  type ScheduleKind,
} from '../../src/shared/names';
import { addOrder } from '../helpers/store-admin';
import { scheduledSyncInput } from '../../src/shared/provisioning';
import { SYNC_TRIGGER } from '../../src/shared/search-attributes';
import type { SyncProgress, SyncSummary } from '../../src/shared/sync-types';
import { connectTestTemporal, withWorker, type TemporalTestContext } from '../helpers/temporal';
import { albums, beforeEachPage, startStack, uniqueCampaign, type Stack } from '../helpers/stack';
import { runCliCaptured } from '../helpers/cli';

let temporal: TemporalTestContext;
let stack: Stack;

beforeAll(async () => {
  temporal = await connectTestTemporal();
  stack = await startStack({ customers: 600, temporal });
});
afterAll(async () => {
  await stack.close();
  await temporal.close();
});

function album(index = 0) {
  const a = albums(stack.dataset)[index];
  if (!a) throw new Error('the demo data has no album');
  return a;
}

/** Runs the CLI in-process as a person would from a shell, capturing what it prints. */
function cli(args: string[], taskQueue: string, address = temporal.address) {
  return runCliCaptured(args, { address: address, taskQueue, env: { USER: 'tester' } });
}

async function describeJson(campaign: string, tq: string): Promise<ScheduleView> {
  const r = await cli(['schedule', 'describe', campaign, '--json'], tq);
  expect(r.code).toBe(EXIT.ok);
  return JSON.parse(r.out) as ScheduleView;
}

async function eventually<T>(
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  what: string,
  ms = 15_000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (ok(value)) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function deleteSchedule(campaign: string, kind: ScheduleKind = 'full'): Promise<void> {
  await temporal.client.schedule
    .getHandle(syncScheduleId(campaign, kind))
    .delete()
    .catch(() => undefined);
}

/** The stack's activities with each source page 300 ms slower, so a sync lasts long enough to collide with. */
function slowSource(s: Stack, gate?: Promise<void>): Stack['activities'] {
  return beforeEachPage(s.activities, async () => {
    await new Promise((r) => setTimeout(r, 300));
    // A test that needs the sync still running at some point holds its pages until then.
    await gate;
  });
}

/** Successful `POST /api/subscribers` writes MailerLite has taken (batch items included). */
async function subscriberWrites(): Promise<number> {
  const stats = (await (await fetch(`${stack.mailerlite.url}/_admin/stats`)).json()) as {
    writes: { byRoute: Record<string, number> };
  };
  return stats.writes.byRoute['POST /api/subscribers'] ?? 0;
}

/**
 * Every execution ever run under the campaign's lock ID (`campaign-sync-<CODE>`), from visibility,
 * once it shows them all closed (visibility is eventually consistent).
 */
async function executionsUnderLock(campaign: string): Promise<WorkflowExecutionInfo[]> {
  return eventually(
    async () => {
      const runs: WorkflowExecutionInfo[] = [];
      for await (const e of temporal.client.workflow.list({
        query: `WorkflowId = '${syncWorkflowId(campaign)}'`,
      }))
        runs.push(e);
      return runs;
    },
    (runs) => runs.length > 0 && runs.every((r) => r.status.name !== 'RUNNING'),
    `the runs of ${campaign} to be closed in visibility`,
  );
}

async function waitForProgress(
  handle: WorkflowHandle,
  ok: (p: SyncProgress) => boolean,
): Promise<SyncProgress> {
  return eventually(
    () => handle.query<SyncProgress>('progress').catch(() => undefined),
    (p): p is SyncProgress => p !== undefined && ok(p),
    'the sync to make progress',
  ) as Promise<SyncProgress>;
}

/** The campaign's sync, once it runs under the lock ID, started by the given trigger. */
async function runningSyncBy(campaign: string, trigger: string): Promise<WorkflowExecutionDescription> {
  const found = await eventually(
    () =>
      temporal.client.workflow
        .getHandle(syncWorkflowId(campaign))
        .describe()
        .catch(() => undefined),
    (d) =>
      d !== undefined &&
      d.type === WORKFLOW_TYPES.campaignSync &&
      d.status.name === 'RUNNING' &&
      d.typedSearchAttributes.get(SYNC_TRIGGER) === trigger,
    `a sync of ${campaign} by ${trigger}`,
  );
  return found!;
}

describe('schedule commands', () => {
  it('round-trip: create, list, describe, pause with a note, trigger and backfill while paused, unpause, delete', async () => {
    const campaign = uniqueCampaign();
    const product = album(2);
    const scheduleId = syncScheduleId(campaign);
    try {
      await withWorker(temporal, stack.activities, async (tq) => {
        const created = await cli(
          [
            'schedule',
            'create',
            campaign,
            '--every',
            '1h',
            '--product-id',
            String(product.id),
            '--mode',
            'update-only',
            '--note',
            'hourly purchasers',
            '--json',
          ],
          tq,
        );
        expect(created.err).toBe('');
        expect(created.code).toBe(EXIT.ok);
        const view = JSON.parse(created.out) as ScheduleView;
        expect(view).toMatchObject({
          campaign,
          scheduleId,
          timing: { every: '1h' },
          spec: 'every 1h',
          paused: false,
          note: 'hourly purchasers',
          createdBy: 'cli:tester',
          taskQueue: tq,
          overlap: 'SKIP',
          catchupWindowMs: 10 * 60_000,
          // The scheduled syncs' default timeout is the interval: their lock has a latest release.
          sync: {
            campaign,
            productId: product.id,
            mode: 'update-only',
            trigger: `schedule:${scheduleId}`,
            timeout: '1h',
          },
          numActionsTaken: 0,
          recent: [],
        });
        expect(view.nextActionTimes.length).toBeGreaterThan(0);
        expect(new Date(view.nextActionTimes[0]!).getTime()).toBeGreaterThan(Date.now() - 1000);

        const again = await cli(['schedule', 'create', campaign, '--cron', '0 * * * *'], tq);
        expect(again.code).toBe(EXIT.locked);
        expect(again.err).toMatch(new RegExp(`Refused: Campaign ${campaign} already has a sync schedule`));

        // Listing is eventually consistent.
        const listed = await eventually(
          () => cli(['schedule', 'list'], tq),
          (r) => r.out.includes(campaign),
          'the schedule to be listed',
        );
        expect(listed.out).toMatch(new RegExp(`${campaign}\\s+full\\s+every 1h\\s+active\\s+next \\d{4}-`));

        const text = await cli(['schedule', 'describe', campaign], tq);
        expect(text.out).toContain(
          `Schedule ${scheduleId} (campaign ${campaign}, full syncs): every 1h, active`,
        );
        expect(text.out).toMatch(/overlap SKIP .*catch-up window 10 min/);
        expect(text.out).toMatch(/mode update-only, EDD product \d+, timeout 1h/);

        const paused = await cli(
          ['schedule', 'pause', campaign, '--note', 'EDD maintenance until 18:00'],
          tq,
        );
        expect(paused.code).toBe(EXIT.ok);
        expect(await describeJson(campaign, tq)).toMatchObject({
          paused: true,
          note: 'EDD maintenance until 18:00',
        });
        expect((await cli(['schedule', 'describe', campaign], tq)).out).toMatch(
          /, PAUSED\n\s+note\s+EDD maintenance/,
        );
        // Triggers and backfills run while paused (and no natural hh:00 tick can add a run meanwhile).
        // A trigger runs the launcher now; it syncs under the campaign's lock and returns the summary.
        const triggered = await cli(['schedule', 'trigger', campaign, '--wait', '--json'], tq);
        // With --json the human line goes to stderr; stdout is the JSON document alone.
        expect(triggered.err).toMatch(/^Triggered the sync schedule of 2099_\w+: launcher .*; waiting\.$/);
        expect(triggered.code).toBe(EXIT.ok);
        const outcome = JSON.parse(triggered.out) as ScheduleActionView & {
          outcome: string;
          overlap: string;
        };
        expect(outcome).toMatchObject({ outcome: 'started', overlap: 'SKIP', status: 'completed' });
        expect(outcome.workflowId.startsWith(`${launcherWorkflowId(campaign)}-`)).toBe(true);
        // update-only on an empty MailerLite: nobody is created, every valid record is skipped.
        expect(outcome.summary).toMatchObject({ status: 'completed', mode: 'update-only', created: 0 });
        expect(outcome.summary!.fetched).toBeGreaterThan(0);

        const afterTrigger = await describeJson(campaign, tq);
        expect(afterTrigger.numActionsTaken).toBe(1);
        expect(afterTrigger.recent).toHaveLength(1);
        expect(afterTrigger.recent[0]).toMatchObject({
          workflowId: outcome.workflowId,
          runId: outcome.runId,
          status: 'completed',
          summary: { fetched: outcome.summary!.fetched, created: 0 },
        });

        // Backfill a past range holding two ticks (hh:00), overlap SKIP: the first runs, the
        // second finds it running and is skipped (each sync covers the whole campaign).
        const now = Date.now();
        const hour = Math.floor(now / 3_600_000) * 3_600_000;
        const from = new Date(hour - 2.5 * 3_600_000).toISOString();
        const to = new Date(hour - 0.5 * 3_600_000).toISOString();
        const backfill = await cli(['schedule', 'backfill', campaign, '--from', from, '--to', to], tq);
        expect(backfill.err).toBe('');
        expect(backfill.code).toBe(EXIT.ok);
        expect(backfill.out).toMatch(/overlap SKIP/);
        const afterBackfill = await eventually(
          () => describeJson(campaign, tq),
          (v) =>
            v.numActionsTaken >= 2 && v.running.length === 0 && v.recent.every((a) => a.status !== 'running'),
          'the backfilled run to finish',
          60_000,
        );
        expect(afterBackfill.numActionsTaken + afterBackfill.numActionsSkippedOverlap).toBe(3);
        const backfilled = afterBackfill.recent.slice(1);
        expect(backfilled.length).toBeGreaterThanOrEqual(1);
        for (const a of backfilled) {
          expect(a.status).toBe('completed');
          expect(new Date(a.scheduledAt).getTime()).toBeLessThan(now);
        }

        const unpaused = await cli(['schedule', 'unpause', campaign, '--note', 'maintenance over'], tq);
        expect(unpaused.code).toBe(EXIT.ok);
        expect(await describeJson(campaign, tq)).toMatchObject({ paused: false, note: 'maintenance over' });

        const deleted = await cli(['schedule', 'delete', campaign], tq);
        expect(deleted.code).toBe(EXIT.ok);
        expect((await cli(['schedule', 'describe', campaign], tq)).code).toBe(EXIT.notFound);
        expect((await cli(['schedule', 'delete', campaign], tq)).code).toBe(EXIT.notFound);
        expect((await cli(['schedule', 'trigger', campaign], tq)).code).toBe(EXIT.notFound);
      });
    } finally {
      await deleteSchedule(campaign);
    }
  });

  it('refuses bad timing and options with exit 2 and a clear message, before connecting', async () => {
    const campaign = uniqueCampaign();
    // Nothing listens there: these fail on the input alone.
    const nowhere = 'localhost:1';
    const cases: [string[], RegExp][] = [
      [['--cron', '99 * * * *'], /the minute field '99' is out of range \(0-59\)/],
      [['--cron', '0 25 * * *'], /the hour field '25' is out of range \(0-23\)/],
      [['--cron', '0 * * *'], /--cron must have five fields/],
      [['--every', '5x'], /--every must be a whole number of minutes, hours or days/],
      [['--every', '90s'], /--every must be a whole number of minutes, hours or days/],
      [['--every', '1h', '--cron', '0 * * * *'], /give exactly one of --every .* and --cron/],
      [[], /give exactly one of --every .* and --cron/],
      [['--every', '1h', '--mode', 'sometimes'], /--mode must be one of upsert, update-only, mirror/],
      [['--every', '1h', '--timeout', 'soon'], /--timeout must be a duration such as 90s/],
      [['--every', '1h', '--page-size', 'lots'], /--page-size must be a whole number from 1 to 1000/],
    ];
    for (const [flags, message] of cases) {
      const r = await cli(['schedule', 'create', campaign, ...flags], 'unused', nowhere);
      expect({ flags, code: r.code }).toEqual({ flags, code: EXIT.invalidInput });
      expect(r.err).toMatch(message);
    }
    const badCode = await cli(['schedule', 'create', 'not-a-code', '--every', '1h'], 'unused', nowhere);
    expect(badCode.code).toBe(EXIT.invalidInput);
    expect(badCode.err).toMatch(/campaign must be a code like 2024_ETB_NBL/);
    const badBackfill = await cli(
      ['schedule', 'backfill', campaign, '--from', 'yesterday', '--to', 'today'],
      'unused',
      nowhere,
    );
    expect(badBackfill.code).toBe(EXIT.invalidInput);
    expect(badBackfill.err).toMatch(/--from must be an ISO time/);
    const badOverlap = await cli(
      ['schedule', 'trigger', campaign, '--overlap', 'sometimes'],
      'unused',
      nowhere,
    );
    expect(badOverlap.code).toBe(EXIT.invalidInput);

    // What only the server can judge (a day name it does not know) is refused with exit 2 too.
    const serverSide = await cli(['schedule', 'create', campaign, '--cron', '0 0 * * FOO'], 'unused');
    expect(serverSide.code).toBe(EXIT.invalidInput);
    expect(serverSide.err).toMatch(/Invalid schedule: /);
    await deleteSchedule(campaign);
  });

  it('campaign create and schedule create build identical schedules', async () => {
    const [a, b] = [uniqueCampaign(), uniqueCampaign()];
    const productId = album(0).id;
    const tq = 'identical-schedules';
    try {
      await stack.activities.createSyncSchedule({
        campaign: a,
        scheduleId: syncScheduleId(a),
        timing: { every: '30m' },
        taskQueue: tq,
        args: scheduledSyncInput(a, [...DEFAULT_TIERS], { productId }, `schedule:${syncScheduleId(a)}`),
        owner: 'campaign-create-test/run',
      });
      await createSyncSchedule(temporal.client, tq, {
        campaign: b,
        timing: { every: '30m' },
        sync: { productId },
      });
      const [da, db] = await Promise.all([
        temporal.client.schedule.getHandle(syncScheduleId(a)).describe(),
        temporal.client.schedule.getHandle(syncScheduleId(b)).describe(),
      ]);
      const comparable = (d: typeof da, code: string) => {
        // Search attributes serialise as a list, in no particular order.
        const sorted = (attrs: unknown) =>
          (JSON.parse(JSON.stringify(attrs ?? [])) as { key: { name: string } }[]).sort((x, y) =>
            x.key.name.localeCompare(y.key.name),
          );
        const view = {
          spec: d.spec,
          policies: d.policies,
          action: { ...d.action, typedSearchAttributes: sorted(d.action.typedSearchAttributes) },
          timing: d.memo?.timing,
        };
        return JSON.parse(JSON.stringify(view).replaceAll(code, 'CODE')) as unknown;
      };
      expect(comparable(da, a)).toEqual(comparable(db, b));
      expect(da.action).toMatchObject({
        workflowType: WORKFLOW_TYPES.scheduledCampaignSync,
        args: [{ campaign: a, productId, timeout: '30m', trigger: `schedule:${syncScheduleId(a)}` }],
      });
      expect(da.policies).toMatchObject({ overlap: 'SKIP', catchupWindow: 600_000 });
    } finally {
      await Promise.all([deleteSchedule(a), deleteSchedule(b)]);
    }
  });
});

describe('locks hold for scheduled runs', () => {
  it('a manual sync holds the lock: a scheduled run is skipped naming it, and exactly one sync runs', async () => {
    const campaign = uniqueCampaign();
    const product = album(0);
    // The manual sync reads no page until the schedule's run has been refused: it must still hold
    // the lock then, however fast or slow the machine is.
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    try {
      await withWorker(temporal, slowSource(stack, gate), async (tq) => {
        const created = await cli(
          [
            'schedule',
            'create',
            campaign,
            '--every',
            '1h',
            '--product-id',
            String(product.id),
            '--page-size',
            '25',
            // Paused: only the test's triggers run it, never a natural hh:00 tick.
            '--paused',
          ],
          tq,
        );
        expect(created.code).toBe(EXIT.ok);
        const writesBefore = await subscriberWrites();

        const manual = await startSync(temporal.client, tq, {
          campaign,
          productId: product.id,
          pageSize: 25,
          trigger: 'cli',
          timeout: '2h',
        });
        await waitForProgress(manual, (p) => p.phase === 'syncing');

        // The lock is listed with its holder, progress and latest release (the manual --timeout).
        const lock = await eventually(
          async () => {
            const r = await cli(['locks', '--json'], tq);
            return (JSON.parse(r.out) as HeldLock[]).find((l) => l.campaign === campaign);
          },
          (l) => l !== undefined,
          'the lock to be listed',
        );
        expect(lock).toMatchObject({
          campaign,
          runId: manual.firstExecutionRunId,
          holder: 'cli',
          workflowType: WORKFLOW_TYPES.campaignSync,
          progress: { campaign, trigger: 'cli' },
          releaseBy: { reason: expect.stringMatching(/overall timeout/) as unknown },
        });
        const started = new Date(lock!.startedAt).getTime();
        expect(new Date(lock!.releaseBy.at!).getTime() - started).toBeGreaterThanOrEqual(
          2 * 3_600_000 - 1000,
        );
        expect(new Date(lock!.releaseBy.at!).getTime() - started).toBeLessThanOrEqual(2 * 3_600_000 + 5000);
        const locksText = (await cli(['locks'], tq)).out;
        expect(locksText).toMatch(
          new RegExp(
            `${campaign}\\s+run \\S+\\s+since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d \\(\\d+[smh] ago\\)\\s+by cli`,
          ),
        );
        expect(locksText).toMatch(
          /released\s+by \d{4}-\d\d-\d\d \d\d:\d\d \(in 1h\) at the latest \(the sync's overall timeout/,
        );

        // The schedule's run finds the campaign locked: it is skipped, naming the manual run.
        const triggered = await cli(['schedule', 'trigger', campaign, '--wait', '--json'], tq).finally(
          release,
        );
        expect(triggered.code).toBe(EXIT.locked);
        const outcome = JSON.parse(triggered.out) as ScheduleActionView;
        expect(outcome).toMatchObject({
          status: 'skipped',
          holder: {
            workflowId: syncWorkflowId(campaign),
            workflowType: WORKFLOW_TYPES.campaignSync,
            runId: manual.firstExecutionRunId,
            trigger: 'cli',
          },
        });
        const summary = await manual.result();
        expect(summary.status).toBe('completed');

        // Recorded in the schedule's recent results, with the holder named.
        const view = await describeJson(campaign, tq);
        expect(view.recent).toHaveLength(1);
        expect(view.recent[0]).toMatchObject({
          status: 'skipped',
          holder: { runId: manual.firstExecutionRunId },
        });
        expect((await cli(['schedule', 'describe', campaign], tq)).out).toMatch(
          new RegExp(
            `SKIPPED: campaign locked by cli \\(campaignSync campaign-sync-${campaign}, run ${manual.firstExecutionRunId}`,
          ),
        );

        // Exactly one sync ran: one execution under the lock ID, and one sync's writes.
        const runs = await executionsUnderLock(campaign);
        expect(runs.map((r) => r.runId)).toEqual([manual.firstExecutionRunId]);
        expect((await subscriberWrites()) - writesBefore).toBe(summary.created + summary.updated);
        expect(summary.created).toBeGreaterThan(0);
      });
    } finally {
      release();
      await deleteSchedule(campaign);
    }
  });

  it('a campaign can have an incremental schedule beside its full one: while one runs the other is skipped, and the incremental catches up', async () => {
    const campaign = uniqueCampaign();
    const product = album(1);
    const fullId = syncScheduleId(campaign);
    const incrementalId = syncScheduleId(campaign, 'incremental');
    let release = () => {};
    let gate = new Promise<void>((resolve) => (release = resolve));
    const common = ['--product-id', String(product.id), '--page-size', '25', '--paused'];
    // Source pages wait for the current gate, so either schedule's sync can be held running.
    const held = beforeEachPage(stack.activities, async () => {
      await new Promise((r) => setTimeout(r, 300));
      await gate;
    });

    try {
      await withWorker(temporal, held, async (tq) => {
        const full = await cli(['schedule', 'create', campaign, '--cron', '0 3 * * *', ...common], tq);
        expect(full.code).toBe(EXIT.ok);
        const frequent = await cli(
          ['schedule', 'create', campaign, '--every', '1m', '--incremental', ...common, '--json'],
          tq,
        );
        expect(frequent.err).toBe('');
        expect(frequent.code).toBe(EXIT.ok);
        expect(JSON.parse(frequent.out)).toMatchObject({
          campaign,
          kind: 'incremental',
          scheduleId: incrementalId,
          sync: { incremental: true, trigger: `schedule:${incrementalId}`, timeout: '1h' },
        });
        // One of each kind: a second incremental schedule is refused, naming the first.
        const again = await cli(['schedule', 'create', campaign, '--every', '5m', '--incremental'], tq);
        expect(again.code).toBe(EXIT.locked);
        expect(again.err).toContain(`already has an incremental sync schedule (${incrementalId})`);
        const listed = await eventually(
          async () =>
            JSON.parse((await cli(['schedule', 'list', '--json'], tq)).out) as {
              scheduleId: string;
              kind: string;
            }[],
          (list) => list.filter((l) => l.scheduleId.startsWith(fullId)).length === 2,
          'both schedules to be listed',
        );
        expect(
          listed.filter((l) => l.scheduleId.startsWith(fullId)).map((l) => [l.scheduleId, l.kind]),
        ).toEqual([
          [fullId, 'full'],
          [incrementalId, 'incremental'],
        ]);

        // The nightly full sync runs (held at its pages); the incremental tick finds the lock taken.
        expect((await cli(['schedule', 'trigger', campaign], tq)).code).toBe(EXIT.ok);
        const running = await runningSyncBy(campaign, `schedule:${fullId}`);
        const skipped = await cli(
          ['schedule', 'trigger', campaign, '--incremental', '--wait', '--json'],
          tq,
        ).finally(release);
        expect(skipped.code).toBe(EXIT.locked);
        expect(JSON.parse(skipped.out)).toMatchObject({
          status: 'skipped',
          holder: { runId: running.runId, trigger: `schedule:${fullId}` },
        });
        const fullSummary = (await temporal.client.workflow
          .getHandle(syncWorkflowId(campaign), running.runId)
          .result()) as SyncSummary;
        expect(fullSummary).toMatchObject({ status: 'completed', failed: 0 });
        expect(fullSummary.watermark).toBeDefined();

        // A new buyer: the next incremental tick reads back to the full sync's watermark and syncs them.
        const buyers = new Set(
          stack.dataset.sales
            .filter((s) => s.products.some((p) => p.id === product.id))
            .map((s) => s.customerId),
        );
        const buyer = stack.dataset.customers.find((c) => c.defects.length === 0 && !buyers.has(c.id))!;
        await addOrder(stack, buyer.id, [product.id]);
        const caughtUp = await cli(
          ['schedule', 'trigger', campaign, '--incremental', '--wait', '--json'],
          tq,
        );
        expect(caughtUp.code).toBe(EXIT.ok);
        // (Created, or updated when an earlier test's campaign already brought them to MailerLite.)
        const outcome = JSON.parse(caughtUp.out) as ScheduleActionView;
        expect(outcome).toMatchObject({ status: 'completed', summary: { failed: 0 } });
        expect(outcome.summary!.created + outcome.summary!.updated).toBe(1);
        const latest = (await temporal.client.workflow
          .getHandle(syncWorkflowId(campaign))
          .result()) as SyncSummary;
        expect(latest.incremental!.from).toMatchObject({ order: fullSummary.watermark!.order });
        expect(latest.pages).toBeLessThan(fullSummary.pages);

        // Both tick on the minute: a full tick that finds the incremental sync holding the lock
        // waits for it and then runs, rather than losing its night.
        gate = new Promise<void>((resolve) => (release = resolve));
        await addOrder(
          stack,
          stack.dataset.customers.find(
            (c) => c.defects.length === 0 && !buyers.has(c.id) && c.id !== buyer.id,
          )!.id,
          [product.id],
        );
        expect((await cli(['schedule', 'trigger', campaign, '--incremental'], tq)).code).toBe(EXIT.ok);
        const incrementalRun = await runningSyncBy(campaign, `schedule:${incrementalId}`);
        const fullTick = await cli(['schedule', 'trigger', campaign, '--json'], tq);
        expect(fullTick.code).toBe(EXIT.ok);
        const launcher = JSON.parse(fullTick.out) as { workflowId: string; runId: string };
        await new Promise((r) => setTimeout(r, 1500));
        release();
        const waited = (await temporal.client.workflow
          .getHandle(launcher.workflowId, launcher.runId)
          .result()) as SyncSummary;
        expect(waited).toMatchObject({ status: 'completed', failed: 0 });
        expect(waited.incremental).toBeUndefined();
        expect(
          (
            (await temporal.client.workflow
              .getHandle(syncWorkflowId(campaign), incrementalRun.runId)
              .result()) as SyncSummary
          ).status,
        ).toBe('completed');

        // Each is addressed by its kind.
        expect((await cli(['schedule', 'describe', campaign, '--incremental'], tq)).out).toContain(
          `Schedule ${incrementalId} (campaign ${campaign}, incremental syncs): every 1m, PAUSED`,
        );
        expect((await cli(['schedule', 'delete', campaign, '--incremental'], tq)).code).toBe(EXIT.ok);
        expect((await cli(['schedule', 'describe', campaign, '--incremental'], tq)).code).toBe(EXIT.notFound);
        expect((await cli(['schedule', 'describe', campaign], tq)).code).toBe(EXIT.ok);
      });
    } finally {
      release();
      await deleteSchedule(campaign);
      await deleteSchedule(campaign, 'incremental');
    }
  });

  it('a scheduled sync holds the lock: a manual start is refused naming the schedule', async () => {
    const campaign = uniqueCampaign();
    const product = album(0);
    const scheduleId = syncScheduleId(campaign);
    const trigger = `schedule:${scheduleId}`;
    try {
      await withWorker(temporal, slowSource(stack), async (tq) => {
        expect(
          (
            await cli(
              [
                'schedule',
                'create',
                campaign,
                '--every',
                '1h',
                '--product-id',
                String(product.id),
                '--page-size',
                '25',
                // Paused: only the test's triggers run it, never a natural hh:00 tick.
                '--paused',
              ],
              tq,
            )
          ).code,
        ).toBe(EXIT.ok);
        const fired = await cli(['schedule', 'trigger', campaign, '--json'], tq);
        expect(fired.code).toBe(EXIT.ok);
        const launcher = JSON.parse(fired.out) as { workflowId: string; runId: string };
        const run = await runningSyncBy(campaign, trigger);
        expect(run.parentExecution?.workflowId).toBe(launcher.workflowId);

        let refusal: unknown;
        try {
          await startSync(temporal.client, tq, { campaign, productId: product.id, trigger: 'cli' });
        } catch (err) {
          refusal = err;
        }
        expect(refusal).toBeInstanceOf(SyncAlreadyRunningError);
        expect(refusal).toMatchObject({
          holder: trigger,
          runId: run.runId,
          holderType: WORKFLOW_TYPES.campaignSync,
        });
        const refused = await cli(['sync', 'start', campaign, '--product-id', String(product.id)], tq);
        expect(refused.code).toBe(EXIT.locked);
        expect(refused.err).toContain(`started by ${trigger}`);

        // A second trigger meanwhile is dropped by the overlap policy (SKIP), exit 3.
        const overlapping = await cli(['schedule', 'trigger', campaign], tq);
        expect(overlapping.code).toBe(EXIT.locked);
        expect(overlapping.err).toMatch(/overlap policy SKIP dropped this trigger/);

        // `locks` names the schedule and the launcher; the scheduled sync's default timeout
        // (the interval, 1h) bounds the lock.
        const lock = await eventually(
          async () =>
            (JSON.parse((await cli(['locks', '--json'], tq)).out) as HeldLock[]).find(
              (l) => l.campaign === campaign,
            ),
          (l) => l !== undefined,
          'the lock to be listed',
        );
        expect(lock).toMatchObject({ holder: trigger, parentWorkflowId: launcher.workflowId });
        expect(
          new Date(lock!.releaseBy.at!).getTime() - new Date(lock!.startedAt).getTime(),
        ).toBeLessThanOrEqual(3_600_000 + 5000);

        const result: unknown = await temporal.client.workflow
          .getHandle(launcher.workflowId, launcher.runId)
          .result();
        expect(result).toMatchObject({ campaign, status: 'completed' });
        const runs = await executionsUnderLock(campaign);
        expect(runs.map((r) => r.runId)).toEqual([run.runId]);
        const view = await describeJson(campaign, tq);
        expect(view.numActionsSkippedOverlap).toBe(1);
        expect(view.recent.map((a) => a.status)).toEqual(['completed']);
      });
    } finally {
      await deleteSchedule(campaign);
    }
  });

  it('locks lists a lock run held for another workflow, with its holder and its execution timeout', async () => {
    const campaign = uniqueCampaign();
    await withWorker(temporal, stack.activities, async (tq) => {
      const lockRun = await temporal.client.workflow.start(WORKFLOW_TYPES.campaignLock, {
        taskQueue: tq,
        workflowId: syncWorkflowId(campaign),
        args: [{ campaign, holder: 'transition:campaign-transition-test' }],
        workflowExecutionTimeout: '1h',
        typedSearchAttributes: [{ key: SYNC_TRIGGER, value: 'transition:campaign-transition-test' }],
      });
      try {
        const lock = await eventually(
          async () =>
            (JSON.parse((await cli(['locks', '--json'], tq)).out) as HeldLock[]).find(
              (l) => l.campaign === campaign,
            ),
          (l) => l !== undefined,
          'the lock to be listed',
        );
        expect(lock).toMatchObject({
          workflowType: WORKFLOW_TYPES.campaignLock,
          holder: 'transition:campaign-transition-test',
          releaseBy: { reason: "the run's execution timeout" },
        });
        expect(lock!.progress).toBeUndefined();
        const bound = new Date(lock!.releaseBy.at!).getTime() - new Date(lock!.startedAt).getTime();
        expect(Math.abs(bound - 3_600_000)).toBeLessThan(5000);
        expect((await cli(['locks'], tq)).out).toMatch(
          new RegExp(
            `${campaign}\\s+run \\S+\\s+since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d \\(\\d+[smh] ago\\)\\s+by transition:campaign-transition-test \\(lock run\\)`,
          ),
        );
      } finally {
        await lockRun.signal('release');
        await lockRun.result();
      }
    });
  });

  it('a manual start and a scheduled run started at the same moment yield exactly one sync', async () => {
    const campaign = uniqueCampaign();
    const product = album(0);
    const trigger = `schedule:${syncScheduleId(campaign)}`;
    // Source pages wait until both starts have raced (the list path reads eight pages at once, so
    // a merely slowed sync could end before the scheduled run starts, and never meet it).
    let release = () => {};
    const gate = new Promise<void>((resolve) => (release = resolve));
    try {
      await withWorker(temporal, slowSource(stack, gate), async (tq) => {
        expect(
          (
            await cli(
              [
                'schedule',
                'create',
                campaign,
                '--every',
                '1h',
                '--product-id',
                String(product.id),
                '--page-size',
                '25',
                // Paused: only the test's triggers run it, never a natural hh:00 tick.
                '--paused',
              ],
              tq,
            )
          ).code,
        ).toBe(EXIT.ok);
        const writesBefore = await subscriberWrites();
        const manualStart = startSync(temporal.client, tq, {
          campaign,
          productId: product.id,
          pageSize: 25,
          trigger: 'cli',
        });
        const scheduledRun = cli(['schedule', 'trigger', campaign, '--wait', '--json'], tq);
        void Promise.allSettled([manualStart]).then(() => setTimeout(release, 3000));
        const [manual, scheduled] = await Promise.allSettled([manualStart, scheduledRun]);
        expect(scheduled.status).toBe('fulfilled');
        const launched = (scheduled as PromiseFulfilledResult<{ code: number; out: string }>).value;
        const outcome = JSON.parse(launched.out) as ScheduleActionView;
        let summary: SyncSummary;
        if (manual.status === 'fulfilled') {
          // The manual start won: the scheduled run was skipped, naming it.
          expect(launched.code).toBe(EXIT.locked);
          expect(outcome).toMatchObject({
            status: 'skipped',
            holder: { runId: manual.value.firstExecutionRunId, trigger: 'cli' },
          });
          summary = await manual.value.result();
        } else {
          // The schedule won: the manual start was refused, naming the schedule.
          expect(manual.reason).toBeInstanceOf(SyncAlreadyRunningError);
          expect((manual.reason as SyncAlreadyRunningError).holder).toBe(trigger);
          expect(outcome.status).toBe('completed');
          summary = outcome.summary as unknown as SyncSummary;
        }
        const runs = await executionsUnderLock(campaign);
        expect(runs).toHaveLength(1);
        expect(runs[0]!.type).toBe(WORKFLOW_TYPES.campaignSync);
        expect((await subscriberWrites()) - writesBefore).toBe(summary.created + summary.updated);
      });
    } finally {
      await deleteSchedule(campaign);
    }
  });
});
