import { startMailerLiteEmulator } from '../../dev/emulators';
import type { EmulatorHandle } from '../../dev/emulators';
import { mailerLiteClient } from './http-helpers';
import type { MailerLiteCall, MlCursorList, MlGroup, MlSubscriber, MlValidationError } from './http-helpers';

describe('MailerLite emulator: subscribers', () => {
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

  const upsert = (body: unknown) => call<{ data: MlSubscriber }>('POST', '/api/subscribers', body);

  it.each([
    ['no Authorization header', null],
    ['a wrong token', 'nope'],
  ])('answers 401 Unauthenticated. to %s', async (_case, token) => {
    const res = await mailerLiteClient(ml, token)('GET', '/api/subscribers');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ message: 'Unauthenticated.' });
  });

  it('creates with 201, updates with 200, and merges only the given fields', async () => {
    const created = await upsert({ email: 'Zoe@Example.com', fields: { name: 'Zoë', last_name: 'Müller' } });
    expect(created.status).toBe(201);
    expect(created.body.data.email).toBe('zoe@example.com');
    expect(created.body.data.status).toBe('active');
    expect(created.body.data.fields).toEqual({
      name: 'Zoë',
      last_name: 'Müller',
      company: null,
      country: null,
      city: null,
      phone: null,
      state: null,
      z_i_p: null,
    });
    const updated = await upsert({ email: 'zoe@example.com', fields: { last_name: 'Fischer' } });
    expect(updated.status).toBe(200);
    expect(updated.body.data.id).toBe(created.body.data.id);
    expect(updated.body.data.fields).toMatchObject({ name: 'Zoë', last_name: 'Fischer' });
  });

  it('uses string IDs beyond 2^53, so they must not be parsed as numbers', async () => {
    const { body } = await upsert({ email: 'big@example.com' });
    expect(body.data.id).toMatch(/^\d{18}$/);
    expect(BigInt(body.data.id) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
  });

  it('adds groups on upsert but never removes them, and sets the status only when given', async () => {
    const a = await call<{ data: MlGroup }>('POST', '/api/groups', { name: 'A' });
    const b = await call<{ data: MlGroup }>('POST', '/api/groups', { name: 'B' });
    await upsert({ email: 'g@example.com', groups: [a.body.data.id], status: 'unconfirmed' });
    const res = await upsert({ email: 'g@example.com', groups: [b.body.data.id] });
    expect(res.body.data.groups!.map((g) => g.name)).toEqual(['A', 'B']);
    expect(res.body.data.status).toBe('unconfirmed');
    const unsubscribed = await upsert({ email: 'g@example.com', status: 'unsubscribed' });
    expect(unsubscribed.status).toBe(200);
    expect(unsubscribed.body.data.status).toBe('unsubscribed');
  });

  describe('refuses to upsert a subscriber who unsubscribed, bounced or is junk', () => {
    // Recorded against the real API for an unsubscribed subscriber, with `status: active` and with
    // groups and no status; the other statuses and bodies are the emulator's assumption (facts.ts).
    const bodies: [string, (groupId: string) => Record<string, unknown>][] = [
      ['with status active', () => ({ status: 'active', fields: { name: 'Back' } })],
      ['with groups and no status', (groupId) => ({ groups: [groupId] })],
      ['with fields only', () => ({ fields: { name: 'Back' } })],
    ];

    it.each(
      ['unsubscribed', 'bounced', 'junk'].flatMap((status) =>
        bodies.map(([what, body]) => [status, what, body] as const),
      ),
    )('a %s subscriber, %s: 422, nothing changed', async (status, _what, body) => {
      const group = await call<{ data: MlGroup }>('POST', '/api/groups', { name: 'Campaign' });
      const before = await upsert({ email: 'gone@example.com', status, fields: { name: 'Kept' } });
      expect(before.status).toBe(201);

      const refused = await upsert({ email: 'Gone@Example.com', ...body(group.body.data.id) });
      const message = `This subscriber is ${status} and cannot be imported`;
      expect(refused.status).toBe(422);
      expect(refused.body).toEqual({ message, errors: { email: [message] } });
      const after = await call<{ data: MlSubscriber }>('GET', '/api/subscribers/gone@example.com');
      expect(after.body.data).toMatchObject({ status, fields: { name: 'Kept' }, groups: [] });
    });

    it('inside a batch too: that item answers 422, the others go through', async () => {
      await upsert({ email: 'gone@example.com', status: 'unsubscribed' });
      const res = await call<{
        total: number;
        successful: number;
        failed: number;
        responses: { code: number; body: unknown }[];
      }>('POST', '/api/batch', {
        requests: [
          { method: 'POST', path: 'api/subscribers', body: { email: 'gone@example.com', status: 'active' } },
          { method: 'POST', path: 'api/subscribers', body: { email: 'new@example.com', status: 'active' } },
          { method: 'GET', path: 'api/subscribers/gone@example.com' },
        ],
      });
      const message = 'This subscriber is unsubscribed and cannot be imported';
      expect(res.body).toMatchObject({ total: 3, successful: 2, failed: 1 });
      expect(res.body.responses[0]).toEqual({ code: 422, body: { message, errors: { email: [message] } } });
      expect(res.body.responses[1]!.code).toBe(201);
      expect(res.body.responses[2]).toMatchObject({ code: 200, body: { data: { status: 'unsubscribed' } } });
    });
  });

  it('finds a subscriber by ID or by email in any case, and answers 404 with the model message otherwise', async () => {
    const { body } = await upsert({ email: 'find@example.com' });
    expect(
      (await call<{ data: MlSubscriber }>('GET', `/api/subscribers/${body.data.id}`)).body.data.email,
    ).toBe('find@example.com');
    const byEmail = await call<{ data: MlSubscriber }>('GET', '/api/subscribers/FIND%40example.com');
    expect(byEmail.body.data.id).toBe(body.data.id);
    const missing = await call('GET', '/api/subscribers/nobody@example.com');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      message: 'No query results for model [App\\Models\\Subscriber\\Subscriber].',
    });
  });

  it('updates with PUT and deletes with 204', async () => {
    const { body } = await upsert({ email: 'put@example.com', fields: { name: 'Ann' } });
    const put = await call<{ data: MlSubscriber }>('PUT', `/api/subscribers/${body.data.id}`, {
      fields: { city: 'Oslo' },
    });
    expect(put.status).toBe(200);
    expect(put.body.data.fields).toMatchObject({ name: 'Ann', city: 'Oslo' });
    expect((await call('DELETE', `/api/subscribers/${body.data.id}`)).status).toBe(204);
    expect((await call('GET', `/api/subscribers/${body.data.id}`)).status).toBe(404);
    expect((await call('DELETE', `/api/subscribers/${body.data.id}`)).status).toBe(404);
  });

  it.each([
    ['a missing email', {}, 'email', 'The email field is required.'],
    ['an email without domain', { email: 'ann@' }, 'email', 'The email must be a valid email address.'],
    [
      'an email with a space',
      { email: 'an n@example.com' },
      'email',
      'The email must be a valid email address.',
    ],
    [
      'an email with a double dot',
      { email: 'ann@example..com' },
      'email',
      'The email must be a valid email address.',
    ],
    [
      'an unknown group',
      { email: 'x@example.com', groups: ['123'] },
      'groups.0',
      'The selected groups.0 is invalid.',
    ],
    [
      'an unknown status',
      { email: 'x@example.com', status: 'gone' },
      'status',
      'The selected status is invalid.',
    ],
  ])('rejects %s with 422', async (_case, body, field, message) => {
    const res = await call<MlValidationError>('POST', '/api/subscribers', body);
    expect(res.status).toBe(422);
    expect(res.body.message).toBe('The given data was invalid.');
    expect(res.body.errors[field]).toEqual([message]);
  });

  it('validates number fields and stores numeric strings as numbers', async () => {
    await call('POST', '/api/fields', { name: '2024_ETB_NBL_PURCHASE', type: 'number' });
    const bad = await call<MlValidationError>('POST', '/api/subscribers', {
      email: 'n@example.com',
      fields: { '2024_etb_nbl_purchase': 'order-12' },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors['fields.2024_etb_nbl_purchase']).toEqual([
      'The fields.2024 etb nbl purchase must be a number.',
    ]);
    const good = await upsert({ email: 'n@example.com', fields: { '2024_etb_nbl_purchase': '1234' } });
    expect(good.status).toBe(201);
    expect(good.body.data.fields['2024_etb_nbl_purchase']).toBe(1234);
  });

  describe('cursor pagination', () => {
    const total = 57;

    beforeEach(async () => {
      for (let i = 0; i < total; i++) {
        await upsert({ email: `p${i}@example.com`, status: i % 3 === 0 ? 'unsubscribed' : 'active' });
      }
    });

    it('walks every subscriber exactly once, newest first', async () => {
      const ids: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: { body: MlCursorList<MlSubscriber> } = await call<MlCursorList<MlSubscriber>>(
          'GET',
          `/api/subscribers?limit=10${cursor ? `&cursor=${cursor}` : ''}`,
        );
        expect(res.body.meta.per_page).toBe(10);
        expect(res.body.links.first).toBeNull();
        ids.push(...res.body.data.map((s) => s.id));
        cursor = res.body.meta.next_cursor;
        pages++;
      } while (cursor);
      expect(pages).toBe(6);
      expect(ids).toHaveLength(total);
      expect(new Set(ids).size).toBe(total);
      expect([...ids].sort((a, b) => (BigInt(a) < BigInt(b) ? 1 : -1))).toEqual(ids);
    });

    it('goes back with prev_cursor, and its links do not repeat the limit', async () => {
      const first = await call<MlCursorList<MlSubscriber>>('GET', '/api/subscribers?limit=5');
      expect(first.body.meta.prev_cursor).toBeNull();
      expect(first.body.links.next).not.toContain('limit=');
      const second = await call<MlCursorList<MlSubscriber>>(
        'GET',
        `/api/subscribers?limit=5&cursor=${first.body.meta.next_cursor}`,
      );
      const back = await call<MlCursorList<MlSubscriber>>(
        'GET',
        `/api/subscribers?limit=5&cursor=${second.body.meta.prev_cursor}`,
      );
      expect(back.body.data.map((s) => s.id)).toEqual(first.body.data.map((s) => s.id));
    });

    it('filters by status, counts with limit=0, and includes groups only when asked', async () => {
      const unsubscribed = await call<MlCursorList<MlSubscriber>>(
        'GET',
        '/api/subscribers?filter[status]=unsubscribed&limit=100',
      );
      expect(unsubscribed.body.data).toHaveLength(19);
      expect(unsubscribed.body.data.every((s) => s.status === 'unsubscribed')).toBe(true);
      expect((await call('GET', '/api/subscribers?limit=0')).body).toEqual({ total });
      const plain = await call<MlCursorList<MlSubscriber>>('GET', '/api/subscribers?limit=1');
      expect(plain.body.data[0]!.groups).toBeUndefined();
      const withGroups = await call<MlCursorList<MlSubscriber>>(
        'GET',
        '/api/subscribers?limit=1&include=groups',
      );
      expect(withGroups.body.data[0]!.groups).toEqual([]);
      const bad = await call<MlValidationError>('GET', '/api/subscribers?filter[status]=gone');
      expect(bad.status).toBe(422);
    });

    it('takes limit up to 1000 by default and refuses more with a 422 on limit', async () => {
      const res = await call<MlCursorList<MlSubscriber>>('GET', '/api/subscribers?limit=1000');
      expect(res.body.meta.per_page).toBe(1000);
      const refused = await call<MlValidationError>('GET', '/api/subscribers?limit=1001');
      expect(refused.status).toBe(422);
      expect(refused.body).toEqual({
        message: 'The given data was invalid.',
        errors: { limit: ['The limit may not be greater than 1000.'] },
      });
    });
  });

  it('answers an unknown route with 404 and a wrong method with 405', async () => {
    const unknown = await call('GET', '/api/campaigns/list');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ message: 'The route api/campaigns/list could not be found.' });
    const wrong = await call<{ message: string }>('PATCH', '/api/subscribers');
    expect(wrong.status).toBe(405);
    expect(wrong.body.message).toContain('Supported methods: GET, HEAD, POST.');
  });
});

describe('MailerLite emulator: a smaller largest list page (maxListLimit)', () => {
  let ml: EmulatorHandle;
  let call: MailerLiteCall;

  beforeAll(async () => {
    ml = await startMailerLiteEmulator({ apiToken: 'test-token', rateLimitPerMinute: 0, maxListLimit: 100 });
    call = mailerLiteClient(ml, 'test-token');
  });
  afterAll(() => ml.close());

  it('refuses a larger limit on both cursor lists, in a batch too, and takes it up to the maximum', async () => {
    const group = await call<{ data: MlGroup }>('POST', '/api/groups', { name: 'Members' });
    const members = `/api/groups/${group.body.data.id}/subscribers`;
    const error = { errors: { limit: ['The limit may not be greater than 100.'] } };
    for (const path of ['/api/subscribers', members]) {
      expect(await call('GET', `${path}?limit=101`)).toMatchObject({ status: 422, body: error });
      expect(await call('GET', `${path}?limit=100`)).toMatchObject({
        status: 200,
        body: { meta: { per_page: 100 } },
      });
    }
    const batch = await call<{ responses: { code: number; body: unknown }[] }>('POST', '/api/batch', {
      requests: [{ method: 'GET', path: `${members.slice(1)}?limit=1000` }],
    });
    expect(batch.body.responses[0]).toMatchObject({ code: 422, body: error });
  });
});
