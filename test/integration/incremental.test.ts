import { WorkflowFailedError } from '@temporalio/client';
import { expectedSync } from '../../dev/expected-sync';
import type { SyncInput, SyncSummary } from '../../src/shared/sync-types';
import { startSync } from '../../src/client';
import { checkSyncInput } from '../../src/temporal/sync-start';
import { withWorker } from '../helpers/temporal';
import { albums, setFaults, slowSource, uniqueCampaign } from '../helpers/stack';
import { useIntegrationStack } from '../helpers/integration';
import { addOrder, purchaseGroup, setOrderStatus } from '../helpers/store-admin';
import { DEMO_MAILERLITE_TOKEN } from '../../dev/emulators';

// Incremental runs (issue 17, point 1): read back only to the campaign's watermark plus a lookback,
// with the watermark kept in Temporal (the last completed run's result).

const { temporal, stack } = useIntegrationStack({ customers: 2000, temporal: true, per: 'test' });

/** MailerLite API requests served so far (a batch counts once). */
async function mailerliteRequests(): Promise<number> {
  const res = await fetch(`${stack.mailerlite.url}/_admin/stats`);
  return ((await res.json()) as { requests: { total: number } }).requests.total;
}

/** The innermost failure's message of a failed run. */
function innermost(err: unknown): string {
  let at = err as { cause?: unknown; message?: string } | undefined;
  while (at?.cause) at = at.cause;
  return at?.message ?? String(err);
}

async function sync(tq: string, input: SyncInput): Promise<SyncSummary> {
  return (await startSync(temporal.client, tq, input)).result();
}

/** The destination must hold exactly the emulator's valid purchasers, each with their newest order. */
async function expectExact(campaign: string, productId: number): Promise<void> {
  const expected = expectedSync(stack.dataset, productId);
  const group = await purchaseGroup(stack, campaign);
  expect([...group.keys()].sort()).toEqual([...expected.subscribers.keys()].sort());
  for (const [email, buyer] of expected.subscribers) expect(group.get(email)).toBe(buyer.orderId);
}

/** Valid customers who never ordered the album. */
function newBuyers(productId: number, n: number) {
  const ordered = new Set(
    stack.dataset.sales.filter((s) => s.products.some((p) => p.id === productId)).map((s) => s.customerId),
  );
  return stack.dataset.customers.filter((c) => c.defects.length === 0 && !ordered.has(c.id)).slice(0, n);
}

describe('incremental syncs', () => {
  it('read only back to the watermark plus the lookback, and leave MailerLite exact', async () => {
    const [product] = albums(stack.dataset);
    const campaign = uniqueCampaign();
    await withWorker(temporal, stack.activities, async (tq) => {
      const first = await sync(tq, { campaign, productId: product!.id, pageSize: 50, incremental: true });
      // No watermark yet: a full sync, which sets one.
      expect(first.incremental).toEqual({ from: null, readPast: 0, inFull: 'no-watermark' });
      expect(first.watermark).toMatchObject({
        order: first.newestOrder,
        date: expect.any(String) as unknown,
      });
      expect(first.watermark!.seen!.length).toBeGreaterThan(10);

      const added = [];
      for (const c of newBuyers(product!.id, 3)) added.push(await addOrder(stack, c.id, [product!.id]));
      const next = await sync(tq, { campaign, productId: product!.id, pageSize: 50, incremental: true });
      expect(next).toMatchObject({ status: 'completed', created: 3, failed: 0 });
      expect(next.incremental!.from).toEqual(first.watermark);
      // 200 orders past the watermark (the default lookback) and the 3 new ones: 5 pages of 50.
      expect(next.incremental!.readPast).toBeGreaterThanOrEqual(200);
      expect(next.pages).toBeLessThanOrEqual(5);
      expect(next.pages).toBeLessThan(first.pages / 5);
      expect(next.watermark!.order).toBe(added[added.length - 1]!.number);
      await expectExact(campaign, product!.id);

      // Nothing new since: EDD is read back to the lookback, and MailerLite not at all.
      const before = await mailerliteRequests();
      const idle = await sync(tq, { campaign, productId: product!.id, pageSize: 50, incremental: true });
      expect(await mailerliteRequests()).toBe(before);
      expect(idle).toMatchObject({ status: 'completed', created: 0, updated: 0, failed: 0 });
      expect(idle.pages).toBeLessThanOrEqual(5);
      expect(idle.incremental!.from).toMatchObject({ order: next.watermark!.order });
      expect(idle.watermark!.order).toBe(next.watermark!.order);

      // One new buyer: read back as before, and only they are read from MailerLite and written.
      await addOrder(stack, newBuyers(product!.id, 1)[0]!.id, [product!.id]);
      const one = await sync(tq, { campaign, productId: product!.id, pageSize: 50, incremental: true });
      expect(one).toMatchObject({ status: 'completed', created: 1, failed: 0 });
      expect(one.unchanged).toBeGreaterThan(0);
      await expectExact(campaign, product!.id);

      // A lookback of 20 orders reads a single page.
      const quiet = await sync(tq, {
        campaign,
        productId: product!.id,
        pageSize: 50,
        incremental: true,
        lookbackOrders: 20,
        lookback: '1m',
      });
      expect(quiet).toMatchObject({ pages: 1, created: 0, updated: 0 });
      expect(quiet.incremental!.from).toEqual(one.watermark);
    });
  });

  it('sync a late-completing order below the watermark through the lookback; older ones wait for a full sync', async () => {
    const [product, other] = albums(stack.dataset);
    const campaign = uniqueCampaign();
    const [late, later] = newBuyers(product!.id, 2);
    // A pending order, then a newer complete one (of another album), which becomes the watermark.
    const pending = await addOrder(stack, late!.id, [product!.id], 'pending');
    await addOrder(stack, later!.id, [other!.id]);
    // And an old pending order of the album, far below any lookback (years old, hundreds of
    // orders down), of a valid customer with no other order of it.
    const ordersOf = (customerId: number) =>
      stack.dataset.sales.filter(
        (s) => s.customerId === customerId && s.products.some((p) => p.id === product!.id),
      );
    const valid = new Set(stack.dataset.customers.filter((c) => c.defects.length === 0).map((c) => c.id));
    const old = stack.dataset.sales.find(
      (s) =>
        s.status === 'pending' &&
        s.products.some((p) => p.id === product!.id) &&
        valid.has(s.customerId) &&
        ordersOf(s.customerId).length === 1,
    )!;
    expect(old).toBeDefined();
    const far = stack.dataset.customers.find((c) => c.id === old.customerId)!;
    await withWorker(temporal, stack.activities, async (tq) => {
      const full = await sync(tq, { campaign, productId: product!.id });
      for (const id of [pending.id, old.id]) {
        await setOrderStatus(stack, id, 'complete');
      }
      const next = await sync(tq, { campaign, productId: product!.id, incremental: true });
      expect(next.incremental!.from).toEqual(full.watermark);
      const group = await purchaseGroup(stack, campaign);
      expect(group.get(late!.email.toLowerCase())).toBe(pending.id);
      expect(group.has(far.email.toLowerCase())).toBe(false);

      // A full sync (the nightly reconcile) catches up with it.
      await sync(tq, { campaign, productId: product!.id });
      await expectExact(campaign, product!.id);
    });
  });

  it('cost at most ceil(k/25)+1 MailerLite requests for k new buyers, and look the group and field up again once they are gone', async () => {
    const [product] = albums(stack.dataset);
    const campaign = uniqueCampaign();
    const input = { campaign, productId: product!.id, pageSize: 50, incremental: true };
    const deleteInMailerLite = async (path: string) => {
      const res = await fetch(`${stack.mailerlite.url}/api/${path}`, {
        method: 'DELETE',
        headers: { Authorization: `Bearer ${DEMO_MAILERLITE_TOKEN}` },
      });
      expect(res.status).toBe(204);
    };
    let fresh = newBuyers(product!.id, 100);
    const addBuyers = async (k: number) => {
      for (const c of fresh.slice(0, k)) await addOrder(stack, c.id, [product!.id]);
      fresh = fresh.slice(k);
    };
    await withWorker(temporal, stack.activities, async (tq) => {
      const full = await sync(tq, { ...input, incremental: false });
      const destination = full.watermark!.destination!;
      expect(destination).toEqual({
        groupId: expect.any(String) as unknown,
        fieldKey: expect.any(String) as unknown,
        tier: 'Bronze Purchase',
      });

      // No connection check, no group or field look-up: only the batches that read and write.
      for (const k of [1, 25, 60]) {
        await addBuyers(k);
        const before = await mailerliteRequests();
        const run = await sync(tq, input);
        expect(run).toMatchObject({ status: 'completed', created: k, failed: 0 });
        expect(await mailerliteRequests()).toBeLessThanOrEqual(before + Math.ceil(k / 25) + 1);
        expect(run.watermark!.destination).toEqual(destination);
      }
      await expectExact(campaign, product!.id);

      // The purchase group deleted in MailerLite: the run finds out from its first write, looks
      // the group up (creating it), and fills the new group in full.
      await deleteInMailerLite(`groups/${destination.groupId}`);
      await addBuyers(2);
      const regrouped = await sync(tq, input);
      expect(regrouped).toMatchObject({ status: 'completed', failed: 0 });
      expect(regrouped.incremental).toMatchObject({ from: null, inFull: 'destination-gone' });
      expect(regrouped.watermark!.destination!.groupId).not.toBe(destination.groupId);
      expect(regrouped.created + regrouped.updated).toBeGreaterThan(100);
      await expectExact(campaign, product!.id);

      // The purchase field deleted: found from the first subscriber read back, recreated, refilled.
      const fields = (await (
        await fetch(`${stack.mailerlite.url}/api/fields?limit=100`, {
          headers: { Authorization: `Bearer ${DEMO_MAILERLITE_TOKEN}` },
        })
      ).json()) as { data: { id: string | number; key: string }[] };
      const field = fields.data.find((f) => f.key === destination.fieldKey)!;
      await deleteInMailerLite(`fields/${field.id}`);
      await addBuyers(1);
      const refielded = await sync(tq, input);
      expect(refielded).toMatchObject({ status: 'completed', failed: 0 });
      expect(refielded.incremental).toMatchObject({ from: null, inFull: 'destination-gone' });
      await expectExact(campaign, product!.id);

      // Another purchase tier names another group: not the watermark's; that group is filled in full.
      const silver = await sync(tq, { ...input, purchaseTier: 'Silver Purchase' });
      expect(silver.incremental).toMatchObject({ from: null, inFull: 'other-destination' });
      expect(silver.watermark!.destination).toMatchObject({ tier: 'Silver Purchase' });
      expect(silver.watermark!.destination!.groupId).not.toBe(destination.groupId);
      expect(silver.created + silver.updated).toBeGreaterThan(100);
    });
  });

  it('never write to a buyer who unsubscribed: their new order is skipped and their status kept', async () => {
    const [product] = albums(stack.dataset);
    const campaign = uniqueCampaign();
    const input = { campaign, productId: product!.id, pageSize: 50, incremental: true };
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${stack.mailerlite.url}/api/${path}`, {
        method,
        headers: { Authorization: `Bearer ${DEMO_MAILERLITE_TOKEN}`, 'Content-Type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    await withWorker(temporal, stack.activities, async (tq) => {
      await sync(tq, { ...input, incremental: false });
      // A buyer in the group unsubscribes in MailerLite, then orders the album again.
      const expected = expectedSync(stack.dataset, product!.id);
      const [email] = [...expected.subscribers.keys()];
      const buyer = stack.dataset.customers.find((c) => c.email.toLowerCase() === email)!;
      const read = (await (await api('GET', `subscribers/${encodeURIComponent(email!)}`)).json()) as {
        data: { id: string; fields: Record<string, unknown> };
      };
      expect((await api('PUT', `subscribers/${read.data.id}`, { status: 'unsubscribed' })).status).toBe(200);
      const again = await addOrder(stack, buyer.id, [product!.id]);
      const run = await sync(tq, input);
      expect(run).toMatchObject({ status: 'completed', skipped: 1, created: 0, updated: 0, failed: 0 });
      expect(run.skippedRecords[0]).toMatchObject({
        email: buyer.email,
        reason: expect.stringMatching(/unsubscribed/) as unknown,
      });
      const after = (await (await api('GET', `subscribers/${encodeURIComponent(email!)}`)).json()) as {
        data: { status: string; fields: Record<string, unknown> };
      };
      expect(after.data.status).toBe('unsubscribed');
      expect(after.data.fields).toEqual(read.data.fields);
      expect(String(after.data.fields[run.watermark!.destination!.fieldKey])).not.toBe(String(again.id));
    });
  });

  it('run the skipped MailerLite check when a write fails, so a revoked token is named with its setting', async () => {
    const [product] = albums(stack.dataset);
    const campaign = uniqueCampaign();
    const [buyer] = newBuyers(product!.id, 1);
    await withWorker(temporal, stack.activities, async (tq) => {
      await sync(tq, { campaign, productId: product!.id });
      await addOrder(stack, buyer!.id, [product!.id]);
      // The token revoked: MailerLite refuses every request (the batch and the check's look-up).
      await setFaults(stack.mailerlite, {
        routeFaults: [
          { path: '/api/batch', status: 401, message: 'Unauthenticated.' },
          { path: '/api/groups', status: 401, message: 'Unauthenticated.' },
        ],
      });
      try {
        const handle = await startSync(temporal.client, tq, {
          campaign,
          productId: product!.id,
          incremental: true,
        });
        const err: unknown = await handle.result().catch((e: unknown) => e);
        expect(err).toBeInstanceOf(WorkflowFailedError);
        expect(innermost(err)).toMatch(
          /^MailerLite at \S+ refused the credentials of worker \d+@\S+ \(.*HTTP 401.*\)\. Set MAILERLITE_API_TOKEN/,
        );
        // The write first (no check before it), then the check, once.
        const activities = (await handle.fetchHistory())
          .events!.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
          .filter((n): n is string => typeof n === 'string');
        expect(activities.indexOf('mailerliteExchange')).toBeGreaterThanOrEqual(0);
        expect(activities.filter((a) => a === 'checkMailerLiteConnection')).toHaveLength(1);
        expect(activities.indexOf('checkMailerLiteConnection')).toBeGreaterThan(
          activities.indexOf('mailerliteExchange'),
        );
      } finally {
        await setFaults(stack.mailerlite, {});
      }
    });
  });

  it('never move the watermark on a failed, cancelled or dry run', async () => {
    const [product] = albums(stack.dataset);
    const campaign = uniqueCampaign();
    const [a, b] = newBuyers(product!.id, 2);
    await withWorker(temporal, slowSource(stack), async (tq) => {
      const full = await sync(tq, { campaign, productId: product!.id, pageSize: 500 });
      await addOrder(stack, a!.id, [product!.id]);

      const dry = await sync(tq, { campaign, productId: product!.id, incremental: true, dryRun: true });
      expect(dry.watermark).toBeUndefined();

      const timedOut = await startSync(temporal.client, tq, {
        campaign,
        productId: product!.id,
        pageSize: 1,
        incremental: true,
        lookbackOrders: 1000,
        timeout: '1s',
      });
      await expect(timedOut.result()).rejects.toBeInstanceOf(WorkflowFailedError);

      const cancelled = await startSync(temporal.client, tq, {
        campaign,
        productId: product!.id,
        pageSize: 1,
        incremental: true,
      });
      await new Promise((r) => setTimeout(r, 500));
      await cancelled.cancel();
      await cancelled.result().catch(() => undefined);

      await addOrder(stack, b!.id, [product!.id]);
      const next = await sync(tq, { campaign, productId: product!.id, incremental: true });
      expect(next.incremental!.from).toEqual(full.watermark);
      expect(next).toMatchObject({ status: 'completed', failed: 0 });
      await expectExact(campaign, product!.id);
    });
  });

  it('refuse incremental mirror syncs and bad lookbacks before starting', () => {
    expect(() => checkSyncInput({ campaign: '2024_ETB_NBL', incremental: true, mode: 'mirror' })).toThrow(
      /incremental cannot be combined with mode mirror/,
    );
    expect(() => checkSyncInput({ campaign: '2024_ETB_NBL', incremental: true, lookback: 'soon' })).toThrow(
      /lookback/,
    );
  });
});
