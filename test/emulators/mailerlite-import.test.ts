import { startMailerLiteEmulator } from '../../dev/emulators';
import type { EmulatorHandle } from '../../dev/emulators';
import { mailerLiteClient } from './http-helpers';
import type {
  MailerLiteCall,
  MlCursorList,
  MlGroup,
  MlPageList,
  MlSubscriber,
  MlValidationError,
} from './http-helpers';

interface ImportEntry {
  id: string | null;
  email: string;
}

/** The report, as recorded from the real API (cassette subscribers-get-import.yml). */
interface ImportReport {
  id: string;
  account_id: string;
  total: number;
  processed: number;
  imported: number;
  updated: number;
  errored: number;
  percent: number;
  done: boolean;
  invalid: ImportEntry[];
  invalid_count: number;
  changed: ImportEntry[];
  changed_count: number;
  unchanged: ImportEntry[];
  unchanged_count: number;
  unsubscribed: ImportEntry[];
  unsubscribed_count: number;
  duplicate: ImportEntry[];
  duplicate_count: number;
  finished_at: string;
  updated_at: string;
}

const RECORDED_REPORT_KEYS = [
  'id',
  'account_id',
  'total',
  'processed',
  'imported',
  'updated',
  'errored',
  'percent',
  'done',
  'invalid',
  'invalid_count',
  'mistyped',
  'mistyped_count',
  'changed',
  'changed_count',
  'unchanged',
  'unchanged_count',
  'unsubscribed',
  'unsubscribed_count',
  'role_based',
  'role_based_count',
  'suspicious_format',
  'suspicious_format_count',
  'duplicate',
  'duplicate_count',
  'banned_import_emails_count',
  'updated_at',
  'undone_at',
  'stopped_at',
  'undo_started_at',
  'finished_at',
];

describe('MailerLite emulator: group import', () => {
  let clock = Date.UTC(2025, 0, 1);
  let ml: EmulatorHandle;
  let call: MailerLiteCall;
  let group: MlGroup;

  beforeAll(async () => {
    ml = await startMailerLiteEmulator({
      apiToken: 't',
      rateLimitPerMinute: 0,
      importLimitPerMinute: 2,
      now: () => clock,
    });
    call = mailerLiteClient(ml, 't');
  });
  afterAll(() => ml.close());
  beforeEach(async () => {
    clock += 120_000;
    await fetch(`${ml.url}/_admin/reset`, { method: 'POST' });
    group = (await call<{ data: MlGroup }>('POST', '/api/groups', { name: 'Imported' })).body.data;
  });

  /** Imports, follows `import_progress_url` and returns the report. */
  async function importAndReport(rows: unknown[], path = 'import-subscribers'): Promise<ImportReport> {
    const res = await call<{ import_progress_url: string }>('POST', `/api/groups/${group.id}/${path}`, {
      subscribers: rows,
    });
    expect(res.status).toBe(200);
    const url = new URL(res.body.import_progress_url);
    expect(url.pathname).toMatch(/^\/api\/subscribers\/import\/\d{18}$/);
    const report = await call<{ data: ImportReport }>('GET', url.pathname);
    expect(report.status).toBe(200);
    return report.body.data;
  }

  it('creates the subscribers in the group and reports the import, done, in the recorded shape', async () => {
    const report = await importAndReport([
      { email: 'Ann@Example.com', fields: { name: 'Ann', last_name: 'Lee' } },
      { email: 'bob@example.com' },
    ]);
    expect(Object.keys(report)).toEqual(RECORDED_REPORT_KEYS);
    expect(report).toMatchObject({
      total: 2,
      processed: 2,
      imported: 2,
      updated: 0,
      errored: 0,
      percent: 100,
      done: true,
      invalid_count: 0,
      undone_at: null,
    });
    expect(report.finished_at).toBe(new Date(clock).toISOString().replace(/\.\d{3}Z$/, '.000000Z'));

    const members = await call<MlCursorList<MlSubscriber>>('GET', `/api/groups/${group.id}/subscribers`);
    expect(members.body.data.map((s) => s.email).sort()).toEqual(['ann@example.com', 'bob@example.com']);
    const ann = await call<{ data: MlSubscriber }>('GET', '/api/subscribers/ann@example.com');
    expect(ann.body.data).toMatchObject({ status: 'active', source: 'import' });
    expect(ann.body.data.fields).toMatchObject({ name: 'Ann', last_name: 'Lee' });
    expect(ann.body.data.groups?.map((g) => g.id)).toEqual([group.id]);
    const groups = await call<MlPageList<MlGroup>>('GET', '/api/groups');
    expect(groups.body.data[0]!.active_count).toBe(2);
  });

  it('upserts by email: updated, unchanged, duplicate and invalid rows', async () => {
    await call('POST', '/api/subscribers', { email: 'same@example.com', fields: { name: 'Same' } });
    await call('POST', '/api/subscribers', { email: 'moved@example.com', fields: { name: 'M' } });
    await importAndReport([{ email: 'same@example.com', fields: { name: 'Same' } }]);
    const report = await importAndReport([
      { email: 'same@example.com', fields: { name: 'Same' } }, // in the group, nothing new
      { email: 'moved@example.com', fields: { name: 'M' } }, // joins the group
      { email: 'new@example.com', fields: { name: 'New' } },
      { email: 'NEW@example.com' },
      { email: 'not-an-email', fields: { name: 'X' } },
      {},
    ]);
    const same = (await call<{ data: MlSubscriber }>('GET', '/api/subscribers/same@example.com')).body.data;
    const moved = (await call<{ data: MlSubscriber }>('GET', '/api/subscribers/moved@example.com')).body.data;
    expect(report).toMatchObject({
      total: 6,
      processed: 6,
      imported: 1,
      updated: 1,
      errored: 2,
      changed: [{ id: moved.id, email: 'moved@example.com' }],
      unchanged: [{ id: same.id, email: 'same@example.com' }],
      duplicate_count: 1,
      invalid: [
        { id: null, email: 'not-an-email' },
        { id: null, email: '' },
      ],
      invalid_count: 2,
    });
    expect(moved.groups?.map((g) => g.id)).toEqual([group.id]);
  });

  it('serves the Python SDK path too, and lists imports newest first', async () => {
    const first = await importAndReport([{ email: 'a@example.com' }], 'subscribers/import');
    const second = await importAndReport([{ email: 'b@example.com' }]);
    const list = await call<MlPageList<ImportReport>>('GET', '/api/subscribers/import');
    expect(list.status).toBe(200);
    expect(list.body.data.map((r) => r.id)).toEqual([second.id, first.id]);
    expect(list.body.meta).toMatchObject({ per_page: 15, total: 2, current_page: 1 });
  });

  it('counts against the import limit, shared with subscriber-only batches', async () => {
    await importAndReport([{ email: 'one@example.com' }]);
    const batch = await call('POST', '/api/batch', {
      requests: [{ method: 'POST', path: 'api/subscribers', body: { email: 'two@example.com' } }],
    });
    expect(batch.status).toBe(200);
    const limited = await call('POST', `/api/groups/${group.id}/import-subscribers`, {
      subscribers: [{ email: 'three@example.com' }],
    });
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ message: "You're being rate limited on import creation." });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await call('GET', '/api/subscribers/three@example.com')).status).toBe(404);
    const stats = (await (await fetch(`${ml.url}/_admin/stats`)).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({
      imports: 2,
      importRateLimited: 1,
      writes: { byRoute: { 'POST /api/groups/{id}/import-subscribers': 1 } },
    });
    clock += 60_000;
    await importAndReport([{ email: 'three@example.com' }]);
  });

  it('answers 404 for an unknown group or import and 422 for a body without subscribers', async () => {
    const noGroup = await call<{ message: string }>('POST', '/api/groups/123/import-subscribers', {
      subscribers: [{ email: 'x@example.com' }],
    });
    expect(noGroup.status).toBe(404);
    expect(noGroup.body.message).toBe('No query results for model [App\\Models\\Group\\Group] 123');
    expect((await call('GET', '/api/subscribers/import/170000000000000999')).status).toBe(404);
    for (const [body, message] of [
      [{}, 'The subscribers field is required.'],
      [{ subscribers: [] }, 'The subscribers field is required.'],
      [{ subscribers: 'a@example.com' }, 'The subscribers must be an array.'],
    ] as const) {
      const res = await call<MlValidationError>('POST', `/api/groups/${group.id}/import-subscribers`, body);
      expect(res.status).toBe(422);
      expect(res.body.errors.subscribers).toEqual([message]);
    }
    const badRow = await call<MlValidationError>('POST', `/api/groups/${group.id}/import-subscribers`, {
      subscribers: [{ email: 'ok@example.com' }, 'row'],
    });
    expect(Object.keys(badRow.body.errors)).toEqual(['subscribers.1']);
    const stats = (await (await fetch(`${ml.url}/_admin/stats`)).json()) as { imports: number };
    expect(stats.imports).toBe(0);
  });

  it('requires the token', async () => {
    const anonymous = mailerLiteClient(ml, null);
    const res = await anonymous('POST', `/api/groups/${group.id}/import-subscribers`, {
      subscribers: [{ email: 'x@example.com' }],
    });
    expect(res.status).toBe(401);
    expect((await anonymous('GET', '/api/subscribers/import')).status).toBe(401);
  });
});
