import type { ContractContext } from './contract-context';
import { failureOf, walkPages } from './contract-context';
import type { SubscriberStatus } from './contract-driver';

/** Subscribers: upsert by email, reads by email or ID, update, delete, status filter and cursor paging. */
export function subscriberContract(ctx: () => ContractContext): void {
  it('upserts by email: creates, then updates the same subscriber and merges its fields', async () => {
    const { driver, created, email } = ctx();
    const address = email('upsert');
    const first = await driver.upsertSubscriber({
      email: address,
      fields: { name: 'Ada', last_name: 'Lovelace' },
    });
    created.subscriber(address, first.id);
    // Upper-cased on purpose: EDD and MailerLite may spell one buyer's address differently.
    const second = await driver.upsertSubscriber({
      email: address.toUpperCase(),
      fields: { last_name: 'Byron' },
    });
    created.subscriber(address, second.id);

    expect(second.id).toBe(first.id);
    expect(second.subscriber.email).toBe(address);
    // Only a client that reports 201 vs 200 says whether it created; when it does, it must be right.
    expect([first.created, second.created]).toEqual(
      first.created === undefined ? [undefined, undefined] : [true, false],
    );
    const stored = await driver.getSubscriber(first.id);
    expect(stored?.fields).toMatchObject({ name: 'Ada', last_name: 'Byron' });
  });

  it('gets a subscriber by email or by ID, and nothing for an email it does not know', async () => {
    const { driver, created, email } = ctx();
    const address = email('get');
    const { id } = await driver.upsertSubscriber({ email: address, fields: { name: 'Grace' } });
    created.subscriber(address, id);

    expect((await driver.getSubscriber(address))?.id).toBe(id);
    const byId = await driver.getSubscriber(id);
    expect(byId).toMatchObject({ id, email: address, status: 'active' });
    expect(await driver.getSubscriber(email('never-created'))).toBeUndefined();
  });

  it('updates fields by ID without touching the others, then deletes the subscriber', async () => {
    const { driver, created, email } = ctx();
    const address = email('update');
    const { id } = await driver.upsertSubscriber({
      email: address,
      fields: { name: 'Grace', last_name: 'Hopper' },
    });
    created.subscriber(address, id);

    await driver.updateSubscriber(id, { fields: { name: 'Amazing Grace' } });
    expect((await driver.getSubscriber(id))?.fields).toMatchObject({
      name: 'Amazing Grace',
      last_name: 'Hopper',
    });

    await driver.deleteSubscriber(id);
    expect(await driver.getSubscriber(id)).toBeUndefined();
    expect(await failureOf(driver, driver.deleteSubscriber(id))).toMatchObject({
      kind: 'not-found',
      status: 404,
    });
  });

  it('refuses to upsert a subscriber who unsubscribed: 422 "cannot be imported", status kept', async () => {
    const { driver, created, email } = ctx();
    const address = email('unsubscribed');
    const { id } = await driver.upsertSubscriber({ email: address, status: 'unsubscribed' });
    created.subscriber(address, id);

    // Recorded in the official SDKs' tests; the sync counts such an answer as skipped for consent.
    for (const body of [{ status: 'active' as const }, { fields: { name: 'Back' } }]) {
      const refused = await failureOf(driver, driver.upsertSubscriber({ email: address, ...body }));
      expect(refused).toMatchObject({ kind: 'validation', status: 422 });
      expect(refused.message).toMatch(/unsubscribed and cannot be imported/);
    }
    expect((await driver.getSubscriber(id))?.status).toBe('unsubscribed');
  });

  it('lists by status with cursor paging, visiting each subscriber once and only those with the status', async () => {
    const { driver, created, email, target } = ctx();
    const make = async (label: string, status: SubscriberStatus) => {
      const address = email(label);
      const { id } = await driver.upsertSubscriber({ email: address, status });
      created.subscriber(address, id);
      return id;
    };
    const active = [
      await make('list-a1', 'active'),
      await make('list-a2', 'active'),
      await make('list-a3', 'active'),
    ];
    const unsubscribed = [await make('list-u1', 'unsubscribed'), await make('list-u2', 'unsubscribed')];
    // Smaller than the number of our active subscribers, so the walk has to follow a cursor.
    const limit = 2;

    for (const [status, ours, theirs] of [
      ['active', active, unsubscribed],
      ['unsubscribed', unsubscribed, active],
    ] as const) {
      const { pages } = await walkPages(
        (cursor) => driver.listSubscribers({ status, limit, cursor }),
        target.maxListPages,
      );
      const listed = pages.flat();
      const ids = listed.map((s) => s.id);
      expect(pages.every((p) => p.length <= limit)).toBe(true);
      expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
      expect(ids).toEqual(expect.arrayContaining([...ours]));
      expect(ids.filter((id) => theirs.includes(id))).toEqual([]);
      expect(listed.filter((s) => s.status !== status)).toEqual([]);
      if (status === 'active') expect(pages.length).toBeGreaterThanOrEqual(2);
    }
  });
}
