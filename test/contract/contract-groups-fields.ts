import type { ContractContext } from './contract-context';
import { failureOf, walkPages } from './contract-context';

/** Groups (create, list, exact lookup, duplicates, membership) and a number field. */
export function groupAndFieldContract(ctx: () => ContractContext): void {
  it('creates groups, lists them by part of the name and finds one by its exact name', async () => {
    const { driver, created, groupName } = ctx();
    const base = groupName('tier');
    // Its name contains the other's, and it comes first by creation and by name: a partial
    // `filter[name]` match taken for an exact one would return it instead.
    const archived = await driver.createGroup(`archived-${base}`);
    created.group(archived.id);
    const tier = await driver.createGroup(base);
    created.group(tier.id);

    expect(tier.name).toBe(base);
    expect(tier.id).toMatch(/^\d+$/);
    const listed = await driver.listGroups(base);
    expect(listed).toHaveLength(2);
    expect(listed).toEqual(expect.arrayContaining([tier, archived]));
    expect(await driver.findGroupByName(base)).toEqual(tier);
    expect(await driver.findGroupByName(archived.name)).toEqual(archived);
    expect(await driver.findGroupByName(groupName('never-created'))).toBeUndefined();
  });

  it('refuses a second group with the same name: 422 with a field error on name', async () => {
    const { driver, created, groupName } = ctx();
    const name = groupName('duplicate');
    created.group((await driver.createGroup(name)).id);

    const refused = await failureOf(driver, driver.createGroup(name));
    expect(refused).toMatchObject({ kind: 'validation', status: 422 });
    expect(refused.fieldErrors.name).toEqual([expect.stringMatching(/has already been taken/)]);
  });

  it("assigns and unassigns: visible in the group's members and in the subscriber's groups", async () => {
    const { driver, created, email, groupName } = ctx();
    const group = await driver.createGroup(groupName('members'));
    created.group(group.id);
    const ids: string[] = [];
    for (const label of ['member-1', 'member-2']) {
      const address = email(label);
      const { id } = await driver.upsertSubscriber({ email: address });
      created.subscriber(address, id);
      await driver.assignToGroup(id, group.id);
      ids.push(id);
    }
    // The third joins through the upsert's `groups`, the way the sync's write path adds members.
    const third = email('member-3');
    const joined = await driver.upsertSubscriber({ email: third, groups: [group.id] });
    created.subscriber(third, joined.id);
    ids.push(joined.id);

    // `filter[status]` is always given: whether the default is "active" or every status is unsettled.
    const members = async () => {
      const walk = await walkPages(
        (cursor) => driver.listGroupMembers(group.id, { status: 'active', limit: 2, cursor }),
        10,
      );
      return { pages: walk.pages.length, ids: walk.pages.flat().map((s) => s.id) };
    };
    const before = await members();
    expect(before.pages).toBe(2);
    expect([...before.ids].sort()).toEqual([...ids].sort());
    expect((await driver.getSubscriber(ids[0]!))?.groups).toContain(group.id);
    expect(joined.subscriber.groups).toContain(group.id);

    await driver.unassignFromGroup(ids[1]!, group.id);
    const after = await members();
    expect([...after.ids].sort()).toEqual([ids[0], ids[2]].sort());
    expect((await driver.getSubscriber(ids[1]!))?.groups).not.toContain(group.id);
  });

  it('creates a number field and stores order IDs in it', async () => {
    const { driver, created, email, fieldName } = ctx();
    const name = fieldName('purchase');
    const field = await driver.createField(name, 'number');
    created.field(field.id);
    expect({ name: field.name, type: field.type }).toEqual({ name, type: 'number' });
    // The sync takes the key from this answer; how MailerLite derives it from the name is not assumed.
    expect(field.key).toMatch(/^\w+$/);

    const address = email('field');
    const { id } = await driver.upsertSubscriber({ email: address, fields: { [field.key]: 4242 } });
    created.subscriber(address, id);
    // The sync reads the value with Number(): a number or a numeric string both serve it.
    expect([4242, '4242']).toContainEqual((await driver.getSubscriber(id))?.fields[field.key]);
    await driver.updateSubscriber(id, { fields: { [field.key]: 4243 } });
    expect([4243, '4243']).toContainEqual((await driver.getSubscriber(id))?.fields[field.key]);
  });
}
