import { fieldKey } from '../../src/shared/campaign';
import { startMailerLiteEmulator } from '../../dev/emulators';
import type { EmulatorHandle } from '../../dev/emulators';
import { mailerLiteClient } from './http-helpers';
import type {
  MailerLiteCall,
  MlCursorList,
  MlField,
  MlGroup,
  MlPageList,
  MlSubscriber,
  MlValidationError,
} from './http-helpers';

describe('MailerLite emulator: groups and fields', () => {
  let ml: EmulatorHandle;
  let call: MailerLiteCall;

  beforeAll(async () => {
    ml = await startMailerLiteEmulator({ apiToken: 'test-token', rateLimitPerMinute: 0 });
    call = mailerLiteClient(ml, 'test-token');
  });
  afterAll(() => ml.close());
  beforeEach(async () => {
    await fetch(`${ml.url}/_admin/reset`, { method: 'POST' });
  });

  const createGroup = async (name: string): Promise<MlGroup> =>
    (await call<{ data: MlGroup }>('POST', '/api/groups', { name })).body.data;

  describe('groups', () => {
    it('creates a group with 201 and the real object shape', async () => {
      const res = await call<{ data: Record<string, unknown> }>('POST', '/api/groups', {
        name: '2024_ETB_NBL_WOOD',
      });
      expect(res.status).toBe(201);
      expect(res.body.data).toMatchObject({
        name: '2024_ETB_NBL_WOOD',
        active_count: 0,
        open_rate: { float: 0, string: '0%' },
        junk_count: 0,
      });
      expect(typeof res.body.data.id).toBe('string');
    });

    it('rejects a duplicate name (any case) with 422', async () => {
      await createGroup('2024_ETB_NBL_GOLD');
      const res = await call<MlValidationError>('POST', '/api/groups', { name: '2024_etb_nbl_gold' });
      expect(res.status).toBe(422);
      expect(res.body).toEqual({
        message: 'The given data was invalid.',
        errors: { name: ['The name has already been taken.'] },
      });
    });

    it('lists with a partial name filter and Laravel page meta', async () => {
      for (const tier of ['WOOD', 'BRONZE', 'SILVER', 'GOLD', 'OPT-IN'])
        await createGroup(`2024_ETB_NBL_${tier}`);
      await createGroup('2023_AURORA_MIDNIGHT_GOLD');
      const res = await call<MlPageList<MlGroup>>('GET', '/api/groups?filter[name]=etb_nbl&limit=2&page=2');
      expect(res.body.data.map((g) => g.name)).toEqual(['2024_ETB_NBL_SILVER', '2024_ETB_NBL_GOLD']);
      expect(res.body.meta).toMatchObject({
        current_page: 2,
        last_page: 3,
        per_page: 2,
        total: 5,
        from: 3,
        to: 4,
      });
      expect(res.body.links.next).toBe(`${ml.url}/api/groups?page=3`);
      const sorted = await call<MlPageList<MlGroup>>('GET', '/api/groups?sort=-name&limit=1');
      expect(sorted.body.data[0]!.name).toBe('2024_ETB_NBL_WOOD');
    });

    it('assigns and unassigns members, keeps counts, and lists a group’s subscribers', async () => {
      const group = await createGroup('2024_ETB_NBL_BRONZE_PURCHASE');
      const sub = (await call<{ data: MlSubscriber }>('POST', '/api/subscribers', { email: 'm@example.com' }))
        .body.data;
      const assigned = await call<{ data: MlGroup }>('POST', `/api/subscribers/${sub.id}/groups/${group.id}`);
      expect(assigned.status).toBe(200);
      expect(assigned.body.data).toMatchObject({ id: group.id, active_count: 1 });
      const members = await call<MlCursorList<MlSubscriber>>('GET', `/api/groups/${group.id}/subscribers`);
      expect(members.body.data.map((s) => s.email)).toEqual(['m@example.com']);
      expect(members.body.meta.path).toBe(`${ml.url}/api/groups/${group.id}/subscribers`);
      expect((await call('DELETE', `/api/subscribers/${sub.id}/groups/${group.id}`)).status).toBe(204);
      const after = await call<MlCursorList<MlSubscriber>>('GET', `/api/groups/${group.id}/subscribers`);
      expect(after.body.data).toEqual([]);
    });

    it('deletes a group with 204 and answers 404 with the group message afterwards', async () => {
      const group = await createGroup('TEMP');
      expect((await call('DELETE', `/api/groups/${group.id}`)).status).toBe(204);
      const again = await call('DELETE', `/api/groups/${group.id}`);
      expect(again.status).toBe(404);
      expect(again.body).toEqual({
        message: `No query results for model [App\\Models\\Group\\Group] ${group.id}`,
      });
    });
  });

  describe('fields', () => {
    it('starts with the default fields of a real account', async () => {
      const res = await call<MlPageList<MlField>>('GET', '/api/fields');
      expect(res.body.data.map((f) => f.key)).toEqual([
        'name',
        'last_name',
        'company',
        'country',
        'city',
        'phone',
        'state',
        'z_i_p',
      ]);
      expect(
        res.body.data.every((f) => f.is_default && f.type === 'text' && f.used_in_automations === false),
      ).toBe(true);
    });

    it('creates a number field whose key derives from the name, shown as null on subscribers', async () => {
      const name = '2024_ETB_NBL_PURCHASE';
      const res = await call<{ data: MlField }>('POST', '/api/fields', { name, type: 'number' });
      expect(res.status).toBe(201);
      expect(res.body.data).toEqual({
        id: res.body.data.id,
        name,
        key: fieldKey(name),
        type: 'number',
        is_default: false,
      });
      const sub = await call<{ data: MlSubscriber }>('POST', '/api/subscribers', { email: 'f@example.com' });
      expect(sub.body.data.fields[fieldKey(name)]).toBeNull();
      const found = await call<MlPageList<MlField>>('GET', '/api/fields?filter[keyword]=etb_nbl');
      expect(found.body.data.map((f) => f.name)).toEqual([name]);
    });

    it('rejects a duplicate name and an unknown type with 422', async () => {
      await call('POST', '/api/fields', { name: 'Favourite Album', type: 'text' });
      const dup = await call<MlValidationError>('POST', '/api/fields', {
        name: 'favourite album',
        type: 'text',
      });
      expect(dup.status).toBe(422);
      expect(dup.body.errors.name).toEqual(['The name has already been taken.']);
      const type = await call<MlValidationError>('POST', '/api/fields', { name: 'Other', type: 'boolean' });
      expect(type.status).toBe(422);
      expect(type.body.errors.type).toEqual(['The selected type is invalid.']);
    });

    it('renames a field without changing its key', async () => {
      const created = (
        await call<{ data: MlField }>('POST', '/api/fields', { name: 'My Field', type: 'text' })
      ).body.data;
      const renamed = await call<{ data: MlField }>('PUT', `/api/fields/${created.id}`, {
        name: 'My New Field Name',
      });
      expect(renamed.body.data).toMatchObject({ name: 'My New Field Name', key: 'my_field' });
    });
  });
});

describe('MailerLite emulator: group member lists and the account group limit', () => {
  let ml: EmulatorHandle;
  let call: MailerLiteCall;

  beforeAll(async () => {
    ml = await startMailerLiteEmulator({ apiToken: 'test-token', rateLimitPerMinute: 0, maxGroups: 3 });
    call = mailerLiteClient(ml, 'test-token');
  });
  afterAll(() => ml.close());
  beforeEach(async () => {
    await fetch(`${ml.url}/_admin/reset`, { method: 'POST' });
  });

  it("lists a group's active members unless filter[status] names another status (the SDK's documented default)", async () => {
    const group = (await call<{ data: MlGroup }>('POST', '/api/groups', { name: 'Members' })).body.data;
    for (const status of ['active', 'unconfirmed', 'unsubscribed', 'bounced', 'junk']) {
      await call('POST', '/api/subscribers', { email: `${status}@example.com`, status, groups: [group.id] });
    }
    const emails = async (query: string) =>
      (
        await call<MlCursorList<MlSubscriber>>('GET', `/api/groups/${group.id}/subscribers${query}`)
      ).body.data.map((s) => s.email);
    expect(await emails('')).toEqual(['active@example.com']);
    expect(await emails('?filter[status]=unconfirmed')).toEqual(['unconfirmed@example.com']);
    expect(await emails('?filter[status]=junk')).toEqual(['junk@example.com']);
    // The account-wide list keeps every status without a filter (no documented default there).
    const all = await call<MlCursorList<MlSubscriber>>('GET', '/api/subscribers');
    expect(all.body.data).toHaveLength(5);
  });

  it('refuses a group beyond the account limit with a 422, and takes one again once a group is deleted', async () => {
    const ids: string[] = [];
    for (const name of ['A', 'B', 'C']) {
      const res = await call<{ data: MlGroup }>('POST', '/api/groups', { name });
      expect(res.status).toBe(201);
      ids.push(res.body.data.id);
    }
    const refused = await call<MlValidationError>('POST', '/api/groups', { name: 'D' });
    const message = 'You have reached the maximum number of groups (3).';
    expect(refused).toMatchObject({ status: 422, body: { message, errors: { name: [message] } } });
    const listed = await call<MlPageList<MlGroup>>('GET', '/api/groups?limit=1');
    expect(listed.body.meta.total).toBe(3);

    expect((await call('DELETE', `/api/groups/${ids[0]}`)).status).toBe(204);
    expect((await call('POST', '/api/groups', { name: 'D' })).status).toBe(201);
  });
});
