import { expectedSync } from '../../dev/expected-sync';
import { startSync } from '../../src/client';
import { fieldKey, purchaseFieldName, tierGroupName } from '../../src/shared/campaign';
import { mailerliteTaskQueue, syncWorkflowId } from '../../src/shared/names';
import type { SyncInput, SyncProgress, SyncSummary } from '../../src/shared/sync-types';
import { startInterposer, type Forwarded, type Interposer } from '../helpers/interposer';
import {
  albums,
  expectEveryRecordCounted,
  setFaults,
  startStack,
  uniqueCampaign,
  type Stack,
} from '../helpers/stack';
import { mailerliteApi as api, mailerliteState } from '../helpers/store-admin';
import { useIntegrationStack } from '../helpers/integration';
import { historyPayloadText, uniqueTaskQueue, withWorker } from '../helpers/temporal';
import { startWorkerProcess } from '../helpers/worker-process';

// A full sync's list path over real HTTP and a real Temporal server: the destination read with
// cursor lists into an index the worker keeps, only what differs written, consent kept, no batch
// an import, every request within the budget, and a worker lost mid-run replaced.

/** The page size of the cursor lists in these tests (MAILERLITE_LIST_LIMIT), so lists take pages. */
const LIST_LIMIT = 50;

// Each describe block has its stack: the list path's behind an interposer that watches its requests.
const { temporal, useStack } = useIntegrationStack({ stack: false });

/** A subscriber with a status, and a stale name (so a sync that wrote them would change it). */
async function seed(stack: Stack, email: string, status: string): Promise<string> {
  const made = await api<{ data: { id: string } }>(stack, 'POST', '/subscribers', {
    email,
    fields: { name: 'Stale', last_name: 'Name' },
  });
  if (status !== 'active') await api(stack, 'PUT', `/subscribers/${made.data.id}`, { status });
  return made.data.id;
}

interface Stats {
  requests: number;
  imports: number;
  importRateLimited: number;
}

async function stats(stack: Stack): Promise<Stats> {
  const body = (await (await fetch(`${stack.mailerlite.url}/_admin/stats`)).json()) as {
    requests: { total: number };
    imports: number;
    importRateLimited: number;
  };
  return { requests: body.requests.total, imports: body.imports, importRateLimited: body.importRateLimited };
}

/** A batch made only of `POST api/subscribers` (MailerLite takes it as an import). */
function importOnly(forwarded: Forwarded): boolean {
  if (forwarded.method !== 'POST' || !forwarded.path.startsWith('/api/batch')) return false;
  const { requests } = JSON.parse(forwarded.body) as { requests: { method: string; path: string }[] };
  return requests.every((r) => r.method === 'POST' && r.path === 'api/subscribers');
}

/** Activities the sync scheduled on the rate-limited queue (each one request, or a turn for one). */
async function onBudgetQueue(campaign: string, taskQueue: string, runId: string): Promise<number> {
  const history = await temporal.client.workflow.getHandle(syncWorkflowId(campaign), runId).fetchHistory();
  return (history.events ?? []).filter(
    (e) => e.activityTaskScheduledEventAttributes?.taskQueue?.name === mailerliteTaskQueue(taskQueue),
  ).length;
}

/** Every expected buyer but `except` holds their newest order and names, in the purchase group. */
async function expectDestination(stack: Stack, campaign: string, productId: number, except: Set<string>) {
  const expected = expectedSync(stack.dataset, productId);
  const state = await mailerliteState(stack);
  const group = tierGroupName(campaign, 'Bronze Purchase');
  const key = fieldKey(purchaseFieldName(campaign));
  let checked = 0;
  for (const [email, want] of expected.subscribers) {
    if (except.has(email)) continue;
    const held = state.get(email);
    expect({
      email,
      status: held?.status,
      inGroup: held?.groups.includes(group),
      order: held?.fields[key],
    }).toEqual({
      email,
      status: 'active',
      inGroup: true,
      order: want.orderId,
    });
    checked++;
  }
  return checked;
}

describe.each([
  ['budgeted', {}],
  ['direct', { MAILERLITE_REQUESTS_PER_MINUTE: '0' }],
] as const)('the list path of a full sync (%s)', (path, env) => {
  let stack: Stack;
  let interposer: Interposer;
  const forwarded: Forwarded[] = [];
  /** The buyers the first test made unsubscribed, bounced and junk (lower-cased). */
  const withdrawnBefore = new Set<string>();
  /** Someone to unsubscribe right after the sync read the last list, before any write. */
  let leaver: { id: string } | undefined;

  beforeAll(async () => {
    interposer = await startInterposer(async (f) => {
      forwarded.push(f);
      if (leaver && f.method === 'GET' && decodeURIComponent(f.path).includes('filter[status]=unconfirmed')) {
        const { id } = leaver;
        leaver = undefined;
        await api(stack, 'PUT', `/subscribers/${id}`, { status: 'unsubscribed' });
      }
    });
    stack = await startStack({
      customers: 400,
      env: { ...env, MAILERLITE_LIST_LIMIT: String(LIST_LIMIT) },
      mailerliteBaseUrl: `${interposer.url}/api`,
    });
    interposer.target = stack.mailerlite.url;
  });
  afterAll(async () => {
    await stack.close();
    await interposer.close();
  });

  it('keeps consent, writes exactly the destination, and an unchanged re-run costs the lists alone', async () => {
    const campaign = uniqueCampaign();
    const product = albums(stack.dataset)[0]!;
    const expected = expectedSync(stack.dataset, product.id);
    const buyers = [...expected.subscribers.values()];
    // Three buyers withdrew before the campaign's first sync: never written, counted skipped.
    const withdrawn = new Map([
      [buyers[1]!.email.toLowerCase(), 'unsubscribed'],
      [buyers[4]!.email.toLowerCase(), 'bounced'],
      [buyers[7]!.email.toLowerCase(), 'junk'],
    ]);
    for (const [email, status] of withdrawn) {
      await seed(stack, email, status);
      withdrawnBefore.add(email);
    }
    forwarded.length = 0;
    const before = await stats(stack);

    const run = (input: SyncInput) =>
      withWorker(temporal, stack.activities, async (tq) => {
        const handle = await startSync(temporal.client, tq, input);
        const summary: SyncSummary = await handle.result();
        return {
          summary,
          queued: await onBudgetQueue(campaign, tq, handle.firstExecutionRunId),
          history: await historyPayloadText(temporal.client, handle.workflowId, handle.firstExecutionRunId),
        };
      });
    // So few buyers are cheaper read one by one (the estimate says so): the list path is asked for.
    const first = await run({ campaign, productId: product.id, destinationRead: 'lists' });
    const afterFirst = await stats(stack);

    // Every buyer outside the new group: too many to look up, the non-active lists are read.
    expect(first.summary.destinationRead).toMatchObject({
      way: 'lists',
      groupMembers: 0,
      listLimit: LIST_LIMIT,
      nonActiveListsRead: true,
    });
    expect(first.summary.destinationRead?.lookedUp).toBeUndefined();
    expectEveryRecordCounted(first.summary);
    expect(first.summary).toMatchObject({
      status: 'completed',
      created: expected.subscribers.size - 3,
      updated: 0,
      failed: 0,
      skipped: 3,
      invalid: expected.invalidOrders,
    });
    expect(new Set(first.summary.skippedRecords.map((r) => r.email.toLowerCase()))).toEqual(
      new Set(withdrawn.keys()),
    );
    for (const r of first.summary.skippedRecords) {
      const status = withdrawn.get(r.email.toLowerCase());
      expect(r.reason).toBe(`subscriber is ${status} in MailerLite: not rewritten (consent)`);
    }
    const state = await mailerliteState(stack);
    for (const [email, status] of withdrawn) {
      // Not written: status, names and groups as they were.
      expect(state.get(email)).toMatchObject({
        status,
        groups: [],
        fields: { name: 'Stale', last_name: 'Name' },
      });
    }
    expect(await expectDestination(stack, campaign, product.id, new Set(withdrawn.keys()))).toBe(
      expected.subscribers.size - 3,
    );

    const firstForwarded = forwarded.length;
    const second = await run({ campaign, productId: product.id, destinationRead: 'lists' });
    const afterSecond = await stats(stack);
    expect(second.summary).toMatchObject({
      status: 'completed',
      created: 0,
      updated: 0,
      failed: 0,
      skipped: 3,
      // Only the three who withdrew are not active members: looked up in one request, no list read.
      destinationRead: { way: 'lists', groupMembers: expected.subscribers.size - 3, lookedUp: 3 },
    });
    expect(second.summary.destinationRead?.nonActiveListsRead).toBeUndefined();
    expect(second.summary.unchanged).toBe(expected.subscribers.size - 3);
    expect(second.summary.superseded).toBe(expected.supersededOrders);
    // Provisioning's two look-ups (the first is MailerLite's connection check), the group's active
    // members a page per LIST_LIMIT, and one batch reading the three buyers who are not active members: no
    // write, and none of the account's unsubscribed, bounced, junk and unconfirmed lists.
    const members = expected.subscribers.size - 3;
    expect(afterSecond.requests - afterFirst.requests).toBe(2 + Math.ceil(members / LIST_LIMIT) + 1);
    const secondReads = forwarded.slice(firstForwarded);
    expect(secondReads.filter((f) => f.path.includes('filter[status]'))).toEqual([]);

    // The buyers' records stayed on the worker that read them: no history of either run holds the
    // email of a buyer written or found unchanged (those who withdrew are in the skip reports).
    for (const { history } of [first, second]) {
      const shown = buyers.filter(
        (b) => !withdrawn.has(b.email.toLowerCase()) && history.includes(b.email.toLowerCase()),
      );
      expect(shown).toEqual([]);
      expect(history).toContain(buyers[1]!.email.toLowerCase());
    }

    // No batch was an import, and MailerLite counted none.
    expect(forwarded.filter((f) => f.path.startsWith('/api/batch')).length).toBeGreaterThan(0);
    expect(forwarded.filter(importOnly)).toEqual([]);
    expect(afterSecond.imports - before.imports).toBe(0);
    expect(afterSecond.importRateLimited - before.importRateLimited).toBe(0);
    if (path === 'budgeted') {
      // Every request was an activity on the rate-limited queue, or one's turn.
      expect(afterFirst.requests - before.requests).toBe(first.queued);
      expect(afterSecond.requests - afterFirst.requests).toBe(second.queued);
    } else {
      // No budget: the list path takes no turns (provisioning's look-ups still do).
      expect(second.queued).toBe(2);
    }
  });

  it('goes on with the same index after continuing as new: the destination is read once', async () => {
    const campaign = uniqueCampaign();
    const product = albums(stack.dataset)[0]!;
    const expected = expectedSync(stack.dataset, product.id);
    forwarded.length = 0;
    const summary = await withWorker(temporal, stack.activities, (tq) =>
      startSync(temporal.client, tq, {
        campaign,
        productId: product.id,
        destinationRead: 'lists',
        pageSize: 20,
        historyLimit: 200,
      }).then((h) => h.result()),
    );
    expect(summary.runs).toBeGreaterThan(1);
    // The buyers exist from the test before (another campaign): updated, not created.
    expect(summary).toMatchObject({ status: 'completed', failed: 0, skipped: 3 });
    expect(summary.created + summary.updated).toBe(expected.subscribers.size - 3);
    expect(await expectDestination(stack, campaign, product.id, withdrawnBefore)).toBe(
      expected.subscribers.size - 3,
    );
    // One page of each of the five lists (the group was new), in the first run only.
    const listReads = forwarded.filter(
      (f) => f.method === 'GET' && /^\/api\/(groups\/[^/]+\/)?subscribers\?/.test(f.path),
    );
    expect(listReads).toHaveLength(5);
  });

  it('counts someone who unsubscribes between the list read and the write as skipped, status kept', async () => {
    const campaign = uniqueCampaign();
    const product = albums(stack.dataset)[0]!;
    const expected = expectedSync(stack.dataset, product.id);
    const buyer = [...expected.subscribers.values()][2]!;
    // Active with an outdated name, and already a member of another campaign's groups only: read
    // as new (absent from the lists), so the sync plans an upsert for them.
    const id = await seed(stack, buyer.email, 'active');
    leaver = { id };

    const summary = await withWorker(temporal, stack.activities, (tq) =>
      startSync(temporal.client, tq, { campaign, productId: product.id, destinationRead: 'lists' }).then(
        (h) => h.result(),
      ),
    );
    expect(leaver).toBeUndefined();
    expect(summary.destinationRead?.way).toBe('lists');
    expectEveryRecordCounted(summary);
    expect(summary.failed).toBe(0);
    expect(summary.skipped).toBeGreaterThanOrEqual(1);
    expect(summary.skippedRecords).toContainEqual({
      orderId: buyer.orderId,
      customerId: buyer.customerId,
      email: buyer.email,
      reason:
        'subscriber is unsubscribed in MailerLite: not rewritten (consent; MailerLite refused the ' +
        'write: "This subscriber is unsubscribed and cannot be imported")',
    });
    const after = (await mailerliteState(stack)).get(buyer.email.toLowerCase())!;
    expect(after).toMatchObject({ status: 'unsubscribed', fields: { name: 'Stale' } });
    expect(after.groups).not.toContain(tierGroupName(campaign, 'Bronze Purchase'));
  });
});

describe('a worker lost mid-way through a list-path sync', () => {
  const stack = useStack({ customers: 4000 });

  it('is replaced: the sync claims the other worker, rebuilds the index there and finishes with nothing lost', async () => {
    const campaign = uniqueCampaign();
    const product = albums(stack.dataset)[0]!;
    const expected = expectedSync(stack.dataset, product.id);
    const taskQueue = uniqueTaskQueue('list-lost');
    const env = { MAILERLITE_LIST_LIMIT: String(LIST_LIMIT) };
    const workers = [
      await startWorkerProcess(temporal.address, taskQueue, stack, 0, env),
      await startWorkerProcess(temporal.address, taskQueue, stack, 0, env),
    ];
    try {
      // MailerLite answers slowly, so the sync is surely mid-way when its worker dies.
      await setFaults(stack.mailerlite, { latencyMs: 150 });
      const handle = await startSync(temporal.client, taskQueue, {
        campaign,
        productId: product.id,
        destinationRead: 'lists',
      });
      let progress: SyncProgress | undefined;
      for (let i = 0; i < 600 && (progress?.created ?? 0) === 0; i++) {
        progress = await handle.query<SyncProgress>('progress').catch(() => undefined);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(progress?.created).toBeGreaterThan(0);
      expect(progress!.created).toBeLessThan(expected.subscribers.size);
      // The worker that holds the index: the one that answered the claim.
      const history = await handle.fetchHistory();
      const events = history.events ?? [];
      const claim = events.find(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'claimDestinationWorker',
      )!;
      const started = events.find(
        (e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === String(claim.eventId),
      )!;
      const pid = Number(started.activityTaskStartedEventAttributes!.identity!.split('@')[0]);
      const holder = workers.find((w) => w.pid === pid)!;
      expect(holder).toBeDefined();
      process.kill(pid, 'SIGKILL');

      const summary = await handle.result();
      await setFaults(stack.mailerlite, {});
      expect(summary).toMatchObject({ status: 'completed', failed: 0, invalid: expected.invalidOrders });
      expect(summary.destinationRead?.way).toBe('lists');
      expectEveryRecordCounted(summary);
      expect(await expectDestination(stack, campaign, product.id, new Set())).toBe(expected.subscribers.size);
      // The sync claimed a worker twice.
      const claims = ((await handle.fetchHistory()).events ?? []).filter(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'claimDestinationWorker',
      );
      expect(claims.length).toBe(2);
      // The source pages the lost worker held, not yet planned or not all written, were read again
      // on the other (their records never passed through history).
      const slots = ((await handle.fetchHistory()).events ?? []).flatMap((e) => {
        const scheduled = e.activityTaskScheduledEventAttributes;
        if (scheduled?.activityType?.name !== 'readHeldSalesPage') return [];
        const input = JSON.parse(Buffer.from(scheduled.input!.payloads![0]!.data!).toString()) as {
          slot: string;
        };
        return [input.slot];
      });
      expect(slots.some((slot) => slot.startsWith('r'))).toBe(true);
    } finally {
      await setFaults(stack.mailerlite, {}).catch(() => undefined);
      // The killed one's exit has resolved already; the other drains.
      for (const w of workers) await w.stop();
    }
  });
});
