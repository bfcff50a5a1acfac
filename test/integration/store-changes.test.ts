import { expectedSync } from '../../dev/expected-sync';
import type { SyncInput, SyncSummary } from '../../src/shared/sync-types';
import { startSync } from '../../src/client';
import { formatSummary } from '../../src/client/format';
import { withWorker } from '../helpers/temporal';
import { albums, uniqueCampaign, type Stack } from '../helpers/stack';
import { useIntegrationStack } from '../helpers/integration';
import {
  addOrder,
  mailerliteState,
  purchaseGroup,
  setOrderStatus,
  storeActivity,
} from '../helpers/store-admin';

// What EDD does to a sync that the demo store alone does not show: orders refunded, revoked or put
// on hold between syncs and while one pages through, new orders meanwhile, and sequential order
// numbers. Every check is made on what MailerLite holds afterwards, over HTTP.

// Each test starts the stack it needs (`startStack`: closed after the test).
const { temporal, startStack } = useIntegrationStack({ stack: false });
let stack: Stack;

async function sync(tq: string, input: SyncInput): Promise<SyncSummary> {
  return (await startSync(temporal.client, tq, input)).result();
}

/** Valid buyers of the album with exactly one purchase order of it, and that order. */
function singleOrderBuyers(productId: number) {
  const expected = expectedSync(stack.dataset, productId);
  const ordersOf = new Map<number, number>();
  for (const sale of stack.dataset.sales) {
    if (sale.products.some((p) => p.id === productId))
      ordersOf.set(sale.customerId, (ordersOf.get(sale.customerId) ?? 0) + 1);
  }
  return [...expected.subscribers.values()].filter((p) => ordersOf.get(p.customerId) === 1);
}

describe('a store that keeps selling while a sync reads', () => {
  it('a full sync misses no buyer whose order was complete when it started, and says up to which order it read', async () => {
    stack = await startStack({ customers: 2000 });
    const [product, other] = albums(stack.dataset);
    const expected = expectedSync(stack.dataset, product!.id);
    const campaign = uniqueCampaign();
    // Before every page: an order of another album (every row moves down) and three refunds of
    // orders without this album among the newest (every later row moves up three places).
    await storeActivity(stack, {
      ordersPerRequest: 1,
      orderProductIds: [other!.id],
      refundsPerRequest: 3,
      spareProductIds: [product!.id],
    });
    const summary = await withWorker(temporal, stack.activities, (tq) =>
      sync(tq, { campaign, productId: product!.id, pageSize: 50 }),
    );
    const activity = await storeActivity(stack, null);
    expect(activity.changed.length).toBeGreaterThan(150);

    expect(summary).toMatchObject({ status: 'completed', created: expected.subscribers.size, failed: 0 });
    // The newest order listed when the first page was read: one added just before it.
    expect(activity.added.map((a) => a.number)).toContain(summary.newestOrder);
    expect(formatSummary(summary)).toContain(`every order up to ${summary.newestOrder}`);
    const group = await purchaseGroup(stack, campaign);
    const missing = [...expected.subscribers.keys()].filter((email) => !group.has(email));
    expect(missing).toEqual([]);
    for (const [email, buyer] of expected.subscribers) expect(group.get(email)).toBe(buyer.orderId);
  });

  it('counts each order once at any page size, seams included', async () => {
    stack = await startStack({ customers: 300 });
    const [product] = albums(stack.dataset);
    const expected = expectedSync(stack.dataset, product!.id);
    await withWorker(temporal, stack.activities, async (tq) => {
      for (const pageSize of [1, 7, 100]) {
        const summary = await sync(tq, { campaign: uniqueCampaign(), productId: product!.id, pageSize });
        expect({ pageSize, fetched: summary.fetched, invalid: summary.invalid }).toEqual({
          pageSize,
          fetched: expected.orders,
          invalid: expected.invalidOrders,
        });
      }
    });
  });

  it('mirror removes nobody because a page shifted', async () => {
    stack = await startStack({ customers: 2000 });
    const [product] = albums(stack.dataset);
    const expected = expectedSync(stack.dataset, product!.id);
    const campaign = uniqueCampaign();
    await withWorker(temporal, stack.activities, async (tq) => {
      await sync(tq, { campaign, productId: product!.id });
      await storeActivity(stack, { refundsPerRequest: 5, spareProductIds: [product!.id] });
      const summary = await sync(tq, {
        campaign,
        productId: product!.id,
        mode: 'mirror',
        maxRemovalShare: 1,
      });
      const activity = await storeActivity(stack, null);
      expect(activity.changed.length).toBeGreaterThan(10);
      expect(summary).toMatchObject({ status: 'completed', removed: 0 });
    });
    expect([...(await purchaseGroup(stack, campaign)).keys()].sort()).toEqual(
      [...expected.subscribers.keys()].sort(),
    );
  });
});

describe('orders refunded, revoked or held between syncs', () => {
  it("moves the purchase field to the buyer's newest remaining purchase when the newer order is refunded", async () => {
    stack = await startStack({ customers: 2000 });
    const [product] = albums(stack.dataset);
    const buyer = singleOrderBuyers(product!.id)[0]!;
    const campaign = uniqueCampaign();
    // The buyer orders the album again: the field holds the new order after the first sync.
    const again = await addOrder(stack, buyer.customerId, [product!.id]);
    await withWorker(temporal, stack.activities, async (tq) => {
      await sync(tq, { campaign, productId: product!.id });
      expect((await purchaseGroup(stack, campaign)).get(buyer.email.toLowerCase())).toBe(again.id);

      await setOrderStatus(stack, again.id, 'refunded');
      const summary = await sync(tq, { campaign, productId: product!.id });
      // Only this buyer changes; other repeat buyers' older orders are still superseded.
      const expected = expectedSync(stack.dataset, product!.id);
      expect(summary).toMatchObject({
        status: 'completed',
        updated: 1,
        superseded: expected.supersededOrders,
        failed: 0,
      });
      expect((await purchaseGroup(stack, campaign)).get(buyer.email.toLowerCase())).toBe(buyer.orderId);

      // A revoked order likewise stops counting: the field moves back to the remaining order.
      const third = await addOrder(stack, buyer.customerId, [product!.id]);
      await sync(tq, { campaign, productId: product!.id });
      expect((await purchaseGroup(stack, campaign)).get(buyer.email.toLowerCase())).toBe(third.id);
      await setOrderStatus(stack, third.id, 'revoked');
      await sync(tq, { campaign, productId: product!.id });
      expect((await purchaseGroup(stack, campaign)).get(buyer.email.toLowerCase())).toBe(buyer.orderId);
    });
  });

  it('mirror removes a buyer whose only purchase was refunded or revoked, and keeps one on hold', async () => {
    stack = await startStack({ customers: 2000 });
    const [product] = albums(stack.dataset);
    const [refunded, revoked, held, partial] = singleOrderBuyers(product!.id);
    const campaign = uniqueCampaign();
    await withWorker(temporal, stack.activities, async (tq) => {
      await sync(tq, { campaign, productId: product!.id });
      const before = await purchaseGroup(stack, campaign);
      for (const b of [refunded, revoked, held, partial])
        expect(before.has(b!.email.toLowerCase())).toBe(true);

      await setOrderStatus(stack, refunded!.orderId, 'refunded');
      await setOrderStatus(stack, revoked!.orderId, 'revoked');
      await setOrderStatus(stack, held!.orderId, 'on_hold');
      await setOrderStatus(stack, partial!.orderId, 'partially_refunded');
      const summary = await sync(tq, {
        campaign,
        productId: product!.id,
        mode: 'mirror',
        maxRemovalShare: 1,
      });
      expect(summary).toMatchObject({ status: 'completed', removed: 2, failed: 0 });
    });
    const after = await purchaseGroup(stack, campaign);
    expect(after.has(refunded!.email.toLowerCase())).toBe(false);
    expect(after.has(revoked!.email.toLowerCase())).toBe(false);
    expect(after.get(held!.email.toLowerCase())).toBe(held!.orderId);
    expect(after.get(partial!.email.toLowerCase())).toBe(partial!.orderId);
    // Removed from the group only: still subscribers, still active.
    const state = await mailerliteState(stack);
    expect(state.get(refunded!.email.toLowerCase())?.status).toBe('active');
  });
});

describe('sequential order numbers', () => {
  /** n of each order: orders are numbered from `start` in the order they were created. */
  function sequence(start: number): Map<number, number> {
    return new Map([...stack.dataset.sales].sort((a, b) => a.id - b.id).map((s, i) => [s.id, start + i]));
  }

  it("writes the number's n to the purchase field (EDD-1042 gives 1042)", async () => {
    stack = await startStack({ customers: 600, eddOrderNumbers: { prefix: 'EDD-', postfix: '', start: 1 } });
    const [product] = albums(stack.dataset);
    const expected = expectedSync(stack.dataset, product!.id);
    const n = sequence(1);
    const campaign = uniqueCampaign();
    const summary = await withWorker(temporal, stack.activities, (tq) =>
      sync(tq, { campaign, productId: product!.id, pageSize: 50 }),
    );
    expect(summary).toMatchObject({
      status: 'completed',
      created: expected.subscribers.size,
      invalid: expected.invalidOrders,
    });
    expect(summary.newestOrder).toMatch(/^EDD-\d+$/);
    const group = await purchaseGroup(stack, campaign);
    for (const [email, buyer] of expected.subscribers) expect(group.get(email)).toBe(n.get(buyer.orderId));
  });

  it('reports a number with digits in its prefix as invalid, naming the settings, until they are set', async () => {
    stack = await startStack({
      customers: 300,
      eddOrderNumbers: { prefix: 'INV2024-', postfix: '/A', start: 7 },
    });
    const [product] = albums(stack.dataset);
    const expected = expectedSync(stack.dataset, product!.id);
    const campaign = uniqueCampaign();
    const unset = await withWorker(temporal, stack.activities, (tq) =>
      sync(tq, { campaign, productId: product!.id }),
    );
    expect(unset).toMatchObject({ status: 'completed', created: 0, invalid: expected.orders });
    expect(unset.invalidRecords[0]!.reasons.join(' ')).toMatch(
      /order number 'INV2024-\d+\/A' gives no order number for the purchase field: set EDD_ORDER_NUMBER_PREFIX and EDD_ORDER_NUMBER_POSTFIX/,
    );
    await stack.close();

    stack = await startStack({
      customers: 300,
      eddOrderNumbers: { prefix: 'INV2024-', postfix: '/A', start: 7 },
      env: { EDD_ORDER_NUMBER_PREFIX: 'INV2024-', EDD_ORDER_NUMBER_POSTFIX: '/A' },
    });
    const n = sequence(7);
    const set = await withWorker(temporal, stack.activities, (tq) =>
      sync(tq, { campaign, productId: product!.id }),
    );
    expect(set).toMatchObject({
      status: 'completed',
      created: expected.subscribers.size,
      invalid: expected.invalidOrders,
    });
    const group = await purchaseGroup(stack, campaign);
    for (const [email, buyer] of expected.subscribers) expect(group.get(email)).toBe(n.get(buyer.orderId));
  });
});
