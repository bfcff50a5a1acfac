import { randomUUID } from 'node:crypto';
import { EXIT } from '../../src/client/errors';
import { startSync } from '../../src/client';
import type { HeldLock } from '../../src/client/locks';
import { startSyncAll } from '../../src/client/sync-all';
import { SYNC_ALL_WORKFLOW_ID, syncWorkflowId, WORKFLOW_TYPES } from '../../src/shared/names';
import { SYNC_TRIGGER } from '../../src/shared/search-attributes';
import type { SyncAllSummary } from '../../src/shared/sync-all';
import { emptyCounts, type SyncCounts, type SyncSummary } from '../../src/shared/sync-types';
import { uniqueTaskQueue, withWorker } from '../helpers/temporal';
import { albums, beforeEachPage, uniqueCampaign, type Stack } from '../helpers/stack';
import type { SyncAllStatus } from '../../src/client/sync-all-status';
import { useIntegrationStack } from '../helpers/integration';
import { purchaseGroup } from '../helpers/store-admin';
import { expectedSync } from '../../dev/expected-sync';

const { temporal, stack, cli } = useIntegrationStack({ customers: 600, temporal: true });

/** Each source page 300 ms slower, so the child syncs last long enough to overlap if allowed to. */
function slowSource(s: Stack, extra: Partial<Stack['activities']> = {}): Stack['activities'] {
  return {
    ...beforeEachPage(s.activities, () => new Promise((r) => setTimeout(r, 300))),
    ...extra,
  };
}

/** The most intervals open at once (an interval closing at the instant another starts does not overlap it). */
function maxOverlap(intervals: { start: number; end: number }[]): number {
  const events = intervals.flatMap((i) => [
    { t: i.start, d: 1 },
    { t: i.end, d: -1 },
  ]);
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let open = 0;
  let most = 0;
  for (const e of events) {
    open += e.d;
    most = Math.max(most, open);
  }
  return most;
}

function addCounts(into: SyncCounts, from: SyncCounts): void {
  for (const key of Object.keys(into) as (keyof SyncCounts)[]) into[key] += from[key];
}

async function terminateSyncAll(workflowId = SYNC_ALL_WORKFLOW_ID): Promise<void> {
  const handle = temporal.client.workflow.getHandle(workflowId);
  const d = await handle.describe().catch(() => undefined);
  if (d?.status.name === 'RUNNING') await handle.terminate('test cleanup');
}

describe('sync all', () => {
  it('syncs every listed campaign at most N at once, skips a locked one naming its holder, and adds up the counts', async () => {
    const albumList = albums(stack.dataset);
    const targets = Array.from({ length: 5 }, (_, i) => ({
      campaign: uniqueCampaign(),
      productId: albumList[i % albumList.length]!.id,
    }));
    const locked = targets[2]!;
    // Held by a manual sync nobody works on: it stays running, holding the lock, no timeout.
    const held = await startSync(temporal.client, uniqueTaskQueue('nobody'), {
      campaign: locked.campaign,
      productId: locked.productId,
      trigger: 'cli',
    });
    try {
      await withWorker(temporal, slowSource(stack), async (tq) => {
        // `locks` names the holder, and a run without a timeout is released when it ends.
        const lock = await (async () => {
          for (let i = 0; i < 75; i++) {
            const listed = JSON.parse((await cli(['locks', '--json'], tq)).out) as HeldLock[];
            const found = listed.find((l) => l.campaign === locked.campaign);
            if (found) return found;
            await new Promise((r) => setTimeout(r, 200));
          }
          throw new Error('the held lock was never listed');
        })();
        expect(lock).toMatchObject({
          runId: held.firstExecutionRunId,
          holder: 'cli',
          releaseBy: { reason: 'when the run ends (no timeout set)' },
        });
        expect(lock.releaseBy.at).toBeUndefined();

        const run = await cli(
          [
            'sync',
            'all',
            '--concurrency',
            '2',
            ...targets.flatMap((t) => ['--campaign', `${t.campaign}=${t.productId}`]),
            '--page-size',
            '20',
            '--max-pages',
            '4',
            '--wait',
            '--json',
          ],
          tq,
        );
        // A campaign skipped is a campaign not synced: exit 3 (refused by a lock), naming it and what to run.
        expect(run.code).toBe(EXIT.locked);
        // With --json the human lines (start, progress) go to stderr too; the last one names what to run.
        expect(run.err).toMatch(/^Started sync of all campaigns: workflow campaign-sync-all, run /);
        expect(run.err.split('\n').at(-1)).toBe(
          `1 campaign was skipped, not synced, because its lock was held: ${locked.campaign}. ` +
            `Sync it once the holder is done: campaign-sync sync all --campaign ${locked.campaign}=${locked.productId} ` +
            `--concurrency 2 --page-size 20 --max-pages 4 --wait`,
        );
        const summary = JSON.parse(run.out) as SyncAllSummary;
        expect(summary).toMatchObject({
          concurrency: 2,
          total: 5,
          completed: 4,
          skipped: 1,
          failed: 0,
          cancelled: 0,
          mode: 'upsert',
          dryRun: false,
        });
        expect(summary.maxConcurrent).toBeLessThanOrEqual(2);
        expect(summary.campaigns.map((c) => c.campaign)).toEqual(targets.map((t) => t.campaign));

        // The locked campaign was skipped, its holder named; the others ran as sync-all children.
        const skipped = summary.campaigns.find((c) => c.campaign === locked.campaign)!;
        expect(skipped).toMatchObject({
          status: 'skipped',
          holder: {
            workflowId: syncWorkflowId(locked.campaign),
            workflowType: WORKFLOW_TYPES.campaignSync,
            runId: held.firstExecutionRunId,
            trigger: 'cli',
          },
        });
        expect(skipped.runId).toBeUndefined();

        // The totals are the children's own summaries added up, and the children never ran more
        // than two at once (measured from their start and close times on the server).
        const expectedTotals = emptyCounts();
        const intervals: { start: number; end: number }[] = [];
        for (const c of summary.campaigns.filter((x) => x.status === 'completed')) {
          const handle = temporal.client.workflow.getHandle(c.workflowId, c.runId);
          const child = (await handle.result()) as SyncSummary;
          const d = await handle.describe();
          expect(d.parentExecution?.workflowId).toBe(SYNC_ALL_WORKFLOW_ID);
          expect(d.typedSearchAttributes.get(SYNC_TRIGGER)).toBe(`sync-all:${SYNC_ALL_WORKFLOW_ID}`);
          expect(c.counts).toEqual(
            Object.fromEntries(Object.keys(expectedTotals).map((k) => [k, child[k as keyof SyncCounts]])),
          );
          expect(child.pages).toBe(c.pages);
          addCounts(expectedTotals, child);
          intervals.push({ start: d.startTime.getTime(), end: d.closeTime!.getTime() });
        }
        expect(summary.totals).toEqual(expectedTotals);
        expect(summary.totals.created).toBeGreaterThan(0);
        expect(maxOverlap(intervals)).toBeLessThanOrEqual(2);
        // With five campaigns and two lanes, two did run side by side at some point.
        expect(maxOverlap(intervals)).toBe(2);
        expect(summary.maxConcurrent).toBe(2);

        // The lock held by the manual sync is untouched.
        expect((await held.describe()).status.name).toBe('RUNNING');
      });
    } finally {
      await held.terminate('test: free the lock').catch(() => undefined);
      await terminateSyncAll();
    }
  });

  it('refuses a second sync all while one runs (exit 3), and bad options with exit 2 before connecting', async () => {
    const first = await startSyncAll(temporal.client, uniqueTaskQueue('nobody'), {
      campaigns: [uniqueCampaign()],
    });
    try {
      const second = await cli(['sync', 'all', '--campaign', uniqueCampaign()], uniqueTaskQueue());
      expect(second.code).toBe(EXIT.locked);
      expect(second.err).toMatch(
        new RegExp(
          `Refused: A sync of all campaigns is already running: workflow campaign-sync-all, run ${first.firstExecutionRunId}`,
        ),
      );
    } finally {
      await first.terminate('test cleanup');
    }
    const nowhere = 'localhost:1';
    const cases: [string[], RegExp][] = [
      [['--concurrency', '0'], /--concurrency must be at least 1, not 0/],
      [['--concurrency', '99'], /--concurrency must be at most 20, not 99/],
      [['--concurrency', 'two'], /--concurrency must be a whole number/],
      [['--campaign', 'nope'], /campaign must be a code like 2024_ETB_NBL/],
      [['--campaign', '2024_A_B=x'], /the product ID must be a whole number 1 or more/],
      [['--campaign', '2024_A_B', '--campaign', '2024_A_B'], /2024_A_B is listed twice/],
      [['--mode', 'everything'], /--mode must be one of upsert, update-only, mirror/],
      [['--timeout', 'later'], /--timeout must be a duration such as 90s/],
      [['extra'], /too many arguments for 'all'/],
    ];
    for (const [flags, message] of cases) {
      const r = await cli(['sync', 'all', ...flags], 'unused', { address: nowhere });
      expect({ flags, code: r.code }).toEqual({ flags, code: EXIT.invalidInput });
      expect(r.err).toMatch(message);
    }
  });

  it('reads the store once: a full sync all of several campaigns makes the EDD sales requests of one campaign sync', async () => {
    const albumList = albums(stack.dataset).slice(0, 3);
    expect(albumList).toHaveLength(3);
    // Reads of the sales list (pages, seams, the connection check's), not look-ups of one email.
    const salesRequests = async () => {
      const body = (await (await fetch(`${stack.edd.url}/_admin/stats`)).json()) as {
        salesReads: { list: number };
      };
      return body.salesReads.list;
    };
    const pageSize = 40;
    await withWorker(temporal, stack.activities, async (tq) => {
      // One campaign's full sync: one pass over the store (pages, their seams, the connection check).
      const before = await salesRequests();
      const single = await (
        await startSync(temporal.client, tq, {
          campaign: uniqueCampaign(),
          productId: albumList[0]!.id,
          pageSize,
        })
      ).result();
      const onePass = (await salesRequests()) - before;
      expect(single.pages).toBeGreaterThan(5);

      const targets = albumList.map((album) => ({ campaign: uniqueCampaign(), productId: album.id }));
      const start = await salesRequests();
      const summary = await (
        await startSyncAll(
          temporal.client,
          tq,
          {
            concurrency: 2,
            campaigns: targets,
            sync: { pageSize },
          },
          { workflowId: `campaign-sync-all-test-${randomUUID()}` },
        )
      ).result();
      expect(summary).toMatchObject({ total: 3, completed: 3, failed: 0 });
      expect((await salesRequests()) - start).toBe(onePass);
      // A pass is sync all's to give: a sync started with one is refused (it would skip the checks).
      const forged = await startSync(temporal.client, tq, {
        campaign: targets[0]!.campaign,
        productId: targets[0]!.productId,
        storePass: `sync-all:${summary.campaigns[0]!.runId}`,
      });
      const refusal = await forged.result().then(
        () => undefined,
        (err: unknown) => (err as { cause?: Error }).cause?.message,
      );
      expect(refusal).toMatch(/storePass is set by sync all/);
      // Each campaign got exactly its buyers.
      for (const target of targets) {
        const expected = expectedSync(stack.dataset, target.productId);
        const group = await purchaseGroup(stack, target.campaign);
        expect([...group.keys()].sort()).toEqual([...expected.subscribers.keys()].sort());
        for (const [email, buyer] of expected.subscribers) expect(group.get(email)).toBe(buyer.orderId);
      }
    });
  });

  it('sync all status shows each campaign while it runs; sync all cancel cancels it with the syncs it runs and starts no other', async () => {
    const albumList = albums(stack.dataset);
    const [first, second, third] = Array.from({ length: 3 }, (_, i) => ({
      campaign: uniqueCampaign(),
      productId: albumList[i % albumList.length]!.id,
    }));
    // Every page read waits for the gate: the first campaign's sync runs until the test opens it.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    await terminateSyncAll();
    await withWorker(
      temporal,
      beforeEachPage(stack.activities, () => gate),
      async (tq) => {
        const started = await cli(
          [
            'sync',
            'all',
            '--concurrency',
            '2',
            ...[first!, second!, third!].flatMap((t) => ['--campaign', `${t.campaign}=${t.productId}`]),
            '--page-size',
            '20',
            '--max-pages',
            '2',
            '--json',
          ],
          tq,
        );
        expect(started.code).toBe(EXIT.ok);
        const { runId } = JSON.parse(started.out) as { runId: string };
        try {
          const running = await (async () => {
            for (let i = 0; i < 100; i++) {
              const r = await cli(['sync', 'all', 'status', '--json'], tq);
              const s = JSON.parse(r.out) as SyncAllStatus;
              const both = s.campaigns[0]?.status === 'running' && s.campaigns[1]?.status === 'running';
              if (s.runId === runId && both) return { r, s };
              await new Promise((resolve) => setTimeout(resolve, 200));
            }
            throw new Error('the first two campaigns never ran together');
          })();
          expect(running.r.code).toBe(EXIT.ok);
          expect(running.s.campaigns.map((c) => [c.campaign, c.status])).toEqual([
            [first!.campaign, 'running'],
            [second!.campaign, 'running'],
            [third!.campaign, 'pending'],
          ]);
          const human = await cli(['sync', 'all', 'status'], tq);
          expect(human.code).toBe(EXIT.ok);
          const lines = human.out.split('\n');
          expect(lines[0]).toBe('Sync of all campaigns: RUNNING');
          expect(lines).toContain(`  run        ${runId}`);
          expect(human.out).toMatch(/\n {2}started {4}\d{4}-\d\d-\d\d \d\d:\d\d \(\d+s ago\)\n/);
          const [a, b] = [first!.campaign, second!.campaign];
          expect(human.out).toMatch(
            new RegExp(
              `\n  campaigns  0/3 done: completed 0, skipped 0 \\(locked\\), failed 0, cancelled 0; ` +
                `running (${a}, ${b}|${b}, ${a}) \\(at most 2\\)\n`,
            ),
          );
          expect(human.out).toMatch(
            new RegExp(
              `\n {2}${first!.campaign} +running since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d \\(\\d+s ago\\)`,
            ),
          );
          expect(lines).toContain(`  ${third!.campaign.padEnd(16)} pending (not started)`);

          const cancel = await cli(['sync', 'all', 'cancel', '--reason', 'wrong options'], tq, {
            env: { USER: 'alice' },
          });
          expect(cancel.code).toBe(EXIT.ok);
          expect(cancel.out).toBe(
            `Cancellation requested for the sync of all campaigns (run ${runId}). The campaign syncs it runs are ` +
              `cancelled with it (${first!.campaign}, ${second!.campaign}): each stops after its activities in ` +
              `flight, keeps what it wrote and records what it did. 1 campaign it has not started is not synced ` +
              `(${third!.campaign}). Syncs it completed stay completed. It ends CANCELLED once its syncs have stopped; ` +
              `'campaign-sync sync all status' shows each campaign's outcome.`,
          );
          open();
          // It ends CANCELLED only once both syncs it ran have ended, cancelled; the third never started.
          await expect(
            temporal.client.workflow.getHandle(SYNC_ALL_WORKFLOW_ID, runId).result(),
          ).rejects.toThrow(/cancelled/i);
          for (const t of [first!, second!]) {
            const child = await temporal.client.workflow.getHandle(syncWorkflowId(t.campaign)).describe();
            expect({ campaign: t.campaign, status: child.status.name }).toEqual({
              campaign: t.campaign,
              status: 'CANCELLED',
            });
          }
          for (const t of [third!])
            await expect(
              temporal.client.workflow.getHandle(syncWorkflowId(t.campaign)).describe(),
            ).rejects.toThrow(/not found/i);
          // What the cancelled sync did is recorded.
          const childStatus = JSON.parse(
            (await cli(['sync', 'status', first!.campaign, '--json'], tq)).out,
          ) as {
            status: string;
            partial?: unknown;
          };
          expect(childStatus.status).toBe('CANCELLED');
          expect(childStatus.partial).toBeDefined();

          // Status after: exit 1 (it did not complete), who cancelled and why, each campaign's outcome.
          const after = await cli(['sync', 'all', 'status'], tq, { tty: true });
          expect(after.code).toBe(EXIT.failed);
          const afterLines = after.out.split('\n');
          expect(afterLines[0]).toBe('Sync of all campaigns: \x1b[1;31mCANCELLED\x1b[0m');
          expect(after.out).toMatch(
            /\n {2}cancelled {2}by request of campaign-sync CLI alice@\S+ at .*: wrong options\n/,
          );
          for (const t of [first!, second!])
            expect(afterLines).toContain(
              `  ${t.campaign.padEnd(16)} \x1b[1;31mcancelled\x1b[0m: cancelled with the sync of all campaigns`,
            );
          expect(afterLines).toContain(`  ${third!.campaign.padEnd(16)} pending (not started)`);
          const piped = await cli(['sync', 'all', 'status'], tq);
          expect(piped.out.split('\n')[0]).toBe('Sync of all campaigns: CANCELLED');
          expect(piped.out).not.toContain('\x1b');

          const again = await cli(['sync', 'all', 'cancel'], tq);
          expect(again.code).toBe(EXIT.notFound);
          expect(again.err).toBe(
            "No sync of all campaigns is running to cancel (the latest is CANCELLED; 'campaign-sync sync all status' shows it).",
          );
        } finally {
          open();
          await terminateSyncAll();
        }
      },
    );
  });

  it('discovers the campaigns itself when none are given, and reports a failed campaign with its message', async () => {
    const albumList = albums(stack.dataset);
    const good = { campaign: uniqueCampaign(), productId: albumList[3]!.id };
    // No EDD product gives this code: its sync fails (CampaignNotFoundError, not retried).
    const missing = uniqueCampaign();
    const listing = () =>
      Promise.resolve([
        { ...good, title: 'good', groupsPresent: 0, groupsExpected: 8, purchaseField: false },
        {
          campaign: missing,
          productId: undefined as unknown as number,
          title: 'missing',
          groupsPresent: 0,
          groupsExpected: 8,
          purchaseField: false,
        },
      ]);
    const workflowId = `campaign-sync-all-test-${randomUUID()}`;
    const summary = await withWorker(temporal, slowSource(stack, { listCampaigns: listing }), async (tq) => {
      const handle = await startSyncAll(
        temporal.client,
        tq,
        { concurrency: 1, sync: { dryRun: true, maxPages: 2, pageSize: 20 } },
        { workflowId },
      );
      return handle.result();
    });
    expect(summary).toMatchObject({
      total: 2,
      completed: 1,
      failed: 1,
      skipped: 0,
      maxConcurrent: 1,
      dryRun: true,
    });
    expect(summary.campaigns[0]).toMatchObject({
      campaign: good.campaign,
      productId: good.productId,
      status: 'completed',
    });
    expect(summary.campaigns[1]).toMatchObject({ campaign: missing, status: 'failed' });
    expect(summary.campaigns[1]!.error).toMatch(new RegExp(`Campaign ${missing} was not found`));
    // A dry run counts what it would write, and writes nothing.
    expect(summary.totals.created + summary.totals.updated).toBeGreaterThan(0);
    const groups = (await (
      await fetch(`${stack.mailerlite.url}/api/groups?filter[name]=${good.campaign}`, {
        headers: { Authorization: `Bearer ${stack.mailerliteToken}` },
      })
    ).json()) as { data: unknown[] };
    expect(groups.data).toEqual([]);
  });
});
