import type { ContractContext } from './contract-context';
import { failureOf } from './contract-context';
import type { BatchItem } from './contract-driver';

/** 18 digits like a real ID, but no account will hold it. */
const UNKNOWN_ID = '999999999999999999';

/** `POST /api/batch`: per-item codes in order, 200 outside even when items fail, at most 50 items. */
export function batchContract(ctx: () => ContractContext): void {
  it('runs a mixed batch in order, with each item its own code, and succeeds when items fail', async () => {
    const { driver, created, email } = ctx();
    const existingEmail = email('batch-existing');
    const existing = await driver.upsertSubscriber({ email: existingEmail });
    created.subscriber(existingEmail, existing.id);
    const fresh = email('batch-new');
    created.subscriber(fresh);

    // Not made only of `POST api/subscribers`, so MailerLite does not count it as an import (5 a minute).
    const result = await driver.batch([
      { method: 'POST', path: 'api/subscribers', body: { email: fresh } },
      // Reads by email as the sync's write path does: percent-encoded inside the batch's path.
      { method: 'GET', path: `api/subscribers/${encodeURIComponent(email('batch-missing'))}` },
      { method: 'PUT', path: `api/subscribers/${existing.id}`, body: { fields: { name: 'Batched' } } },
      { method: 'POST', path: 'api/subscribers', body: { email: 'not-an-email' } },
      { method: 'GET', path: `api/subscribers/${encodeURIComponent(existingEmail)}` },
    ]);

    expect(result.responses.map((r) => r.code)).toEqual([201, 404, 200, 422, 200]);
    expect(result).toMatchObject({ total: 5, successful: 3, failed: 2 });
    expect(result.responses[3]?.body).toMatchObject({ errors: { email: [expect.any(String)] } });
    // The last item saw the PUT before it: the items ran in the order sent.
    const read = result.responses[4]?.body as { data?: { id?: string; fields?: unknown; groups?: unknown } };
    expect(read.data).toMatchObject({ id: existing.id, fields: { name: 'Batched' } });
    // A single read carries the subscriber's groups: the sync tells membership from them.
    expect(Array.isArray(read.data?.groups)).toBe(true);
    const createdId = (result.responses[0]?.body as { data?: { id?: string } } | undefined)?.data?.id;
    created.subscriber(fresh, createdId);
    expect((await driver.getSubscriber(fresh))?.id).toBe(createdId);
  });

  it('takes 50 requests in one batch and refuses 51', async () => {
    const { driver, created, email } = ctx();
    const address = email('batch-limit');
    const { id } = await driver.upsertSubscriber({ email: address });
    created.subscriber(address, id);
    const read: BatchItem = { method: 'GET', path: `api/subscribers/${id}` };

    const fifty = await driver.batch(Array.from({ length: 50 }, () => read));
    expect(fifty).toMatchObject({ total: 50, successful: 50, failed: 0 });
    expect(new Set(fifty.responses.map((r) => r.code))).toEqual(new Set([200]));

    // Refused by the server (422 on `requests`) or by the client before it sends anything.
    const refused = await failureOf(driver, driver.batch(Array.from({ length: 51 }, () => read)));
    const how =
      refused.kind === 'refused-by-client'
        ? `client ${refused.thrown}`
        : `${refused.status} ${Object.keys(refused.fieldErrors).join(',')}`;
    expect(['client RangeError', '422 requests']).toContain(how);
  });
}

/** Errors a caller must be able to tell apart: bad token, invalid data, missing subscriber. */
export function errorContract(ctx: () => ContractContext): void {
  it('refuses a bad token with 401 Unauthenticated, for reads and writes', async () => {
    const { badTokenDriver: bad, email } = ctx();
    // One call after the other: a second rejection left pending while awaiting the first would go unhandled.
    const calls = [
      () => bad.getSubscriber(email('auth')),
      () => bad.upsertSubscriber({ email: email('auth') }),
      () => bad.listGroups('mlc-'),
    ];
    for (const call of calls) {
      const refused = await failureOf(bad, call());
      expect({ kind: refused.kind, status: refused.status }).toEqual({ kind: 'auth', status: 401 });
      expect(refused.message).toContain('Unauthenticated.');
    }
  });

  it('refuses an invalid email with 422 and a field error on email', async () => {
    const { driver } = ctx();
    const refused = await failureOf(driver, driver.upsertSubscriber({ email: 'not-an-email' }));
    expect(refused).toMatchObject({ kind: 'validation', status: 422 });
    expect(refused.fieldErrors.email).toEqual([expect.any(String)]);
  });

  it('answers 404 for a subscriber that does not exist: nothing from a read, an error from a write', async () => {
    const { driver } = ctx();
    expect(await driver.getSubscriber(UNKNOWN_ID)).toBeUndefined();
    const notFound = { kind: 'not-found', status: 404 };
    expect(
      await failureOf(driver, driver.updateSubscriber(UNKNOWN_ID, { fields: { name: 'Nobody' } })),
    ).toMatchObject(notFound);
    expect(await failureOf(driver, driver.deleteSubscriber(UNKNOWN_ID))).toMatchObject(notFound);
  });
}
