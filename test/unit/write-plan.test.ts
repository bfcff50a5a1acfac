import { newestPerEmail, planWrite, type DestinationSnapshot } from '../../src/shared/subscriber-plan';
import type { ExchangeInput, ExchangeResult } from '../../src/shared/activity-io';
import { emptyCounts } from '../../src/shared/sync-types';
import { laneOf, WriteStream, type Tally } from '../../src/shared/write-stream';

const ctx = { groupId: 'g1', purchaseFieldKey: 'x_purchase' };
const record = { orderId: 500, customerId: 7, email: 'ann@example.com', firstName: 'Ann', lastName: 'Lee' };
const inSync: DestinationSnapshot = {
  email: 'ann@example.com',
  exists: true,
  status: 'active',
  fields: { name: 'Ann', last_name: 'Lee', x_purchase: '500' },
  inGroup: true,
};

describe('planWrite', () => {
  it('creates a missing subscriber as active, in the group, with the purchase field', () => {
    expect(
      planWrite(record, { email: record.email, exists: false, fields: {}, inGroup: false }, ctx),
    ).toEqual({
      kind: 'create',
      upsert: {
        email: 'ann@example.com',
        fields: { name: 'Ann', last_name: 'Lee', x_purchase: 500 },
        groups: ['g1'],
        status: 'active',
      },
    });
  });

  it('writes nothing when the destination already matches', () => {
    expect(planWrite(record, inSync, ctx)).toEqual({ kind: 'unchanged' });
  });

  it.each(['unsubscribed', 'bounced', 'junk'])('never writes to a subscriber who is %s', (status) => {
    expect(planWrite({ ...record, firstName: 'Other' }, { ...inSync, status, inGroup: false }, ctx)).toEqual({
      kind: 'skipped',
      reason: `subscriber is ${status} in MailerLite: not rewritten (consent)`,
    });
  });

  it('in update-only mode never creates, but still updates', () => {
    const absent = { email: record.email, exists: false, fields: {}, inGroup: false };
    expect(planWrite(record, absent, { ...ctx, mode: 'update-only' })).toEqual({
      kind: 'skipped',
      reason: 'not in MailerLite, and the sync is update-only: not created',
    });
    const renamed = planWrite({ ...record, firstName: 'Anne' }, inSync, { ...ctx, mode: 'update-only' });
    expect(renamed.kind).toBe('update');
  });

  it('updates an existing subscriber without sending a status', () => {
    const plan = planWrite(record, { ...inSync, status: 'unconfirmed', inGroup: false }, ctx);
    expect(plan.kind).toBe('update');
    expect(plan.kind === 'update' && plan.upsert).toEqual({
      email: 'ann@example.com',
      fields: { name: 'Ann', last_name: 'Lee', x_purchase: 500 },
      groups: ['g1'],
    });
  });

  it('never lowers the purchase field to an older order', () => {
    const newer = { ...inSync, fields: { ...inSync.fields, x_purchase: '900' } };
    expect(planWrite(record, newer, ctx)).toEqual({ kind: 'superseded' });
  });

  it("keeps the newer order's names: an older order of another customer (email differing in case) changes no field", () => {
    // MailerLite holds order 900 of Ann Lee; order 500 is another EDD customer, ANN@example.com.
    const newer = { ...inSync, fields: { ...inSync.fields, x_purchase: '900' } };
    const other = { ...record, email: 'ANN@example.com', firstName: 'Annette', lastName: 'Leigh' };
    expect(planWrite(other, newer, ctx)).toEqual({ kind: 'superseded' });
    // Out of the purchase group: put back, with no field sent.
    expect(planWrite(other, { ...newer, inGroup: false }, ctx)).toEqual({
      kind: 'update',
      upsert: { email: 'ANN@example.com', fields: {}, groups: ['g1'] },
    });
  });
});

describe('newestPerEmail', () => {
  it('keeps the newest order per email, ignoring case, and counts the rest', () => {
    const { latest, superseded } = newestPerEmail([
      record,
      { ...record, orderId: 700, email: 'ANN@example.com' },
      { ...record, email: 'bob@example.com', orderId: 600 },
    ]);
    expect(latest.map((r) => r.orderId)).toEqual([700, 600]);
    expect(superseded).toBe(1);
  });
});

describe('WriteStream', () => {
  /** A destination in memory standing in for the exchange activity: this tests the batching logic only. */
  function destination(existing: Record<string, DestinationSnapshot> = {}) {
    const batches: ExchangeInput[] = [];
    const exchange = async (input: ExchangeInput): Promise<ExchangeResult> => {
      batches.push(input);
      await new Promise((r) => setImmediate(r));
      const writes = input.writes.map((w) => {
        if (w.email.startsWith('reject')) return { ok: false as const, reason: 'HTTP 422 email: bad' };
        const created = !existing[w.email];
        existing[w.email] = {
          email: w.email,
          exists: true,
          status: 'active',
          fields: Object.fromEntries(Object.entries(w.fields).map(([k, v]) => [k, String(v)])),
          inGroup: true,
        };
        return { ok: true as const, created };
      });
      const reads = input.reads.map(
        (email) => existing[email] ?? { email, exists: false, fields: {}, inGroup: false },
      );
      return { writes, reads };
    };
    return { batches, exchange, existing };
  }

  /** Outside a workflow, `condition` is a poll. */
  const waitFor = async (predicate: () => boolean) => {
    while (!predicate()) await new Promise((r) => setImmediate(r));
  };

  const records = (n: number, prefix = 'p') =>
    Array.from({ length: n }, (_, i) => ({
      ...record,
      orderId: 1000 + i,
      email: `${prefix}${i}@example.com`,
    }));

  async function run(
    pages: (typeof record)[][],
    existing?: Record<string, DestinationSnapshot>,
    lanes = 2,
    dryRun = false,
  ) {
    const dest = destination(existing);
    const tally: Tally = {
      counts: emptyCounts(),
      failures: [],
      skips: [],
      samples: { created: [], updated: [] },
      reportLimit: 1,
      entries: [],
    };
    const stream = new WriteStream(
      {
        ...ctx,
        fieldKeys: ['name', 'last_name', 'x_purchase'],
        lanes,
        dryRun,
        sampleSize: 3,
        maxQueued: 100,
        exchange: dest.exchange,
        waitFor,
      },
      tally,
    );
    const feeding = (async () => {
      for (const page of pages) await stream.push(page);
      stream.close();
    })();
    await Promise.all([feeding, stream.run()]);
    return { ...dest, tally };
  }

  it('fills batches up to 50 items, keeps a read in every batch, and writes each record once', async () => {
    const all = records(500);
    const { batches, tally } = await run(
      [all.slice(0, 200), all.slice(200, 400), all.slice(400)],
      undefined,
      1,
    );
    expect(tally.counts.created).toBe(500);
    for (const b of batches) {
      expect(b.writes.length + b.reads.length).toBeLessThanOrEqual(50);
      expect(b.writes.length).toBeLessThanOrEqual(49);
    }
    // 500 reads + 500 writes in batches of at most 50 items: close to the 20-batch minimum.
    expect(batches.length).toBeLessThanOrEqual(23);
    const written = batches.flatMap((b) => b.writes.map((w) => w.email));
    expect(new Set(written).size).toBe(500);
  });

  it('reads only when nothing changed, and reports refusals with their reason', async () => {
    const existing: Record<string, DestinationSnapshot> = {};
    for (const r of records(100)) {
      existing[r.email] = {
        email: r.email,
        exists: true,
        status: 'active',
        fields: { name: 'Ann', last_name: 'Lee', x_purchase: String(r.orderId) },
        inGroup: true,
      };
    }
    const { batches, tally } = await run([[...records(100), ...records(3, 'reject')]], existing);
    expect(tally.counts).toMatchObject({ unchanged: 100, created: 0, failed: 3 });
    expect(tally.failures).toHaveLength(1); // the report limit
    expect(tally.failures[0]!.email).toMatch(/^reject\d@/);
    expect(tally.failures[0]!.reason).toBe('HTTP 422 email: bad');
    expect(batches.reduce((n, b) => n + b.writes.length, 0)).toBe(3);
  });

  it('keeps the newest order when one buyer appears on several pages', async () => {
    const older = { ...record, orderId: 10 };
    const newer = { ...record, orderId: 20 };
    const { existing, tally } = await run([[newer], records(120), [older], [{ ...record, orderId: 5 }]]);
    expect(existing[record.email]!.fields.x_purchase).toBe('20');
    expect(tally.counts.created).toBe(121);
    expect(tally.counts.superseded).toBe(2);
  });

  it('in a dry run reads everything, writes nothing, and samples what it would write', async () => {
    const { batches, tally } = await run([records(120)], undefined, 2, true);
    expect(batches.every((b) => b.writes.length === 0)).toBe(true);
    expect(batches.reduce((n, b) => n + b.reads.length, 0)).toBe(120);
    expect(tally.counts.created).toBe(120);
    expect(tally.samples.created).toHaveLength(3);
    expect(tally.samples.created[0]).toMatchObject({ fields: { name: 'Ann', last_name: 'Lee' } });
  });

  it('puts an email in the same lane whatever its case', () => {
    expect(laneOf('Ann@Example.com', 4)).toBe(laneOf('ann@example.com', 4));
    const spread = new Set(records(50).map((r) => laneOf(r.email, 4)));
    expect(spread.size).toBe(4);
  });

  it('gives every email the lane it had before (runs in flight replay the same writes)', () => {
    // The first implementation, over the string iterator's code points.
    const before = (email: string, lanes: number) => {
      let hash = 0x811c9dc5;
      for (const ch of email.toLowerCase()) {
        hash ^= ch.codePointAt(0)!;
        hash = Math.imul(hash, 0x01000193) >>> 0;
      }
      return hash % lanes;
    };
    const emails = [
      ...records(200).map((r) => r.email),
      'zoë@example.com',
      'ÅSA@EXAMPLE.SE',
      '用户@例子.中国',
      'rock🎸star@example.com',
      '🎸🎸@example.com',
      'half\ud800@example.com',
      'low\udc00first@example.com',
      '',
    ];
    for (const lanes of [1, 3, 4, 8])
      for (const email of emails)
        expect([email, laneOf(email, lanes)]).toEqual([email, before(email, lanes)]);
  });
});
