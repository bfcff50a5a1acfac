import { randomBytes } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { expectedSync } from '../../dev/expected-sync';
import { tierGroupName } from '../../src/shared/campaign';
import { syncWorkflowId } from '../../src/shared/names';
import type { SyncInput, SyncProgress, SyncSummary } from '../../src/shared/sync-types';
import { runCli, startSync } from '../../src/client';
import { decideRemovals, RemovalDecisionError } from '../../src/client/sync-approve';
import { syncReport } from '../../src/client/sync-report';
import { mailerliteApi } from '../helpers/store-admin';
import { withWorker } from '../helpers/temporal';
import { useIntegrationStack } from '../helpers/integration';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver';
import type { SyncWebhookPayload } from '../../src/activities';
import { mailerliteGet, mailerliteSubscribers, uniqueCampaign } from '../helpers/stack';

let webhook: WebhookReceiver<SyncWebhookPayload>;

const { temporal, stack, album, cli } = useIntegrationStack({
  customers: 2000,
  env: () => ({ HEALTH_WEBHOOK_URL: webhook.url }),
  per: 'test',
});
beforeAll(async () => {
  webhook = await startWebhookReceiver<SyncWebhookPayload>();
});
afterAll(async () => {
  await webhook.close();
});

function ml<T>(method: string, path: string, body?: unknown): Promise<T> {
  return mailerliteApi<T>(stack, method, path, body);
}

async function purchaseGroupId(campaign: string): Promise<string> {
  const name = tierGroupName(campaign, 'Bronze Purchase');
  const groups = await mailerliteGet<{ data: { id: string; name: string }[] }>(
    stack.mailerlite,
    `/groups?limit=100&filter[name]=${name}`,
  );
  const group = groups.data.find((g) => g.name === name);
  if (!group) throw new Error(`group ${name} is missing`);
  return group.id;
}

/** Emails of a group's members, lower-cased, through the public API. */
async function memberEmails(groupId: string): Promise<string[]> {
  const emails: string[] = [];
  let cursor: string | null | undefined;
  do {
    const page = await ml<{ data: { email: string }[]; meta: { next_cursor?: string | null } }>(
      'GET',
      `/groups/${groupId}/subscribers?limit=1000${cursor ? `&cursor=${cursor}` : ''}`,
    );
    emails.push(...page.data.map((s) => s.email.toLowerCase()));
    cursor = page.meta.next_cursor;
  } while (cursor);
  return emails.sort();
}

/** Adds subscribers who bought nothing to the group, as a person might by hand. */
async function addStrangers(groupId: string, n: number): Promise<string[]> {
  const tag = randomBytes(3).toString('hex');
  const emails = Array.from({ length: n }, (_, i) => `stranger${i}.${tag}@example.org`);
  for (const email of emails) await ml('POST', '/subscribers', { email, groups: [groupId] });
  return emails;
}

async function writes(): Promise<number> {
  const stats = (await (await fetch(`${stack.mailerlite.url}/_admin/stats`)).json()) as {
    writes: { total: number };
  };
  return stats.writes.total;
}

async function waitForPhase(campaign: string, phase: SyncProgress['phase']): Promise<SyncProgress> {
  const handle = temporal.client.workflow.getHandle(syncWorkflowId(campaign));
  for (let i = 0; i < 600; i++) {
    const p = await handle.query<SyncProgress>('progress').catch(() => undefined);
    if (p?.phase === phase) return p;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the sync of ${campaign} never reached phase ${phase}`);
}

/** A campaign synced once in upsert mode, plus strangers added to its purchase group. */
async function syncedWithStrangers(tq: string, strangers: number) {
  const campaign = uniqueCampaign();
  const product = album();
  const expected = expectedSync(stack.dataset, product.id);
  await (await startSync(temporal.client, tq, { campaign, productId: product.id })).result();
  const groupId = await purchaseGroupId(campaign);
  const added = await addStrangers(groupId, strangers);
  return { campaign, product, expected, groupId, added, purchasers: [...expected.subscribers.keys()].sort() };
}

function mirror(campaign: string, productId: number, extra: Partial<SyncInput> = {}): SyncInput {
  return { campaign, productId, mode: 'mirror', ...extra };
}

/** Strangers the approval tests add: 80 of about 1,240 members, above a 5% threshold. */
const STRICT = { maxRemovalShare: 0.05 };

describe('mirror mode', () => {
  it('removes from the purchase group exactly those who are no purchasers, below the threshold', async () => {
    await withWorker(temporal, stack.activities, async (tq) => {
      const c = await syncedWithStrangers(tq, 5);
      expect(await memberEmails(c.groupId)).toHaveLength(c.purchasers.length + 5);
      const before = await writes();

      const summary = await (await startSync(temporal.client, tq, mirror(c.campaign, c.product.id))).result();

      expect(summary).toMatchObject({
        status: 'completed',
        mode: 'mirror',
        removed: 5,
        created: 0,
        updated: 0,
      });
      expect(summary.unchanged).toBe(c.purchasers.length);
      expect(summary.mirror).toMatchObject({
        state: 'done',
        toRemove: 5,
        groupMembers: c.purchasers.length + 5,
      });
      expect(await memberEmails(c.groupId)).toEqual(c.purchasers);
      // Only the five removals were written; the strangers stay subscribers, outside the group.
      expect((await writes()) - before).toBe(5);
      const stranger = await ml<{ data: { status: string } }>('GET', `/subscribers/${c.added[0]}`);
      expect(stranger.data.status).toBe('active');

      // The per-record report lists each removal, and the sync's invalid records.
      const report = await syncReport(temporal.client, c.campaign);
      expect(report.status).toBe('COMPLETED');
      expect(report.totals).toMatchObject({ removed: 5, invalid: c.expected.invalidOrders, failed: 0 });
      expect(
        report.entries
          .filter((e) => e.kind === 'removed')
          .map((e) => e.email)
          .sort(),
      ).toEqual([...c.added].sort());
    });
  });

  it('waits above the threshold, refuses a wrong approval, and removes on a right one', async () => {
    await withWorker(temporal, stack.activities, async (tq) => {
      const c = await syncedWithStrangers(tq, 80);
      const handle = await startSync(temporal.client, tq, mirror(c.campaign, c.product.id, STRICT));

      const waiting = await waitForPhase(c.campaign, 'awaiting-approval');
      expect(waiting.mirror).toMatchObject({ state: 'waiting', toRemove: 80 });
      // Nothing has been removed while it waits.
      expect(await memberEmails(c.groupId)).toHaveLength(c.purchasers.length + 80);

      // A person hears of it once, with the count and the commands to review and approve.
      const told = await webhook.waitFor((b) => b.campaign === c.campaign, `for ${c.campaign}`);
      expect(told).toMatchObject({
        kind: 'approval-waiting',
        removals: { pending: 80, groupMembers: c.purchasers.length + 80 },
        commands: [
          `campaign-sync sync report ${c.campaign} --kind removed`,
          `campaign-sync sync approve ${c.campaign} --count 80`,
          `campaign-sync sync reject ${c.campaign}`,
        ],
      });
      expect(told.message).toMatch(
        new RegExp(
          `^Mirror sync of ${c.campaign} waits for an approval to remove 80 of the \\d+ members of its purchase group`,
        ),
      );
      expect(JSON.stringify(told)).not.toMatch(/stranger\d/);

      // Every pending removal can be reviewed in full before approving.
      const pending = await syncReport(temporal.client, c.campaign, { kinds: ['removed'] });
      expect(pending.pendingRemovals).toBe(80);
      expect(pending.entries.map((e) => e.email.toLowerCase()).sort()).toEqual([...c.added].sort());
      expect(pending.entries.every((e) => e.pending === true && e.kind === 'removed')).toBe(true);
      expect(pending.entries[0]!.reasons[0]).toBe(
        `pending: no longer a purchaser of the album in EDD; removed once approved ('campaign-sync sync approve ${c.campaign} --count 80')`,
      );
      const shown = (await cli(['sync', 'report', c.campaign, '--kind', 'removed'], tq)).out;
      expect(shown).toContain('removed 80 (of which 80 removals pending an approval)');
      expect(shown.split('\n').filter((l) => l.startsWith('  pending '))).toHaveLength(80);

      await expect(decideRemovals(temporal.client, c.campaign, { approve: true, count: 79 })).rejects.toThrow(
        RemovalDecisionError,
      );
      const decided = await decideRemovals(temporal.client, c.campaign, {
        approve: true,
        count: 80,
        by: 'ops',
      });
      expect(decided).toMatchObject({ approved: true, toRemove: 80 });

      const summary = await handle.result();
      expect(summary).toMatchObject({ status: 'completed', removed: 80 });
      expect(summary.mirror).toMatchObject({ state: 'done', approvedBy: 'ops' });
      expect(await memberEmails(c.groupId)).toEqual(c.purchasers);
      // Once made, they are reported as removed, no longer as pending.
      const done = await syncReport(temporal.client, c.campaign, { kinds: ['removed'] });
      expect(done.pendingRemovals).toBe(0);
      expect(done.entries).toHaveLength(80);
      expect(done.entries.some((e) => e.pending)).toBe(false);
      expect(webhook.received.filter((b) => b.campaign === c.campaign)).toHaveLength(1);
    });
  });

  it('acts on an approval at once while the notification of the wait is still being retried', async () => {
    await withWorker(temporal, stack.activities, async (tq) => {
      const c = await syncedWithStrangers(tq, 80);
      webhook.answerWith(503);
      try {
        const handle = await startSync(temporal.client, tq, mirror(c.campaign, c.product.id, STRICT));
        await waitForPhase(c.campaign, 'awaiting-approval');
        await decideRemovals(temporal.client, c.campaign, { approve: true, count: 80, by: 'ops' });
        const tries = () => webhook.received.filter((b) => b.campaign === c.campaign).length;
        // The removals are made while the notification is still retried (five tries over about
        // 15 s against a webhook that keeps answering 503), not after it gives up.
        while ((await memberEmails(c.groupId)).length > c.purchasers.length)
          await new Promise((r) => setTimeout(r, 100));
        expect(tries()).toBeLessThan(5);
        await expect(handle.result()).resolves.toMatchObject({ status: 'completed', removed: 80 });
        expect(tries()).toBe(5);
      } finally {
        webhook.answerWith(204);
      }
    });
  });

  it('a refusal sent as a signal (as from the Temporal UI) removes nobody', async () => {
    await withWorker(temporal, stack.activities, async (tq) => {
      const c = await syncedWithStrangers(tq, 80);
      const handle = await startSync(temporal.client, tq, mirror(c.campaign, c.product.id, STRICT));
      await waitForPhase(c.campaign, 'awaiting-approval');
      await handle.signal('rejectRemovals', { by: 'ui-user' });
      const summary = await handle.result();
      expect(summary).toMatchObject({ status: 'completed', removed: 0 });
      expect(summary.mirror).toMatchObject({ state: 'rejected' });
      expect(await memberEmails(c.groupId)).toHaveLength(c.purchasers.length + 80);
    });
  });

  it('fails after the approval timeout with nothing removed, keeping what it wrote, and frees the lock', async () => {
    await withWorker(temporal, stack.activities, async (tq) => {
      const c = await syncedWithStrangers(tq, 80);
      const handle = await startSync(
        temporal.client,
        tq,
        mirror(c.campaign, c.product.id, { ...STRICT, approvalTimeout: '2s' }),
      );
      const err: unknown = await handle.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);
      const cause = (err as WorkflowFailedError).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect((cause as ApplicationFailure).type).toBe('RemovalApprovalTimeoutError');
      expect((cause as ApplicationFailure).message).toMatch(
        /would remove 80 of \d+ members .*Nothing was removed/,
      );
      expect(await memberEmails(c.groupId)).toHaveLength(c.purchasers.length + 80);
      expect((await handle.describe()).status.name).toBe('FAILED');
      // Told twice: when it started waiting, and when it failed for want of an approval.
      const told = await webhook.waitFor(
        (b) => b.campaign === c.campaign && b.kind === 'sync-failed',
        `of the failure of ${c.campaign}`,
      );
      expect(told.message).toMatch(/would remove 80 of \d+ members .*Nothing was removed/);
      expect(webhook.received.filter((b) => b.campaign === c.campaign).map((b) => b.kind)).toEqual([
        'approval-waiting',
        'sync-failed',
      ]);
    });
  });

  it('a dry run counts and samples what it would remove, and writes nothing', async () => {
    await withWorker(temporal, stack.activities, async (tq) => {
      const c = await syncedWithStrangers(tq, 80);
      const before = await writes();
      const summary = await (
        await startSync(
          temporal.client,
          tq,
          mirror(c.campaign, c.product.id, { dryRun: true, sampleSize: 3 }),
        )
      ).result();
      expect(summary).toMatchObject({ dryRun: true, removed: 80 });
      expect(summary.mirror?.state).toBe('dry-run');
      expect(summary.mirror?.sample).toHaveLength(3);
      expect(c.added).toContain(summary.mirror!.sample[0]!.email);
      expect(await writes()).toBe(before);
      expect(await memberEmails(c.groupId)).toHaveLength(c.purchasers.length + 80);
    });
  });

  it('removes nobody when --max-pages stopped reading before the end of the source', async () => {
    await withWorker(temporal, stack.activities, async (tq) => {
      const c = await syncedWithStrangers(tq, 5);
      const summary = await (
        await startSync(temporal.client, tq, mirror(c.campaign, c.product.id, { maxPages: 1 }))
      ).result();
      expect(summary.removed).toBe(0);
      expect(summary.mirror?.note).toMatch(/not read to its end/);
      expect(await memberEmails(c.groupId)).toHaveLength(c.purchasers.length + 5);
    });
  });
});

describe('per-record report and run knobs', () => {
  it('reads every invalid record across a chain of continued runs, from any run ID of it', async () => {
    const campaign = uniqueCampaign();
    const product = album();
    const expected = expectedSync(stack.dataset, product.id);
    await withWorker(temporal, stack.activities, async (tq) => {
      const handle = await startSync(temporal.client, tq, {
        campaign,
        productId: product.id,
        pageSize: 25,
        historyLimit: 300,
        reportLimit: 5,
      });
      const summary: SyncSummary = await handle.result();
      expect(summary.runs).toBeGreaterThan(2);
      // The summary lists only reportLimit records; the report has every one.
      expect(summary.invalidRecords).toHaveLength(5);

      const report = await syncReport(temporal.client, campaign);
      expect(report.runs).toHaveLength(summary.runs);
      expect(report.runs[0]).toBe(handle.firstExecutionRunId);
      expect(report.totals.invalid).toBe(expected.invalidOrders);
      const invalid = report.entries.filter((e) => e.kind === 'invalid');
      expect(new Set(invalid.map((e) => e.orderId)).size).toBe(expected.invalidOrders);
      for (const e of invalid) expect(e.reasons.length).toBeGreaterThan(0);

      const fromLast = await syncReport(temporal.client, campaign, {
        runId: report.runs.at(-1)!,
        kinds: ['invalid'],
      });
      expect(fromLast.totals).toEqual(report.totals);
      expect(fromLast.entries).toHaveLength(expected.invalidOrders);

      // The CLI prints the same report.
      const out: string[] = [];
      const code = await runCli(
        ['sync', 'report', campaign, '--kind', 'invalid', '--json'],
        { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: tq },
        { out: (l) => out.push(l), err: (l) => out.push(l) },
      );
      expect(code).toBe(0);
      expect((JSON.parse(out.join('\n')) as { entries: unknown[] }).entries).toHaveLength(
        expected.invalidOrders,
      );
    });
  });

  it('stops at its overall timeout with a clear failure, and records what it did', async () => {
    const campaign = uniqueCampaign();
    await withWorker(temporal, stack.activities, async (tq) => {
      const handle = await startSync(temporal.client, tq, {
        campaign,
        productId: album().id,
        timeout: '1ms',
      });
      const err: unknown = await handle.result().catch((e: unknown) => e);
      const cause = (err as WorkflowFailedError).cause as ApplicationFailure;
      expect(cause.type).toBe('SyncTimeoutError');
      expect(cause.message).toMatch(/overall timeout \(1ms\)/);
      const told = await webhook.waitFor((b) => b.campaign === campaign, `for ${campaign}`);
      expect(told).toMatchObject({ kind: 'sync-timed-out', pages: 0 });
      expect(told.message).toMatch(
        new RegExp(`^Sync of ${campaign} timed out after 0 pages .*overall timeout \\(1ms\\)`),
      );
    });
    // It stopped before its first page: the campaign's groups and field exist, no subscriber does.
    expect(await mailerliteSubscribers(stack.mailerlite)).toHaveLength(0);
  });

  it('sends batches no larger than batchSize', async () => {
    const campaign = uniqueCampaign();
    const product = album();
    const expected = expectedSync(stack.dataset, product.id);
    await withWorker(temporal, stack.activities, async (tq) => {
      const summary =
        await // The per-buyer way, whose batches read every buyer (the list path's are in list-path.test.ts).
        (
          await startSync(temporal.client, tq, {
            campaign,
            productId: product.id,
            batchSize: 10,
            destinationRead: 'per-buyer',
          })
        ).result();
      expect(summary.created).toBe(expected.subscribers.size);
    });
    const stats = (await (await fetch(`${stack.mailerlite.url}/_admin/stats`)).json()) as {
      requests: { byRoute: Record<string, Record<string, number>> };
      batchItems: { total: number };
    };
    const batches = Object.values(stats.requests.byRoute['POST /api/batch'] ?? {}).reduce((a, b) => a + b, 0);
    expect(batches).toBeGreaterThan(0);
    expect(stats.batchItems.total / batches).toBeLessThanOrEqual(10);
    // Full batches: a new subscriber costs a read and a write, so about 2n/10 requests.
    expect(batches).toBeGreaterThanOrEqual(Math.floor((2 * expected.subscribers.size) / 10));
  });

  it('refuses bad knob values with the flag named', async () => {
    for (const [flags, message] of [
      [['--timeout', '5x'], /--timeout must be a duration such as 90s/],
      [['--batch-size', '80'], /--batch-size must be at most 50, not 80/],
    ] as const) {
      const err: string[] = [];
      const code = await runCli(
        ['sync', 'start', uniqueCampaign(), ...flags],
        { TEMPORAL_ADDRESS: temporal.address },
        { out: () => undefined, err: (l) => err.push(l) },
      );
      expect(code).toBe(2);
      expect(err.join('\n')).toMatch(message);
    }
  });
});
