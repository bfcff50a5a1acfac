import { expectedSync } from '../../dev/expected-sync';
import { generateDemoData, type DemoSale } from '../../dev/emulators';
import {
  withExtraPurchases,
  type ExtraCustomer,
  type ExtraPurchase,
} from '../../dev/emulators/extra-purchases';
import { startSync } from '../../src/client';
import type { SyncSummary } from '../../src/shared/sync-types';
import { fieldKey, purchaseFieldName } from '../../src/shared/campaign';
import { albums, expectEveryRecordCounted, mailerliteSubscribers, uniqueCampaign } from '../helpers/stack';
import { useIntegrationStack } from '../helpers/integration';
import { withWorker } from '../helpers/temporal';
import { recordCounts } from './support/counts';
import { HOSTILE_RECORDS, type HostileOutcome } from './support/hostile-records';
import { isPurchase } from '../../src/shared/order-status';
import { compareMailerLiteState, expectedStateOf, seedMailerLite, type ExpectedNames } from './support/state';

/** An EDD customer ID nobody has: its order is an orphan. */
const MISSING_CUSTOMER = 9_999_999;

// The test starts its stack on a data set it makes (`startStack`: closed after the test).
const { temporal, startStack } = useIntegrationStack({ stack: false });

/** One order the test put into EDD, and what must become of it. */
interface Planted {
  label: string;
  /** The email the sync must write (lower-cased, trimmed), when it must or may write it. */
  email: string;
  outcome: HostileOutcome | { kind: 'merged' };
  sale?: DemoSale;
}

describe('reliability 6: hostile records in the source', () => {
  it('writes each hostile record correctly or reports it with its reason', async () => {
    const started = Date.now();
    const base = generateDemoData({ seed: 42, customers: 600 });
    const product = albums(base)[0]!;
    const truth = expectedSync(base, product.id);

    // A valid buyer with a single order of the album, to be shadowed by a new customer whose email
    // differs from theirs only in case (their order is older, on a later page of EDD's sales).
    const orderCount = new Map<number, number>();
    for (const s of base.sales) {
      if (isPurchase(s.status) && s.products.some((p) => p.id === product.id)) {
        orderCount.set(s.customerId, (orderCount.get(s.customerId) ?? 0) + 1);
      }
    }
    const shadowed = [...truth.subscribers.values()].find(
      (p, i) => i > truth.subscribers.size / 2 && orderCount.get(p.customerId) === 1 && /[a-z]/.test(p.email),
    )!;

    const customers: ExtraCustomer[] = HOSTILE_RECORDS.map(({ email, firstName, lastName }) => ({
      email,
      firstName,
      lastName,
    }));
    const purchases: ExtraPurchase[] = HOSTILE_RECORDS.map((_, i) => ({ buyer: i, productId: product.id }));
    const planted: Planted[] = HOSTILE_RECORDS.map((r) => ({
      label: r.label,
      email: r.email.trim().toLowerCase(),
      outcome: r.outcome,
    }));
    const add = (customer: ExtraCustomer) => customers.push(customer) - 1;
    const buy = (label: string, email: string, outcome: Planted['outcome'], purchase: ExtraPurchase) => {
      purchases.push(purchase);
      planted.push({ label, email: email.toLowerCase(), outcome });
    };
    // Two customers whose emails differ only in case: one subscriber, the newer order.
    const upper = add({ email: 'CaseDup@Example.com', firstName: 'Casedup', lastName: 'Upper' });
    const lower = add({ email: 'casedup@example.com', firstName: 'Casedup', lastName: 'Lower' });
    buy(
      'case duplicate (older)',
      'casedup@example.com',
      { kind: 'merged' },
      { buyer: upper, productId: product.id },
    );
    buy(
      'case duplicate (newer)',
      'casedup@example.com',
      { kind: 'merged' },
      { buyer: lower, productId: product.id },
    );
    // A new customer shadowing an existing buyer's email in another case.
    const shadow = add({ email: shadowed.email.toUpperCase(), firstName: 'Dup', lastName: 'Ofbase' });
    buy(
      'case duplicate of an existing buyer',
      shadowed.email,
      { kind: 'merged' },
      { buyer: shadow, productId: product.id },
    );
    // One customer, two orders whose emails differ in case.
    const mixed = add({ email: 'mixed.case@example.com', firstName: 'Mixed', lastName: 'Case' });
    buy(
      'order email in upper case',
      'mixed.case@example.com',
      { kind: 'merged' },
      {
        buyer: mixed,
        productId: product.id,
        email: 'MIXED.CASE@EXAMPLE.COM',
      },
    );
    buy(
      'order email as the customer',
      'mixed.case@example.com',
      { kind: 'merged' },
      { buyer: mixed, productId: product.id },
    );
    // The same customer buying twice.
    const twice = add({ email: 'twice@example.com', firstName: 'Twice', lastName: 'Buyer' });
    buy(
      'first of two orders',
      'twice@example.com',
      { kind: 'merged' },
      { buyer: twice, productId: product.id },
    );
    buy(
      'second of two orders',
      'twice@example.com',
      { kind: 'merged' },
      { buyer: twice, productId: product.id },
    );
    // An order whose customer EDD does not have.
    buy(
      'orphan order',
      'orphan@example.com',
      { kind: 'invalid', reason: /was not found in EDD/ },
      {
        buyer: { missing: MISSING_CUSTOMER },
        productId: product.id,
        email: 'orphan@example.com',
      },
    );

    const { dataset, added } = withExtraPurchases(base, { customers, purchases });
    added.sales.forEach((sale, i) => (planted[i]!.sale = sale));
    const stack = await startStack({ dataset });

    const expected = expectedStateOf(truth);
    const seeded = await seedMailerLite(stack, expected, { exclude: [shadowed.email] });
    // The merged emails: the newest order, the names of one of the buyers (never a mix).
    const merged = new Map<string, { orderId: number; names: ExpectedNames[] }>();
    for (const p of planted) {
      if (p.outcome.kind !== 'merged') continue;
      const customer = added.customers.find((c) => c.id === p.sale!.customerId)!;
      const entry = merged.get(p.email) ?? { orderId: 0, names: [] };
      entry.orderId = Math.max(entry.orderId, p.sale!.id);
      entry.names.push({ firstName: customer.firstName, lastName: customer.lastName });
      merged.set(p.email, entry);
    }
    merged.get(shadowed.email.toLowerCase())!.names.push({
      firstName: shadowed.firstName,
      lastName: shadowed.lastName,
    });
    for (const [email, entry] of merged) expected.set(email, entry);

    const campaign = uniqueCampaign();
    const summary: SyncSummary = await withWorker(temporal, stack.activities, async (taskQueue) =>
      (
        await startSync(temporal.client, taskQueue, {
          campaign,
          productId: product.id,
          pageSize: 50,
          reportLimit: 1000,
        })
      ).result(),
    );

    // Every order of the album is accounted for, and all reports are listed.
    expect(summary).toMatchObject({
      status: 'completed',
      fetched: truth.orders + added.sales.length,
      invalidRecordsOmitted: 0,
    });
    expectEveryRecordCounted(summary);
    const invalid = new Map(summary.invalidRecords.map((r) => [r.orderId, r.reasons]));
    const failed = new Map(summary.failedRecords.map((r) => [r.orderId, [r.reason]]));
    // The demo data's own defective buyers are reported too.
    const eitherInvalid = planted.filter(
      (p) => p.outcome.kind === 'either' && invalid.has(p.sale!.id),
    ).length;
    expect(summary.invalid).toBe(
      truth.invalidOrders + planted.filter((p) => p.outcome.kind === 'invalid').length + eitherInvalid,
    );

    const problems: string[] = [];
    const outcomes: string[] = [];
    for (const p of planted) {
      const orderId = p.sale!.id;
      const reasons = invalid.get(orderId) ?? failed.get(orderId);
      const what = `${p.label} (order ${orderId})`;
      switch (p.outcome.kind) {
        case 'invalid':
          if (!reasons) problems.push(`${what}: not reported invalid`);
          else if (!reasons.some((r) => (p.outcome as { reason: RegExp }).reason.test(r))) {
            problems.push(`${what}: reported with ${JSON.stringify(reasons)}`);
          }
          outcomes.push(`${p.label}: reported (${reasons?.join('; ')})`);
          break;
        case 'write':
          if (reasons) problems.push(`${what}: reported ${JSON.stringify(reasons)}, should be written`);
          expected.set(p.email, {
            orderId,
            names: [{ firstName: p.outcome.firstName, lastName: p.outcome.lastName }],
          });
          break;
        case 'either':
          if (reasons) {
            if (reasons.join('').trim() === '') problems.push(`${what}: reported without a reason`);
            outcomes.push(`${p.label}: reported (${reasons.join('; ')})`);
          } else {
            outcomes.push(`${p.label}: written verbatim`);
            expected.set(p.email, {
              orderId,
              names: [{ firstName: p.outcome.firstName, lastName: p.outcome.lastName }],
            });
          }
          break;
        case 'merged':
          if (reasons) problems.push(`${what}: reported ${JSON.stringify(reasons)}`);
          break;
      }
    }
    expect(problems).toEqual([]);

    // MailerLite: the demo buyers, the written hostile records and the merged duplicates, record by
    // record; nothing from a reported one; consent kept.
    const compared = await compareMailerLiteState({
      stack,
      campaign,
      expected,
      seeded,
      summary,
      allowFailed: true,
    });
    const held = new Map((await mailerliteSubscribers(stack.mailerlite)).map((sub) => [sub.email, sub]));
    for (const [email, entry] of merged) {
      const sub = held.get(email);
      outcomes.push(
        `${email}: one subscriber, order ${String(sub?.fields[fieldKey(purchaseFieldName(campaign))])} of ` +
          `${entry.names.length} orders' newest ${entry.orderId}, names ${JSON.stringify([sub?.fields.name, sub?.fields.last_name])}`,
      );
    }
    process.stderr.write(`reliability 6: ${planted.length} hostile orders\n  ${outcomes.join('\n  ')}\n`);
    recordCounts({
      name: '6 hostile records',
      recordsCompared: compared,
      hostileRecords: planted.length,
      durationMs: Date.now() - started,
    });
  });
});
