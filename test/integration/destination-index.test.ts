import { MockActivityEnvironment } from '@temporalio/testing';
import type { PlanListPageInput } from '../../src/activities';
import { keepValid, type SourceRecord } from '../../src/shared/sync-types';
import { albums, uniqueCampaign } from '../helpers/stack';
import { useIntegrationStack } from '../helpers/integration';
import { mailerliteApi as api } from '../helpers/store-admin';

// The list path's index activities, run in the SDK's activity context against the MailerLite
// emulator (a real HTTP server): what reading the non-active lists after planning keeps, and a
// look-up that finds the purchase field gone.

const { stack } = useIntegrationStack({
  connect: false,
  customers: 300,
  env: { MAILERLITE_LIST_LIMIT: '50' },
});

function inActivity<A, R>(fn: (arg: A) => Promise<R>, arg: A): Promise<R> {
  return new MockActivityEnvironment().run<[A], R, (arg: A) => Promise<R>>(fn, arg);
}

/** A campaign's groups and field, and the album's first valid records. */
async function prepare() {
  const campaign = uniqueCampaign();
  const album = albums(stack.dataset)[0]!;
  const resources = await inActivity(stack.activities.ensureCampaignResources, {
    campaign,
    tiers: ['Bronze Purchase'],
    purchaseTier: 'Bronze Purchase',
    dryRun: false,
  });
  const page = await inActivity(stack.activities.fetchPurchasersPage, {
    productId: album.id,
    page: 1,
    pageSize: 100,
  });
  const { invalidAt } = await inActivity(stack.activities.validateRecords, {
    campaign,
    records: page.records,
  });
  const valid = keepValid(page.records, invalidAt);
  const fieldKeys = ['name', 'last_name', resources.purchaseFieldKey];
  const key = `test/${campaign}`;
  await inActivity(stack.activities.openDestinationIndex, { key, fieldKeys });
  // The same source page held twice, as two pages of a sync would hold their records.
  for (const slot of ['a', 'b']) {
    await inActivity(stack.activities.readHeldSalesPage, {
      key,
      slot,
      productId: album.id,
      page: 1,
      pageSize: 100,
    });
    await inActivity(stack.activities.validateHeldSalesPage, { key, slot, campaign, rescued: [] });
  }
  const plan = (page: number, records: SourceRecord[], lists: PlanListPageInput['lists']) =>
    inActivity(stack.activities.planListPage, {
      key,
      page,
      sources: [{ slot: page === 1 ? 'a' : 'b', orderIds: records.map((r) => r.orderId) }],
      productId: album.id,
      groupId: resources.purchaseGroupId,
      purchaseFieldKey: resources.purchaseFieldKey,
      fieldKeys,
      mode: 'upsert',
      lists,
      batchWrites: 49,
    });
  const readList = async (list: 'members' | 'unsubscribed' | 'bounced' | 'junk' | 'unconfirmed') => {
    let cursor: string | null = null;
    do {
      const at: string | null = cursor;
      cursor = (
        await inActivity(stack.activities.indexDestinationPage, {
          key,
          groupId: resources.purchaseGroupId,
          fieldKeys,
          list,
          cursor: at,
        })
      ).nextCursor;
    } while (cursor !== null);
  };
  return { key, resources, fieldKeys, valid, plan, readList };
}

/** A subscriber with a status and a stale name. */
async function seed(email: string, status: string): Promise<void> {
  const made = await api<{ data: { id: string } }>(stack, 'POST', '/subscribers', {
    email,
    fields: { name: 'Stale', last_name: 'Name' },
  });
  if (status !== 'active') await api(stack, 'PUT', `/subscribers/${made.data.id}`, { status });
}

describe("the list path's index", () => {
  it('keeps what a chunk planned when the non-active lists are read after it (the same order later is unchanged)', async () => {
    const { key, resources, fieldKeys, valid, plan, readList } = await prepare();
    const buyer = valid[0]!;
    await seed(buyer.email, 'unconfirmed');
    await readList('members');
    // The buyer is in no list read: looked up (unconfirmed, no purchase), then planned.
    const first = await plan(1, [buyer], ['members']);
    expect(first.unknown).toBe(1);
    await inActivity(stack.activities.lookUpListPage, {
      key,
      page: 1,
      part: 0,
      groupId: resources.purchaseGroupId,
      fieldKeys,
    });
    const planned = await plan(1, [buyer], ['members']);
    expect(planned).toMatchObject({ unknown: 0, planned: 1 });
    // Before that write is sent, a later chunk's many unknown buyers make the sync read the lists;
    // the unconfirmed list still shows the buyer as MailerLite holds them (no purchase).
    for (const list of ['unsubscribed', 'bounced', 'junk', 'unconfirmed'] as const) await readList(list);
    // The same order again in that later chunk: what was planned stands (the list gave only the
    // status), so there is nothing to write.
    const again = await plan(2, [buyer], ['members', 'unsubscribed', 'bounced', 'junk', 'unconfirmed']);
    expect(again).toMatchObject({ unknown: 0, planned: 0, batches: 0 });
    expect(again.counts.unchanged).toBe(1);
  });

  it('fails a look-up that finds the purchase field gone, as the per-buyer read-back does', async () => {
    const { key, resources, fieldKeys, valid, plan, readList } = await prepare();
    const buyer = valid[1]!;
    await seed(buyer.email, 'active');
    await readList('members');
    expect((await plan(1, [buyer], ['members'])).unknown).toBe(1);
    const fields = await api<{ data: { id: string; key: string }[] }>(stack, 'GET', '/fields?limit=100');
    const field = fields.data.find((f) => f.key === resources.purchaseFieldKey)!;
    await api(stack, 'DELETE', `/fields/${field.id}`);
    await expect(
      inActivity(stack.activities.lookUpListPage, {
        key,
        page: 1,
        part: 0,
        groupId: resources.purchaseGroupId,
        fieldKeys,
      }),
    ).rejects.toMatchObject({
      name: 'DestinationGoneError',
      message: expect.stringContaining("the campaign's purchase field is gone") as unknown,
    });
  });
});
