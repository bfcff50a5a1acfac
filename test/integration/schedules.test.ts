import type { WorkflowExecutionDescription, WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import { localTime } from '../../src/shared/when';
import { EventEmitter } from 'node:events';
import { EXIT } from '../../src/client/errors';
import { runCli } from '../../src/client';
import { listCampaignSyncSchedules } from '../../src/temporal/system';
import { SyncAlreadyRunningError, startSync } from '../../src/client';
import type { HeldLock } from '../../src/client/locks';
import {
  createAllCampaignsSchedule,
  createSyncSchedule,
  describeSyncSchedule,
  type ScheduleActionView,
  type ScheduleListing,
  type ScheduleView,
} from '../../src/client/schedules';
import { DEFAULT_TIERS } from '../../src/shared/campaign';
import {
  launcherWorkflowId,
  SYNC_ALL_SCHEDULE_ID,
  syncScheduleId,
  syncWorkflowId,
  WORKFLOW_TYPES,
  type ScheduleKind,
} from '../../src/shared/names';
import { addOrder } from '../helpers/store-admin';
import { scheduledSyncInput } from '../../src/shared/provisioning';
import { SYNC_TRIGGER } from '../../src/shared/search-attributes';
import type { SyncProgress, SyncSummary } from '../../src/shared/sync-types';
import { withWorker } from '../helpers/temporal';
import { beforeEachPage, uniqueCampaign, type Stack } from '../helpers/stack';
import { eventually } from '../helpers/eventually';
import { useIntegrationStack } from '../helpers/integration';

const { temporal, stack, album, cli } = useIntegrationStack({
  customers: 600,
  temporal: true,
  cliEnv: { USER: 'tester' },
});

async function describeJson(campaign: string, tq: string): Promise<ScheduleView> {
  const r = await cli(['schedule', 'describe', campaign, '--json'], tq);
  expect(r.code).toBe(EXIT.ok);
  return JSON.parse(r.out) as ScheduleView;
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
    `the runs of ${campaign} to be closed in visibility`,
    async () => {
      const runs: WorkflowExecutionInfo[] = [];
      for await (const e of temporal.client.workflow.list({
        query: `WorkflowId = '${syncWorkflowId(campaign)}'`,
      }))
        runs.push(e);
      return runs;
    },
    { until: (runs) => runs.length > 0 && runs.every((r) => r.status.name !== 'RUNNING'), timeoutMs: 15_000 },
  );
}

async function waitForProgress(
  handle: WorkflowHandle,
  ok: (p: SyncProgress) => boolean,
): Promise<SyncProgress> {
  return eventually(
    'the sync to make progress',
    () => handle.query<SyncProgress>('progress').catch(() => undefined),
    {
      until: ok,
      timeoutMs: 15_000,
    },
  );
}

/** The campaign's sync, once it runs under the lock ID, started by the given trigger. */
async function runningSyncBy(campaign: string, trigger: string): Promise<WorkflowExecutionDescription> {
  return eventually(
    `a sync of ${campaign} by ${trigger}`,
    () =>
      temporal.client.workflow
        .getHandle(syncWorkflowId(campaign))
        .describe()
        .catch(() => undefined),
    {
      until: (d) =>
        d.type === WORKFLOW_TYPES.campaignSync &&
        d.status.name === 'RUNNING' &&
        d.typedSearchAttributes.get(SYNC_TRIGGER) === trigger,
      timeoutMs: 15_000,
    },
  );
}

/** A time as the CLI shows it: local, with its age (`2026-12-05 13:05 (2s ago)`, `(in 14h)`). */
const WHEN = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d \\((?:in )?\\d+[smhd](?: ago)?\\)';

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
        const listed = await eventually('the schedule to be listed', () => cli(['schedule', 'list'], tq), {
          until: (r) => r.out.includes(campaign),
          timeoutMs: 15_000,
        });
        // Aligned columns: each header starts where its cells start.
        const lines = listed.out.split('\n');
        const header = lines.find((l) => l.includes('CAMPAIGN'))!;
        const row = lines.find((l) => l.includes(campaign))!;
        expect(row).toMatch(
          new RegExp(
            `${campaign}\\s+full\\s+every 1h\\s+active\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d \\(in \\d+[smh]\\)\\s+-\\s+no run yet$`,
          ),
        );
        for (const column of ['KIND', 'TIMING', 'STATE', 'NEXT RUN', 'LAST RUN', 'LAST RESULT'])
          expect(row[header.indexOf(column) - 1]).toBe(' ');
        expect(row.indexOf('full')).toBe(header.indexOf('KIND'));
        expect(row.indexOf('every 1h')).toBe(header.indexOf('TIMING'));
        expect(row.indexOf('no run yet')).toBe(header.indexOf('LAST RESULT'));

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
        // The person's note stays; who paused it, when and why is recorded beside it.
        expect(paused.out).toMatch(
          new RegExp(
            `^Paused the sync schedule of ${campaign} \\(by cli:tester at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d \\(\\d+s ago\\): EDD maintenance until 18:00\\)\\. ` +
              `Its note is kept: "hourly purchasers"\\. A sync running now goes on; ` +
              `'campaign-sync schedule unpause ${campaign}' resumes the schedule\\.$`,
          ),
        );
        expect(await describeJson(campaign, tq)).toMatchObject({
          paused: true,
          note: 'hourly purchasers',
          pause: { paused: true, by: 'cli:tester', reason: 'EDD maintenance until 18:00' },
        });
        expect((await cli(['schedule', 'describe', campaign], tq)).out).toMatch(
          /, PAUSED\n\s+note\s+hourly purchasers\n\s+paused\s+by cli:tester at \d{4}-\d\d-\d\d \d\d:\d\d \(\d+s ago\): EDD maintenance until 18:00\n/,
        );
        // Temporal (and its Web UI) shows both in the schedule's note.
        const raw = await temporal.client.schedule.getHandle(scheduleId).describe();
        expect(raw.state.note).toMatch(
          /^hourly purchasers \| PAUSED by cli:tester at \S+: EDD maintenance until 18:00$/,
        );
        // Pausing again changes nothing (and says so).
        const twice = await cli(['schedule', 'pause', campaign], tq);
        expect(twice.out).toMatch(
          new RegExp(
            `^The sync schedule of ${campaign} was paused already \\(paused by cli:tester at ${WHEN}: EDD maintenance until 18:00\\); nothing changed\\.$`,
          ),
        );
        expect((await temporal.client.schedule.getHandle(scheduleId).describe()).raw.conflictToken).toEqual(
          raw.raw.conflictToken,
        );
        // Triggers and backfills run while paused (and no natural hh:00 tick can add a run meanwhile).
        // A trigger runs the launcher now; it syncs under the campaign's lock and returns the summary.
        const triggered = await cli(['schedule', 'trigger', campaign, '--wait', '--json'], tq);
        // With --json the human lines go to stderr; stdout is the JSON document alone. A paused
        // schedule's trigger says it is paused, and that the run started anyway.
        expect(triggered.err.split('\n')).toEqual([
          expect.stringMatching(
            new RegExp(
              `^Note: the sync schedule of ${campaign} is PAUSED \\(by cli:tester at ${WHEN}: EDD maintenance until 18:00\\)\\. ` +
                `Temporal runs a trigger anyway: this run was started, and the schedule stays paused ` +
                `\\('campaign-sync schedule unpause ${campaign}' resumes it\\)\\.$`,
            ),
          ),
          expect.stringMatching(/^Triggered the sync schedule of 2099_\w+: launcher .*; waiting\.$/),
        ]);
        expect(triggered.code).toBe(EXIT.ok);
        const outcome = JSON.parse(triggered.out) as ScheduleActionView & {
          outcome: string;
          overlap: string;
        };
        expect(outcome).toMatchObject({
          outcome: 'started',
          overlap: 'SKIP',
          status: 'completed',
          paused: true,
          pause: { by: 'cli:tester', reason: 'EDD maintenance until 18:00' },
        });
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
          'the backfilled run to finish',
          () => describeJson(campaign, tq),
          {
            until: (v) =>
              v.numActionsTaken >= 2 &&
              v.running.length === 0 &&
              v.recent.every((a) => a.status !== 'running'),
            timeoutMs: 60_000,
          },
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
        expect(unpaused.out).toMatch(
          new RegExp(
            `^Unpaused the sync schedule of ${campaign} \\(by cli:tester at ${WHEN}: maintenance over\\)\\. Its note is kept: "hourly purchasers"\\.$`,
          ),
        );
        expect(await describeJson(campaign, tq)).toMatchObject({
          paused: false,
          note: 'hourly purchasers',
          pause: { paused: false, by: 'cli:tester', reason: 'maintenance over' },
        });
        expect((await temporal.client.schedule.getHandle(scheduleId).describe()).state.note).toBe(
          'hourly purchasers',
        );
        // The list shows the last run's result.
        const relisted = await cli(['schedule', 'list', '--json'], tq);
        const mine = (JSON.parse(relisted.out) as ScheduleListing[]).find((l) => l.campaign === campaign)!;
        expect(mine).toMatchObject({
          paused: false,
          note: 'hourly purchasers',
          last: { status: 'completed' },
        });
        expect((await cli(['schedule', 'list'], tq)).out).toMatch(
          new RegExp(`${campaign}\\s+full\\s+every 1h\\s+active\\s+${WHEN}\\s+${WHEN}\\s+ok: \\+0 ~\\d+`),
        );

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
      [
        ['--cron', '0 3 * * *', '--timezone', 'Mars/Olympus'],
        /--timezone: 'Mars\/Olympus' is not a time zone; give an IANA time zone name such as Europe\/Berlin/,
      ],
      [['--cron', '0 3 * * *', '--timezone', 'europe/berlin'], /did you mean Europe\/Berlin\?/],
      [['--cron', '0 3 * * *', '--timezone', '+01:00'], /--timezone must be an IANA time zone name/],
      [['--every', '1h', '--timezone', 'UTC'], /--timezone applies to --cron only/],
      [['--every', '1h', '--concurrency', '3'], /--concurrency is for the schedule of all campaigns/],
    ];
    for (const [flags, message] of cases) {
      const r = await cli(['schedule', 'create', campaign, ...flags], 'unused', { address: nowhere });
      expect({ flags, code: r.code }).toEqual({ flags, code: EXIT.invalidInput });
      expect(r.err).toMatch(message);
    }
    const badCode = await cli(['schedule', 'create', 'not-a-code', '--every', '1h'], 'unused', {
      address: nowhere,
    });
    expect(badCode.code).toBe(EXIT.invalidInput);
    expect(badCode.err).toMatch(/campaign must be a code like 2024_ETB_NBL/);
    const badBackfill = await cli(
      ['schedule', 'backfill', campaign, '--from', 'yesterday', '--to', 'today'],
      'unused',
      { address: nowhere },
    );
    expect(badBackfill.code).toBe(EXIT.invalidInput);
    expect(badBackfill.err).toMatch(/--from must be an ISO time/);
    const badOverlap = await cli(['schedule', 'trigger', campaign, '--overlap', 'sometimes'], 'unused', {
      address: nowhere,
    });
    expect(badOverlap.code).toBe(EXIT.invalidInput);
    // The all-campaigns schedule: a campaign or --all-campaigns, not both; no --product-id.
    const refusals: [string[], RegExp][] = [
      [
        ['create', campaign, '--all-campaigns', '--every', '1h'],
        /give a campaign code or --all-campaigns, not both/,
      ],
      [['create', '--every', '1h'], /give the campaign code of the schedule .* or --all-campaigns/],
      [
        ['create', '--all-campaigns', '--every', '1h', '--product-id', '7'],
        /--product-id names one campaign's product/,
      ],
      [
        ['create', '--all-campaigns', '--every', '1h', '--concurrency', '99'],
        /--concurrency must be at most 20/,
      ],
      [
        ['update', campaign],
        /nothing to update: give --every or --cron, --timezone, --note, or sync options/,
      ],
      [['update', campaign, '--timezone', 'Nowhere/Land'], /--timezone: 'Nowhere\/Land' is not a time zone/],
      [['update', campaign, '--every', '1h', '--timezone', 'UTC'], /--timezone applies to --cron only/],
      [['trigger', '--all-campaigns', '--incremental'], /the schedule of all campaigns has none/],
    ];
    for (const [args, message] of refusals) {
      const r = await cli(['schedule', ...args], 'unused', { address: nowhere });
      expect({ args, code: r.code }).toEqual({ args, code: EXIT.invalidInput });
      expect(r.err).toMatch(message);
    }

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
        // The notes differ on purpose (each says what made the schedule); all else is the same.
        const settings = { ...(d.action.memo?.settings as Record<string, unknown>), note: undefined };
        const view = {
          spec: d.spec,
          policies: d.policies,
          action: {
            ...d.action,
            memo: { settings },
            typedSearchAttributes: sorted(d.action.typedSearchAttributes),
          },
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

describe('maintaining schedules', () => {
  /** The hour a time shows in a time zone. */
  const hourIn = (iso: string, timeZone: string) =>
    Number(
      new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' }).format(new Date(iso)),
    );

  it('schedule update changes timing, time zone, options and note in place, keeping the history, the pause and the kind', async () => {
    const campaign = uniqueCampaign();
    const product = album(1);
    const scheduleId = syncScheduleId(campaign);
    try {
      await withWorker(temporal, stack.activities, async (tq) => {
        const missing = await cli(['schedule', 'update', campaign, '--note', 'x'], tq);
        expect(missing.code).toBe(EXIT.notFound);
        expect(missing.err).toMatch(new RegExp(`Campaign ${campaign} has no sync schedule`));

        const created = await cli(
          ['schedule', 'create', campaign, '--every', '1h', '--product-id', String(product.id)].concat([
            '--mode',
            'update-only',
            '--max-pages',
            '2',
            '--note',
            'hourly check',
          ]),
          tq,
        );
        expect(created.code).toBe(EXIT.ok);
        const run = await cli(['schedule', 'trigger', campaign, '--wait'], tq);
        expect(run.code).toBe(EXIT.ok);
        expect((await cli(['schedule', 'pause', campaign, '--note', 'store migration'], tq)).code).toBe(
          EXIT.ok,
        );
        const before = await describeJson(campaign, tq);
        expect(before).toMatchObject({ numActionsTaken: 1, paused: true });

        // A cron at 03:00 Berlin time, a longer timeout and a new note; the rest stays.
        const updated = await cli(
          ['schedule', 'update', campaign, '--cron', '0 3 * * *', '--timezone', 'Europe/Berlin'].concat([
            '--timeout',
            '2h',
            '--note',
            'nightly, Berlin time',
          ]),
          tq,
        );
        expect(updated.err).toBe('');
        expect(updated.code).toBe(EXIT.ok);
        expect(updated.out.split('\n').slice(0, 5)).toEqual([
          `Updated the sync schedule of ${campaign}:`,
          '  timing     every 1h',
          '             -> cron "0 3 * * *" (Europe/Berlin)',
          `  sync       mode update-only, EDD product ${product.id}, at most 2 pages, timeout 1h (the campaign's lock is released by then), task queue ${tq}`,
          `             -> mode update-only, EDD product ${product.id}, at most 2 pages, timeout 2h (the campaign's lock is released by then), task queue ${tq}`,
        ]);
        expect(updated.out).toContain('  note       hourly check\n             -> nightly, Berlin time');
        const next = new Date((await describeJson(campaign, tq)).nextActionTimes[0]!);
        expect(updated.out.split('\n').at(-1)).toMatch(
          new RegExp(
            `^History kept: 1 action taken; still PAUSED; next run \\(paused\\) ${localTime(next)} \\(in \\d+[smhd]\\)\\.$`,
          ),
        );

        const after = await describeJson(campaign, tq);
        expect(after).toMatchObject({
          scheduleId,
          kind: 'full',
          timing: { cron: '0 3 * * *', timezone: 'Europe/Berlin' },
          spec: 'cron "0 3 * * *" (Europe/Berlin)',
          // The pause and its record stay; the history too.
          paused: true,
          pause: { paused: true, by: 'cli:tester', reason: 'store migration' },
          note: 'nightly, Berlin time',
          updatedBy: 'cli:tester',
          createdAt: before.createdAt,
          numActionsTaken: 1,
          sync: {
            campaign,
            productId: product.id,
            mode: 'update-only',
            maxPages: 2,
            timeout: '2h',
            trigger: `schedule:${scheduleId}`,
          },
        });
        expect(after.recent.map((a) => a.runId)).toEqual(before.recent.map((a) => a.runId));
        // The server runs it at 03:00 in Berlin, whatever the offset to UTC that day.
        for (const t of after.nextActionTimes) expect(hourIn(t, 'Europe/Berlin')).toBe(3);
        const raw = await temporal.client.schedule.getHandle(scheduleId).describe();
        expect(raw.spec.timezone).toBe('Europe/Berlin');
        expect(raw.state.note).toMatch(
          /^nightly, Berlin time \| PAUSED by cli:tester at \S+: store migration$/,
        );

        // Only the zone: the cron stays.
        const zone = await cli(
          ['schedule', 'update', campaign, '--timezone', 'America/New_York', '--json'],
          tq,
        );
        expect(zone.code).toBe(EXIT.ok);
        const moved = (JSON.parse(zone.out) as { after: ScheduleView }).after;
        expect(moved.spec).toBe('cron "0 3 * * *" (America/New_York)');
        for (const t of moved.nextActionTimes) expect(hourIn(t, 'America/New_York')).toBe(3);

        // Back to an interval: the zone goes with the cron; unpause keeps the updated note.
        const back = await cli(['schedule', 'update', campaign, '--every', '30m', '--mode', 'upsert'], tq);
        expect(back.code).toBe(EXIT.ok);
        expect((await cli(['schedule', 'unpause', campaign], tq)).code).toBe(EXIT.ok);
        expect(await describeJson(campaign, tq)).toMatchObject({
          timing: { every: '30m' },
          spec: 'every 30m',
          paused: false,
          note: 'nightly, Berlin time',
          sync: { mode: 'upsert', maxPages: 2, timeout: '2h' },
          numActionsTaken: 1,
        });
        // --reset-options: exactly the options given; the timeout falls back to the interval.
        const resetRun = await cli(
          [
            'schedule',
            'update',
            campaign,
            '--reset-options',
            '--dry-run',
            '--product-id',
            String(product.id),
          ],
          tq,
        );
        expect(resetRun.code).toBe(EXIT.ok);
        const reset = await describeJson(campaign, tq);
        expect(reset.sync).toEqual({
          campaign,
          productId: product.id,
          dryRun: true,
          timeout: '30m',
          trigger: `schedule:${scheduleId}`,
        });
        // Its runs still sync: the next trigger runs the updated options.
        const dry = await cli(['schedule', 'trigger', campaign, '--wait', '--json'], tq);
        expect(dry.code).toBe(EXIT.ok);
        expect(JSON.parse(dry.out)).toMatchObject({ status: 'completed', summary: { dryRun: true } });
        expect((await describeJson(campaign, tq)).numActionsTaken).toBe(2);
      });
    } finally {
      await deleteSchedule(campaign);
    }
  });

  it('Ctrl-C during schedule trigger --wait stops waiting, says the run goes on and how to follow or cancel it', async () => {
    const campaign = uniqueCampaign();
    // Nobody polls this queue: the triggered run waits.
    const queue = `nobody-${campaign}`;
    const interrupts = new EventEmitter();
    const err: string[] = [];
    try {
      await createSyncSchedule(temporal.client, queue, {
        campaign,
        timing: { every: '1h' },
        sync: { productId: album(0).id },
      });
      const code = await runCli(
        ['schedule', 'trigger', campaign, '--wait'],
        { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: queue },
        {
          out: (l) => {
            if (l.endsWith('; waiting.')) setTimeout(() => interrupts.emit('SIGINT'), 300);
          },
          err: (l) => err.push(l),
        },
        interrupts,
      );
      expect(code).toBe(EXIT.interrupted);
      const launcher = launcherWorkflowId(campaign);
      expect(err.at(-1)).toMatch(
        new RegExp(
          `^Stopped waiting: the scheduled run goes on \\(launcher ${launcher}-\\S+, run [\\w-]+\\)\\. ` +
            `Follow it with 'campaign-sync sync status ${campaign}' or 'campaign-sync schedule describe ${campaign}'; ` +
            `cancel it with 'campaign-sync sync cancel ${campaign}'\\.$`,
        ),
      );
      expect(interrupts.listenerCount('SIGINT')).toBe(0);
      const view = await describeSyncSchedule(temporal.client, campaign, { results: false });
      expect(view.running).toHaveLength(1);
      await temporal.client.workflow.getHandle(view.running[0]!.workflowId).terminate('test cleanup');
    } finally {
      await deleteSchedule(campaign);
    }
  });

  it('one schedule syncs every campaign, and its next run picks up a campaign added after it was made', async () => {
    const [first, later] = [
      { campaign: uniqueCampaign(), productId: album(0).id },
      { campaign: uniqueCampaign(), productId: album(1).id },
    ];
    // What EDD's products give: `later` appears only after the schedule exists.
    const known = [first];
    const listing = () =>
      Promise.resolve(
        known.map((c) => ({
          ...c,
          title: c.campaign,
          groupsPresent: 0,
          groupsExpected: 8,
          purchaseField: false,
        })),
      );
    // A lock of its own, so a `sync all` of another test file sharing the server is not in the way.
    const lockWorkflowId = `campaign-sync-all-test-${first.campaign}`;
    try {
      await withWorker(temporal, { ...stack.activities, listCampaigns: listing }, async (tq) => {
        const view = await createAllCampaignsSchedule(
          temporal.client,
          tq,
          {
            timing: { cron: '0 4 * * *', timezone: 'UTC' },
            sync: { maxPages: 2 },
            concurrency: 2,
            createdBy: 'cli:tester',
          },
          { lockWorkflowId },
        );
        expect(view).toMatchObject({
          campaign: '*',
          kind: 'all-campaigns',
          scheduleId: SYNC_ALL_SCHEDULE_ID,
          spec: 'cron "0 4 * * *" (UTC)',
          concurrency: 2,
          sync: { maxPages: 2 },
        });
        // No campaign list is frozen into it: each run finds the campaigns.
        const raw = await temporal.client.schedule.getHandle(SYNC_ALL_SCHEDULE_ID).describe();
        expect(raw.action).toMatchObject({ workflowType: WORKFLOW_TYPES.scheduledSyncAll });
        expect((raw.action.args?.[0] as Record<string, unknown>).campaigns).toBeUndefined();

        const again = await cli(['schedule', 'create', '--all-campaigns', '--every', '1h'], tq);
        expect(again.code).toBe(EXIT.locked);
        expect(again.err).toMatch(
          /The schedule of all campaigns exists already \(campaign-sync-all-schedule\)/,
        );

        const firstRun = await cli(['schedule', 'trigger', '--all-campaigns', '--wait', '--json'], tq);
        expect(firstRun.code).toBe(EXIT.ok);
        expect(JSON.parse(firstRun.out)).toMatchObject({
          status: 'completed',
          allSummary: {
            total: 1,
            completed: 1,
            campaigns: [{ campaign: first.campaign, status: 'completed' }],
          },
        });

        known.push(later);
        const next = await cli(['schedule', 'trigger', '--all-campaigns', '--wait'], tq);
        expect(next.code).toBe(EXIT.ok);
        expect(next.out.split('\n').at(-1)).toMatch(
          /^ {2}completed: 2 campaigns \(2 synced, 0 skipped, 0 failed\): fetched \d+, created \d+, updated \d+/,
        );
        const described = await cli(['schedule', 'describe', '--all-campaigns', '--json'], tq);
        const all = JSON.parse(described.out) as ScheduleView;
        expect(all.numActionsTaken).toBe(2);
        expect(all.recent.at(-1)).toMatchObject({
          status: 'completed',
          allSummary: {
            total: 2,
            completed: 2,
            campaigns: expect.arrayContaining([
              { campaign: first.campaign, status: 'completed' },
              { campaign: later.campaign, status: 'completed' },
            ]) as unknown,
          },
        });
        // The campaign added later was synced under its own lock, by the schedule's sync all.
        const laterSync = await temporal.client.workflow.getHandle(syncWorkflowId(later.campaign)).describe();
        expect(laterSync.parentExecution?.workflowId).toBe(lockWorkflowId);
        expect(laterSync.status.name).toBe('COMPLETED');

        // While a sync all runs, a scheduled run is skipped naming it.
        const held = await temporal.client.workflow.start('syncAllCampaigns', {
          taskQueue: `nobody-${first.campaign}`,
          workflowId: lockWorkflowId,
          args: [{ campaigns: [first.campaign] }],
          typedSearchAttributes: [{ key: SYNC_TRIGGER, value: 'cli' }],
        });
        const skipped = await cli(['schedule', 'trigger', '--all-campaigns', '--wait'], tq);
        await held.terminate('test cleanup');
        expect(skipped.code).toBe(EXIT.locked);
        expect(skipped.out.split('\n').at(-1)).toBe(
          `  SKIPPED: a sync all was running (by cli, workflow ${lockWorkflowId}, run ${held.firstExecutionRunId})`,
        );

        // A campaign locked by its own sync is skipped by the run, which says so (exit 3, as sync all --wait).
        const manual = await startSync(temporal.client, `nobody-${later.campaign}`, {
          campaign: later.campaign,
          productId: later.productId,
          trigger: 'cli',
        });
        const partly = await cli(['schedule', 'trigger', '--all-campaigns', '--wait'], tq);
        await manual.terminate('test cleanup');
        expect(partly.code).toBe(EXIT.locked);
        expect(partly.err.split('\n').at(-1)).toBe(
          `1 campaign was skipped, not synced, because its lock was held: ${later.campaign}.`,
        );

        // The list shows it beside the campaigns' schedules; health's campaign schedules do not.
        const listed = await eventually(
          'the schedule of all campaigns to be listed',
          () => cli(['schedule', 'list'], tq),
          { until: (r) => r.out.includes('(all campaigns)'), timeoutMs: 15_000 },
        );
        expect(listed.out).toMatch(
          new RegExp(
            `\\(all campaigns\\)\\s+all\\s+cron "0 4 \\* \\* \\*" \\(UTC\\)\\s+active\\s+${WHEN}\\s+${WHEN}\\s+` +
              `1 of 2 campaigns synced, 1 SKIPPED \\(locked\\): \\+\\d+ ~\\d+$`,
            'm',
          ),
        );
        expect((await listCampaignSyncSchedules(temporal.client)).map((s) => s.scheduleId)).not.toContain(
          SYNC_ALL_SCHEDULE_ID,
        );

        // Paused and updated like the others.
        expect((await cli(['schedule', 'pause', '--all-campaigns', '--note', 'EDD upgrade'], tq)).code).toBe(
          EXIT.ok,
        );
        const upd = await cli(
          ['schedule', 'update', '--all-campaigns', '--concurrency', '4', '--mode', 'update-only'],
          tq,
        );
        expect(upd.code).toBe(EXIT.ok);
        expect(upd.out).toContain('  sync       mode upsert, 2 campaigns at once, at most 2 pages');
        expect(upd.out).toContain('             -> mode update-only, 4 campaigns at once, at most 2 pages');
        expect(
          await describeSyncSchedule(temporal.client, '*', { kind: 'all-campaigns', results: false }),
        ).toMatchObject({
          paused: true,
          pause: { reason: 'EDD upgrade' },
          concurrency: 4,
          sync: { mode: 'update-only', maxPages: 2 },
          numActionsTaken: 4,
        });
        expect((await cli(['schedule', 'delete', '--all-campaigns'], tq)).out).toBe(
          'Deleted the schedule of all campaigns. A scheduled sync running now goes on to its end.',
        );
      });
    } finally {
      await temporal.client.schedule
        .getHandle(SYNC_ALL_SCHEDULE_ID)
        .delete()
        .catch(() => undefined);
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
          'the lock to be listed',
          async () => {
            const r = await cli(['locks', '--json'], tq);
            return (JSON.parse(r.out) as HeldLock[]).find((l) => l.campaign === campaign);
          },
          { timeoutMs: 15_000 },
        );
        expect(lock).toMatchObject({
          campaign,
          runId: manual.firstExecutionRunId,
          holder: 'cli',
          workflowType: WORKFLOW_TYPES.campaignSync,
          progress: { campaign, trigger: 'cli' },
          releaseBy: { reason: expect.stringMatching(/overall timeout/) as unknown },
        });
        const started = new Date(lock.startedAt).getTime();
        expect(new Date(lock.releaseBy.at!).getTime() - started).toBeGreaterThanOrEqual(2 * 3_600_000 - 1000);
        expect(new Date(lock.releaseBy.at!).getTime() - started).toBeLessThanOrEqual(2 * 3_600_000 + 5000);
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
          'both schedules to be listed',
          async () =>
            JSON.parse((await cli(['schedule', 'list', '--json'], tq)).out) as {
              scheduleId: string;
              kind: string;
            }[],
          {
            until: (list) => list.filter((l) => l.scheduleId.startsWith(fullId)).length === 2,
            timeoutMs: 15_000,
          },
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
          'the lock to be listed',
          async () =>
            (JSON.parse((await cli(['locks', '--json'], tq)).out) as HeldLock[]).find(
              (l) => l.campaign === campaign,
            ),
          { timeoutMs: 15_000 },
        );
        expect(lock).toMatchObject({ holder: trigger, parentWorkflowId: launcher.workflowId });
        expect(
          new Date(lock.releaseBy.at!).getTime() - new Date(lock.startedAt).getTime(),
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
          'the lock to be listed',
          async () =>
            (JSON.parse((await cli(['locks', '--json'], tq)).out) as HeldLock[]).find(
              (l) => l.campaign === campaign,
            ),
          { timeoutMs: 15_000 },
        );
        expect(lock).toMatchObject({
          workflowType: WORKFLOW_TYPES.campaignLock,
          holder: 'transition:campaign-transition-test',
          releaseBy: { reason: "the run's execution timeout" },
        });
        expect(lock.progress).toBeUndefined();
        const bound = new Date(lock.releaseBy.at!).getTime() - new Date(lock.startedAt).getTime();
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
