import { randomBytes } from 'node:crypto';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { temporal as proto } from '@temporalio/proto';
import { runCli, SyncAlreadyRunningError, startSync } from '../../src/client';
import { EXIT } from '../../src/client/errors';
import { formatTransitionSummary } from '../../src/client/format';
import { failureMessage } from '../../src/client/sync-status';
import {
  lockRefusal,
  startTransition,
  TransitionAlreadyRunningError,
  type TransitionHandle,
} from '../../src/client/transition';
import type { Activities } from '../../src/activities';
import { MailerLiteClient } from '../../src/providers';
import { DEFAULT_TIERS, tierGroupName } from '../../src/shared/campaign';
import { DEMO_EDD_PUBLIC_KEY } from '../../dev/emulators';
import {
  mailerliteTaskQueue,
  syncWorkflowId,
  transitionWorkflowId,
  WORKFLOW_TYPES,
} from '../../src/shared/names';
import type {
  TransitionInput,
  TransitionProgress,
  TransitionSummary,
} from '../../src/shared/transition-types';
import { uniqueTaskQueue, withWorker } from '../helpers/temporal';
import { mailerliteSubscribers, startStack, uniqueCampaign, type Stack } from '../helpers/stack';
import { useIntegrationStack } from '../helpers/integration';

// Each describe block has its stack (`useStack`).
const { temporal, useStack } = useIntegrationStack({ stack: false });

function mailerliteClient(stack: Stack): MailerLiteClient {
  return new MailerLiteClient({
    credentials: { baseUrl: `${stack.mailerlite.url}/api`, apiToken: stack.mailerliteToken },
    timeoutMs: 10_000,
  });
}

/** Creates a campaign's tier groups and purchase field, as a sync would; answers group IDs by tier. */
async function provision(stack: Stack, campaign: string) {
  const resources = await stack.activities.ensureCampaignResources({
    campaign,
    tiers: [...DEFAULT_TIERS],
    purchaseTier: 'Bronze Purchase',
  });
  return resources;
}

/** Complete orders of distinct, valid customers in the demo store. */
function orders(stack: Stack, count: number) {
  const valid = new Set(stack.dataset.customers.filter((c) => c.defects.length === 0).map((c) => c.id));
  const seen = new Set<string>();
  const picked = [];
  for (const sale of stack.dataset.sales) {
    const email = sale.email.toLowerCase();
    if (sale.status !== 'complete' || !valid.has(sale.customerId) || seen.has(email)) continue;
    seen.add(email);
    picked.push(sale);
    if (picked.length === count) return picked;
  }
  throw new Error('not enough orders in the demo data');
}

/** An order's number as EDD's API shows it (`sales?id=` takes the database ID): `EDD-7` with sequential numbers. */
async function orderNumber(stack: Stack, id: number): Promise<string> {
  const url = new URL(`${stack.edd.url}/edd-api/v2/sales`);
  url.searchParams.set('key', DEMO_EDD_PUBLIC_KEY);
  url.searchParams.set('token', stack.edd.token);
  url.searchParams.set('id', String(id));
  const res = await fetch(url);
  if (!res.ok) throw new Error(`GET sales?id=${id}: HTTP ${res.status}`);
  const body = (await res.json()) as { sales?: { ID: string | number }[] };
  const sale = body.sales?.[0];
  if (!sale) throw new Error(`EDD has no order with ID ${id}`);
  return String(sale.ID);
}

/** Changes an order's status in the EDD emulator (a refund, a hold, ...), by its database ID. */
async function setOrderStatus(stack: Stack, id: number, status: string): Promise<void> {
  const res = await fetch(`${stack.edd.url}/_admin/orders/${id}/status`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ status }),
  });
  if (!res.ok) throw new Error(`POST /_admin/orders/${id}/status: HTTP ${res.status} ${await res.text()}`);
}

async function adminJson(stack: Stack, path: string): Promise<unknown> {
  const res = await fetch(`${stack.mailerlite.url}${path}`);
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return res.json();
}

async function writesSoFar(stack: Stack): Promise<number> {
  return ((await adminJson(stack, '/_admin/stats')) as { writes: { total: number } }).writes.total;
}

/** Group names of every subscriber, by lower-cased email, limited to the two campaigns' groups. */
async function membership(stack: Stack, campaigns: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const s of await mailerliteSubscribers(stack.mailerlite)) {
    const names = s.groups
      .map((g) => g.name)
      .filter((n) => campaigns.some((c) => n.startsWith(`${c}_`)))
      .sort();
    out.set(s.email.toLowerCase(), names);
  }
  return out;
}

/** The status of a campaign's lock run (its sync workflow ID), or NONE. */
async function lockStatus(campaign: string): Promise<{ status: string; type?: string }> {
  try {
    const d = await temporal.client.workflow.getHandle(syncWorkflowId(campaign)).describe();
    return { status: d.status.name, type: d.type };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { status: 'NONE' };
    throw err;
  }
}

/** Waits until a workflow's history holds an event that `has` accepts. */
async function waitForEvent(
  workflowId: string,
  has: (event: proto.api.history.v1.IHistoryEvent) => boolean,
): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const history = await temporal.client.workflow.getHandle(workflowId).fetchHistory();
    if (history.events?.some(has)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no such event in the history of ${workflowId}`);
}

async function runTransition(taskQueue: string, input: TransitionInput): Promise<TransitionSummary> {
  const handle = await startTransition(temporal.client, taskQueue, input);
  return handle.result();
}

describe('transition against the emulators', () => {
  const stack = useStack({ customers: 200 });
  let src: string;
  let dst: string;
  let taskQueue: string;
  /** What each seeded subscriber's groups (of the two campaigns) must be after the transition. */
  const expected = new Map<string, string[]>();
  const before = new Map<string, string[]>();

  beforeAll(async () => {
    src = uniqueCampaign();
    dst = uniqueCampaign();
    taskQueue = uniqueTaskQueue('transition');
    const s = await provision(stack, src);
    const d = await provision(stack, dst);
    const ml = mailerliteClient(stack);
    const [a, b, c, dd, e, f, g, h, i] = orders(stack, 9);
    const tag = randomBytes(3).toString('hex');
    const fresh = (name: string) => `${name}-${tag}@example.org`;
    const S = (tier: string) => tierGroupName(src, tier);
    const D = (tier: string) => tierGroupName(dst, tier);
    const seeds: {
      email: string;
      tier: string;
      purchase?: number;
      status?: string;
      inDestination?: string;
      /** The destination tier the member must end up in, if moved. */
      to?: string;
    }[] = [
      // Opt-In: Gold with a verified purchase (email in another case), else Bronze.
      { email: a!.email.toUpperCase(), tier: 'Opt-In', purchase: a!.id, to: 'Gold' },
      { email: fresh('optin-plain'), tier: 'Opt-In', to: 'Bronze' },
      { email: fresh('optin-mismatch'), tier: 'Opt-In', purchase: b!.id, to: 'Bronze' },
      { email: c!.email, tier: 'Opt-In', purchase: c!.id, status: 'unsubscribed' },
      { email: fresh('optin-already'), tier: 'Opt-In', inDestination: 'Bronze' },
      // Bronze: Silver only with a verified purchase.
      { email: dd!.email, tier: 'Bronze', purchase: dd!.id, to: 'Silver' },
      { email: fresh('bronze-missing-order'), tier: 'Bronze', purchase: 987_654_321 },
      { email: fresh('bronze-mismatch'), tier: 'Bronze', purchase: a!.id },
      { email: fresh('bronze-none'), tier: 'Bronze' },
      { email: e!.email, tier: 'Bronze', purchase: e!.id, status: 'bounced' },
      { email: f!.email, tier: 'Bronze', purchase: f!.id, inDestination: 'Silver' },
      // Silver: Gold with a verified purchase.
      { email: g!.email, tier: 'Silver', purchase: g!.id, to: 'Gold' },
      { email: h!.email, tier: 'Silver', purchase: h!.id, status: 'junk' },
      // Gold stays Gold.
      { email: fresh('gold'), tier: 'Gold', to: 'Gold' },
      { email: fresh('gold-already'), tier: 'Gold', inDestination: 'Gold' },
      // No rule for Wood: never read.
      { email: fresh('wood'), tier: 'Wood', purchase: i!.id },
    ];
    for (const seed of seeds) {
      const groups = [s.groupIds[seed.tier]!];
      if (seed.inDestination) groups.push(d.groupIds[seed.inDestination]!);
      await ml.upsertSubscriber({
        email: seed.email,
        fields: seed.purchase ? { [s.purchaseFieldKey]: seed.purchase } : {},
        groups,
        status: seed.status ?? 'active',
      });
      const start = [S(seed.tier), ...(seed.inDestination ? [D(seed.inDestination)] : [])].sort();
      before.set(seed.email.toLowerCase(), start);
      expected.set(seed.email.toLowerCase(), [...start, ...(seed.to ? [D(seed.to)] : [])].sort());
    }
  });

  const input = (): TransitionInput => ({ source: src, destination: dst, pageSize: 2 });

  it('a dry run computes every decision and leaves MailerLite untouched', async () => {
    const state = await adminJson(stack, '/_admin/state');
    const writes = await writesSoFar(stack);
    const summary = await withWorker(
      temporal,
      stack.activities,
      (tq) => runTransition(tq, { ...input(), dryRun: true }),
      taskQueue,
    );
    expect(summary.dryRun).toBe(true);
    expect(summary.totals).toEqual({
      members: 15,
      moved: 6,
      unchanged: 3,
      notEligible: 3,
      skippedConsent: 3,
      failed: 0,
      notEligibleReasons: {
        noPurchase: 1,
        orderNotFound: 1,
        emailMismatch: 1,
        orderOnHold: 0,
        orderNotAPurchase: 0,
      },
    });
    expect(summary.resourcesToCreate).toEqual([]);
    expect(summary.movedRecords).toHaveLength(6);
    expect(await adminJson(stack, '/_admin/state')).toEqual(state);
    expect(await writesSoFar(stack)).toBe(writes);
    expect(await membership(stack, [src, dst])).toEqual(before);
  });

  it('moves exactly the eligible subscribers, by the first matching rule of their tier', async () => {
    const summary = await withWorker(
      temporal,
      stack.activities,
      (tq) => runTransition(tq, input()),
      taskQueue,
    );
    expect(summary).toMatchObject({ source: src, destination: dst, status: 'completed', dryRun: false });
    expect(summary.totals).toEqual({
      members: 15,
      moved: 6,
      unchanged: 3,
      notEligible: 3,
      skippedConsent: 3,
      failed: 0,
      notEligibleReasons: {
        noPurchase: 1,
        orderNotFound: 1,
        emailMismatch: 1,
        orderOnHold: 0,
        orderNotAPurchase: 0,
      },
    });
    expect(summary.rules.map((r) => [r.moved, r.unchanged, r.failed])).toEqual([
      [1, 0, 0], // Opt-In → Gold if purchased
      [2, 1, 0], // Opt-In → Bronze
      [1, 1, 0], // Bronze → Silver if purchased
      [1, 0, 0], // Silver → Gold if purchased
      [1, 1, 0], // Gold → Gold
    ]);
    // Pages are requests: each status's members are read in turn (pages of 2), an empty status
    // costing one, e.g. Opt-In: 4 active (2 pages), 1 unsubscribed (1), no unconfirmed, bounced, junk (3).
    expect(summary.tiers.map((t) => [t.tier, t.members, t.moved, t.pages])).toEqual([
      ['Opt-In', 5, 3, 6],
      ['Bronze', 6, 1, 7],
      ['Silver', 2, 1, 5],
      ['Gold', 2, 1, 5],
    ]);
    expect(summary.notEligibleRecords.map((r) => r.reason).sort()).toEqual([
      expect.stringMatching(/^no purchase: the purchase field is empty$/),
      expect.stringMatching(/^order \d+ in EDD was placed with another email address$/),
      expect.stringMatching(/^order 987654321 was not found in EDD: no order of the subscriber's email/),
    ]);
    expect(summary.skippedRecords.map((r) => r.reason).sort()).toEqual([
      'subscriber is bounced: not moved (consent)',
      'subscriber is junk: not moved (consent)',
      'subscriber is unsubscribed: not moved (consent)',
    ]);

    // Member by member: the seeded subscribers are exactly where they must be, and nobody else
    // is in the destination's groups.
    const after = await membership(stack, [src, dst]);
    for (const [email, groups] of expected) expect([email, after.get(email)]).toEqual([email, groups]);
    for (const [email, groups] of after) {
      if (!expected.has(email)) expect([email, groups]).toEqual([email, []]);
    }

    // Its preparation made its MailerLite requests within the budget: the connection check and a
    // turn per provisioning request on the rate-limited queue, nothing on the main queue.
    const history = await temporal.client.workflow.getHandle(transitionWorkflowId(src, dst)).fetchHistory();
    const scheduled = (history.events ?? []).flatMap((e) => {
      const a = e.activityTaskScheduledEventAttributes;
      return a
        ? [
            `${a.activityType?.name} on ${a.taskQueue?.name === mailerliteTaskQueue(taskQueue) ? 'mailerlite' : 'main'}`,
          ]
        : [];
    });
    expect(scheduled.filter((s) => s.startsWith('checkMailerLite'))).toEqual([
      'checkMailerLiteConnection on mailerlite',
    ]);
    expect(scheduled).not.toContain('checkConnections on main');
    // Two look-ups for each campaign, at least (more when the destination's groups were created).
    expect(scheduled.filter((s) => s === 'mailerliteTurn on mailerlite').length).toBeGreaterThanOrEqual(4);
  });

  it('a re-run writes nothing: every moved member is unchanged now', async () => {
    const state = await adminJson(stack, '/_admin/state');
    const writes = await writesSoFar(stack);
    const summary = await withWorker(
      temporal,
      stack.activities,
      (tq) => runTransition(tq, input()),
      taskQueue,
    );
    expect(summary.totals).toMatchObject({
      members: 15,
      moved: 0,
      unchanged: 9,
      notEligible: 3,
      skippedConsent: 3,
    });
    expect(await writesSoFar(stack)).toBe(writes);
    expect(await adminJson(stack, '/_admin/state')).toEqual(state);
  });

  it('released both locks when it ended', async () => {
    for (const campaign of [src, dst]) {
      expect(await lockStatus(campaign)).toEqual({ status: 'COMPLETED', type: WORKFLOW_TYPES.campaignLock });
    }
  });

  it('runs from the CLI: transition run --dry-run --wait --json prints the summary', async () => {
    const out: string[] = [];
    const code = await withWorker(
      temporal,
      stack.activities,
      (tq) =>
        runCli(
          ['transition', 'run', src, dst, '--dry-run', '--wait', '--json'],
          { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: tq },
          { out: (l) => out.push(l), err: (l) => out.push(l) },
        ),
      taskQueue,
    );
    expect(code).toBe(EXIT.ok);
    expect(out[0]).toMatch(
      new RegExp(`^Started transition ${src} → ${dst} \\(dry run\\): workflow campaign-transition-`),
    );
    const summary = JSON.parse(out[out.length - 1]!) as TransitionSummary;
    expect(summary).toMatchObject({ dryRun: true, totals: { moved: 0, unchanged: 9 } });
    const text = formatTransitionSummary(summary);
    expect(text).toMatch(/^DRY RUN: nothing was written/);
    expect(text).toMatch(
      /not eligible\s+3 \(no purchase 1, order not found 1, email mismatch 1, order not a purchase 0, order on hold 0: waiting, not moved\)/,
    );
    expect(text).toMatch(/0\. Opt-In → Gold if purchased: moved 0, unchanged 1, failed 0/);
  });
});

describe('transition on a store with sequential order numbers', () => {
  const stack = useStack({
    customers: 200,
    eddOrderNumbers: { prefix: 'EDD-', postfix: '', start: 1 },
    env: { EDD_ORDER_NUMBER_PREFIX: 'EDD-' },
  });

  it('finds real buyers by email and the number’s n, not by sales?id=', async () => {
    const src = uniqueCampaign();
    const dst = uniqueCampaign();
    const s = await provision(stack, src);
    const ml = mailerliteClient(stack);
    const [a, b, c, d, e, f] = orders(stack, 6);
    // The purchase field holds the n of the order's number: 7 for EDD-7.
    const n = async (sale: { id: number }) => {
      const number = await orderNumber(stack, sale.id);
      const match = /^EDD-(\d+)$/.exec(number);
      if (!match) throw new Error(`order ${sale.id} has number ${number}, not EDD-<n>`);
      return Number(match[1]);
    };
    const na = await n(a!);
    // The store's numbers are not its IDs (so `sales?id=<n>` finds another order or none) ...
    expect(na).not.toBe(a!.id);
    // ... and a database ID is no n here: the orders are numbered 1 to the number of orders.
    expect(d!.id).toBeGreaterThan(stack.dataset.sales.length);
    await setOrderStatus(stack, e!.id, 'revoked');
    await setOrderStatus(stack, f!.id, 'refunded');
    const seeds = [
      { email: a!.email, tier: 'Opt-In', purchase: na },
      { email: b!.email, tier: 'Bronze', purchase: await n(b!) },
      { email: c!.email.toUpperCase(), tier: 'Silver', purchase: await n(c!) },
      // The database ID, which a purchase field on such a store never holds.
      { email: d!.email, tier: 'Bronze', purchase: d!.id },
      // Revoked: still listed with the email's orders, so its status is named.
      { email: e!.email, tier: 'Bronze', purchase: await n(e!) },
      // Fully refunded: EDD lists it with nobody's orders, and its n is no ID: not found.
      { email: f!.email, tier: 'Bronze', purchase: await n(f!) },
    ];
    for (const seed of seeds) {
      await ml.upsertSubscriber({
        email: seed.email,
        fields: { [s.purchaseFieldKey]: seed.purchase },
        groups: [s.groupIds[seed.tier]!],
      });
    }
    const summary = await withWorker(temporal, stack.activities, (tq) =>
      runTransition(tq, { source: src, destination: dst }),
    );
    expect(summary.totals).toEqual({
      members: 6,
      moved: 3,
      unchanged: 0,
      notEligible: 3,
      skippedConsent: 0,
      failed: 0,
      notEligibleReasons: {
        noPurchase: 0,
        orderNotFound: 2,
        emailMismatch: 0,
        orderOnHold: 0,
        orderNotAPurchase: 1,
      },
    });
    const reasons = new Map(summary.notEligibleRecords.map((r) => [r.email.toLowerCase(), r.reason]));
    expect(reasons.get(d!.email.toLowerCase())).toMatch(new RegExp(`^order ${d!.id} was not found in EDD`));
    expect(reasons.get(e!.email.toLowerCase())).toBe(
      `order EDD-${await n(e!)} has status 'revoked' in EDD: not a purchase (only complete and partially refunded orders count)`,
    );
    expect(reasons.get(f!.email.toLowerCase())).toMatch(/^order \d+ was not found in EDD/);
    const after = await membership(stack, [src, dst]);
    expect(after.get(a!.email.toLowerCase())).toEqual(
      [tierGroupName(src, 'Opt-In'), tierGroupName(dst, 'Gold')].sort(),
    );
    expect(after.get(b!.email.toLowerCase())).toEqual(
      [tierGroupName(src, 'Bronze'), tierGroupName(dst, 'Silver')].sort(),
    );
    expect(after.get(c!.email.toLowerCase())).toEqual(
      [tierGroupName(src, 'Silver'), tierGroupName(dst, 'Gold')].sort(),
    );
    for (const x of [d!, e!, f!])
      expect(after.get(x.email.toLowerCase())).toEqual([tierGroupName(src, 'Bronze')]);
  });
});

describe('order statuses in transitions', () => {
  const stack = useStack({ customers: 200 });

  it('admits complete and partially refunded orders, not revoked, refunded or pending ones; an order on hold waits', async () => {
    const src = uniqueCampaign();
    const dst = uniqueCampaign();
    const s = await provision(stack, src);
    const ml = mailerliteClient(stack);
    const picked = orders(stack, 8);
    const [complete, partial, refunded, revoked, pending, held, heldOptIn, refundedOptIn] = picked;
    const seeds: { sale: (typeof picked)[number]; tier: string; status: string }[] = [
      { sale: complete!, tier: 'Bronze', status: 'complete' },
      { sale: partial!, tier: 'Bronze', status: 'partially_refunded' },
      { sale: refunded!, tier: 'Bronze', status: 'refunded' },
      { sale: revoked!, tier: 'Bronze', status: 'revoked' },
      { sale: pending!, tier: 'Bronze', status: 'pending' },
      { sale: held!, tier: 'Bronze', status: 'on_hold' },
      { sale: heldOptIn!, tier: 'Opt-In', status: 'on_hold' },
      { sale: refundedOptIn!, tier: 'Opt-In', status: 'refunded' },
    ];
    for (const seed of seeds) {
      if (seed.status !== 'complete') await setOrderStatus(stack, seed.sale.id, seed.status);
      await ml.upsertSubscriber({
        email: seed.sale.email,
        fields: { [s.purchaseFieldKey]: seed.sale.id },
        groups: [s.groupIds[seed.tier]!],
      });
    }
    const input: TransitionInput = { source: src, destination: dst, removeFromSource: true };
    const summary = await withWorker(temporal, stack.activities, (tq) => runTransition(tq, input));
    expect(summary.totals).toEqual({
      members: 8,
      moved: 3,
      unchanged: 0,
      notEligible: 5,
      skippedConsent: 0,
      failed: 0,
      notEligibleReasons: {
        noPurchase: 0,
        orderNotFound: 0,
        emailMismatch: 0,
        orderOnHold: 2,
        orderNotAPurchase: 3,
      },
    });
    const reasonOf = (sale: { email: string }) =>
      summary.notEligibleRecords.find((r) => r.email.toLowerCase() === sale.email.toLowerCase())?.reason;
    for (const [sale, status] of [
      [refunded!, 'refunded'],
      [revoked!, 'revoked'],
      [pending!, 'pending'],
    ] as const) {
      expect(reasonOf(sale)).toBe(
        `order ${sale.id} has status '${status}' in EDD: not a purchase (only complete and partially refunded orders count)`,
      );
    }
    for (const sale of [held!, heldOptIn!]) {
      expect(reasonOf(sale)).toBe(
        `order ${sale.id} is on hold in EDD (status 'on_hold'): not moved until the hold is resolved`,
      );
    }
    const text = formatTransitionSummary(summary);
    expect(text).toMatch(
      /not eligible\s+5 \(no purchase 0, order not found 0, email mismatch 0, order not a purchase 3, order on hold 2: waiting, not moved\)/,
    );

    const S = (tier: string) => tierGroupName(src, tier);
    const D = (tier: string) => tierGroupName(dst, tier);
    const where = async () => {
      const after = await membership(stack, [src, dst]);
      return new Map(
        seeds.map((seed) => [seed.status + ':' + seed.tier, after.get(seed.sale.email.toLowerCase())]),
      );
    };
    // Moved members left the source group (removeFromSource); the others stay where they were,
    // members waiting on a hold included: nothing took them out of the source group.
    expect(await where()).toEqual(
      new Map([
        ['complete:Bronze', [D('Silver')]],
        ['partially_refunded:Bronze', [D('Silver')]],
        ['refunded:Bronze', [S('Bronze')]],
        ['revoked:Bronze', [S('Bronze')]],
        ['pending:Bronze', [S('Bronze')]],
        ['on_hold:Bronze', [S('Bronze')]],
        // Waiting: not sent to Bronze by the rule that needs no purchase.
        ['on_hold:Opt-In', [S('Opt-In')]],
        // Not a purchase is no purchase: Bronze.
        ['refunded:Opt-In', [D('Bronze')]],
      ]),
    );

    // The holds are resolved: the waiting members move, as buyers, the next time.
    await setOrderStatus(stack, held!.id, 'complete');
    await setOrderStatus(stack, heldOptIn!.id, 'complete');
    const next = await withWorker(temporal, stack.activities, (tq) => runTransition(tq, input));
    expect(next.totals).toMatchObject({ members: 5, moved: 2, notEligible: 3 });
    const later = await where();
    expect(later.get('on_hold:Bronze')).toEqual([D('Silver')]);
    expect(later.get('on_hold:Opt-In')).toEqual([D('Gold')]);
  });
});

describe('transition locks', () => {
  const stack = useStack({ customers: 100, per: 'test' });

  it('fails fast with a lock error while a sync of either campaign runs, holding nothing after', async () => {
    const src = uniqueCampaign();
    const dst = uniqueCampaign();
    for (const locked of [src, dst]) {
      // No worker polls this queue: the sync stays open, holding the campaign's lock.
      const sync = await startSync(temporal.client, uniqueTaskQueue('idle'), { campaign: locked });
      try {
        // The CLI refuses at once (exit 3) ...
        const err: string[] = [];
        const code = await runCli(
          ['transition', 'run', src, dst],
          { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: uniqueTaskQueue('cli') },
          { out: () => undefined, err: (l) => err.push(l) },
        );
        expect(code).toBe(EXIT.locked);
        expect(err.join('\n')).toMatch(new RegExp(`Refused: Campaign ${locked} is already syncing`));

        // ... and the workflow itself fails fast with CampaignLockedError, not retried.
        const started = Date.now();
        const failure = await withWorker(temporal, stack.activities, async (tq) => {
          const handle = await startTransition(
            temporal.client,
            tq,
            { source: src, destination: dst },
            {
              checkLocks: false,
            },
          );
          return handle.result().then(
            () => undefined,
            (e: unknown) => e,
          );
        });
        expect(failure).toBeInstanceOf(WorkflowFailedError);
        expect(lockRefusal(failure)).toMatch(new RegExp(`Campaign ${locked} is locked`));
        expect(Date.now() - started).toBeLessThan(30_000);
        // The other campaign's lock, if taken first, was given back.
        const other = locked === src ? dst : src;
        expect((await lockStatus(other)).status).not.toBe('RUNNING');
      } finally {
        await sync.terminate('test: release the lock');
      }
    }
  });

  it('while it holds the locks, a sync of either campaign is refused; afterwards both are free', async () => {
    const src = uniqueCampaign();
    const dst = uniqueCampaign();
    const s = await provision(stack, src);
    const ml = mailerliteClient(stack);
    await ml.upsertSubscriber({
      email: `held-${randomBytes(3).toString('hex')}@example.org`,
      groups: [s.groupIds['Gold']!],
    });

    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const listing = new Promise<void>((resolve) => (reached = resolve));
    const activities: Activities = {
      ...stack.activities,
      listTransitionMembers: async (i) => {
        reached();
        await gate;
        return stack.activities.listTransitionMembers(i);
      },
    };
    const summary = await withWorker(temporal, activities, async (tq) => {
      const handle: TransitionHandle = await startTransition(temporal.client, tq, {
        source: src,
        destination: dst,
        rules: [{ current_tier: 'Gold', next_tier: 'Gold', requires_purchase: false }],
      });
      try {
        await listing;
        const progress = await handle.query<TransitionProgress>('progress');
        expect(progress).toMatchObject({ phase: 'moving', tiersDone: 0, tiersTotal: 1 });
        expect(progress.currentTier?.workflowId).toBe(`${transitionWorkflowId(src, dst)}-tier-GOLD`);
        for (const campaign of [src, dst]) {
          const refused = await startSync(temporal.client, tq, { campaign }).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(refused).toBeInstanceOf(SyncAlreadyRunningError);
          expect((refused as SyncAlreadyRunningError).holderType).toBe(WORKFLOW_TYPES.campaignLock);
          expect((refused as Error).message).toMatch(
            new RegExp(`Campaign ${campaign} is locked by transition:${transitionWorkflowId(src, dst)}`),
          );
        }
        await expect(
          startTransition(temporal.client, tq, { source: src, destination: dst }, { checkLocks: false }),
        ).rejects.toBeInstanceOf(TransitionAlreadyRunningError);
      } finally {
        release();
      }
      return handle.result();
    });
    expect(summary.totals).toMatchObject({ members: 1, moved: 1 });
    for (const campaign of [src, dst]) {
      expect(await lockStatus(campaign)).toEqual({ status: 'COMPLETED', type: WORKFLOW_TYPES.campaignLock });
    }
  });

  it('removes moved members from the source and keeps the locks while a tier continues as new', async () => {
    const src = uniqueCampaign();
    const dst = uniqueCampaign();
    const s = await provision(stack, src);
    const ml = mailerliteClient(stack);
    const tag = randomBytes(3).toString('hex');
    const emails = Array.from({ length: 36 }, (_, i) => `optin-${i}-${tag}@example.org`);
    for (const email of emails) await ml.upsertSubscriber({ email, groups: [s.groupIds['Opt-In']!] });
    const base: TransitionInput = {
      source: src,
      destination: dst,
      rules: [{ current_tier: 'Opt-In', next_tier: 'Bronze', requires_purchase: false }],
      removeFromSource: true,
      pageSize: 2,
      historyLimit: 200,
    };

    // A dry run names the destination groups and field it would create, and creates nothing.
    const writes = await writesSoFar(stack);
    const dry = await withWorker(temporal, stack.activities, (tq) =>
      runTransition(tq, { ...base, dryRun: true }),
    );
    expect(dry.totals).toMatchObject({ members: 36, moved: 36 });
    expect(dry.resourcesToCreate).toEqual(
      expect.arrayContaining([tierGroupName(dst, 'Bronze'), `${dst}_PURCHASE`]),
    );
    expect(await writesSoFar(stack)).toBe(writes);

    const summary = await withWorker(temporal, stack.activities, (tq) => runTransition(tq, base));
    expect(summary.resourcesCreated).toEqual(expect.arrayContaining([tierGroupName(dst, 'Bronze')]));
    expect(summary.totals).toMatchObject({ members: 36, moved: 36, failed: 0 });
    // 18 pages of active members, then one (empty) for each other status.
    expect(summary.tiers[0]).toMatchObject({ tier: 'Opt-In', pages: 22 });
    expect(summary.tiers[0]!.runs).toBeGreaterThan(1);
    expect(summary.movedRecords).toHaveLength(36);
    const after = await membership(stack, [src, dst]);
    for (const email of emails)
      expect([email, after.get(email)]).toEqual([email, [tierGroupName(dst, 'Bronze')]]);
    // The locks were released by the transition (COMPLETED), not ended with a closing run (TERMINATED).
    for (const campaign of [src, dst]) {
      expect(await lockStatus(campaign)).toEqual({ status: 'COMPLETED', type: WORKFLOW_TYPES.campaignLock });
    }
  });

  it('releases both locks when cancelled, and when it fails', async () => {
    const src = uniqueCampaign();
    const dst = uniqueCampaign();
    const s = await provision(stack, src);
    await mailerliteClient(stack).upsertSubscriber({
      email: `cancel-${randomBytes(3).toString('hex')}@example.org`,
      groups: [s.groupIds['Gold']!],
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reached!: () => void;
    const listing = new Promise<void>((resolve) => (reached = resolve));
    const activities: Activities = {
      ...stack.activities,
      listTransitionMembers: async (i) => {
        reached();
        await gate;
        return stack.activities.listTransitionMembers(i);
      },
    };
    const cancelled = await withWorker(temporal, activities, async (tq) => {
      const handle = await startTransition(temporal.client, tq, {
        source: src,
        destination: dst,
        rules: [{ current_tier: 'Gold', next_tier: 'Gold', requires_purchase: false }],
      });
      await listing;
      expect((await lockStatus(src)).status).toBe('RUNNING');
      await handle.cancel();
      // The cancellation reaches the tier run, which asks to cancel the listing in flight and
      // waits for it (an activity that does not heartbeat finishes first): let it finish now.
      const tierId = `${transitionWorkflowId(src, dst)}-tier-GOLD`;
      await waitForEvent(tierId, (e) => e.activityTaskCancelRequestedEventAttributes != null);
      release();
      return handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
    });
    expect(cancelled).toBeInstanceOf(WorkflowFailedError);
    expect((cancelled as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    // The tier run ended (cancelled) before the locks were given back.
    const tier = await temporal.client.workflow
      .getHandle(`${transitionWorkflowId(src, dst)}-tier-GOLD`)
      .describe();
    expect(tier.status.name).toBe('CANCELLED');
    for (const campaign of [src, dst]) {
      expect(await lockStatus(campaign)).toEqual({ status: 'COMPLETED', type: WORKFLOW_TYPES.campaignLock });
      const lock = await temporal.client.workflow.getHandle(syncWorkflowId(campaign)).describe();
      expect(lock.closeTime!.getTime()).toBeGreaterThanOrEqual(tier.closeTime!.getTime());
    }

    // A wrong MailerLite token fails the connection check (not retried); the locks are given back.
    const bad = await startStack({ customers: 50, mailerliteToken: 'wrong-token' });
    try {
      const failed = await withWorker(temporal, bad.activities, async (tq) => {
        const handle = await startTransition(temporal.client, tq, { source: src, destination: dst });
        return handle.result().then(
          () => undefined,
          (e: unknown) => e,
        );
      });
      expect(failed).toBeInstanceOf(WorkflowFailedError);
      expect(failureMessage(failed)).toMatch(/401/);
    } finally {
      await bad.close();
    }
    for (const campaign of [src, dst]) {
      expect(await lockStatus(campaign)).toEqual({ status: 'COMPLETED', type: WORKFLOW_TYPES.campaignLock });
    }
  });

  it('reports a join MailerLite refuses per member, with the reason, and moves the others', async () => {
    const src = uniqueCampaign();
    const dst = uniqueCampaign();
    const s = await provision(stack, src);
    const ml = mailerliteClient(stack);
    const tag = randomBytes(3).toString('hex');
    const emails = ['stays', 'gone', 'moves'].map((n) => `${n}-${tag}@example.org`);
    for (const email of emails) await ml.upsertSubscriber({ email, groups: [s.groupIds['Gold']!] });
    const activities: Activities = {
      ...stack.activities,
      // The subscriber is deleted between the listing and the write: MailerLite then refuses the join.
      listTransitionMembers: async (i) => {
        const page = await stack.activities.listTransitionMembers(i);
        const gone = page.members.find((m) => m.email === emails[1]);
        if (gone) await ml.deleteSubscriber(gone.id);
        return page;
      },
    };
    const summary = await withWorker(temporal, activities, (tq) =>
      runTransition(tq, {
        source: src,
        destination: dst,
        rules: [{ current_tier: 'Gold', next_tier: 'Gold', requires_purchase: false }],
        removeFromSource: true,
      }),
    );
    expect(summary.totals).toMatchObject({ members: 3, moved: 2, failed: 1 });
    expect(summary.rules[0]).toMatchObject({ moved: 2, failed: 1 });
    expect(summary.failedRecords).toHaveLength(1);
    expect(summary.failedRecords[0]).toMatchObject({ email: emails[1], tier: 'Gold', nextTier: 'Gold' });
    expect(summary.failedRecords[0]!.reason).toMatch(
      /^MailerLite refused joining the group \(HTTP 404\): No query results/,
    );
    const after = await membership(stack, [src, dst]);
    for (const email of [emails[0]!, emails[2]!]) {
      expect([email, after.get(email)]).toEqual([email, [tierGroupName(dst, 'Gold')]]);
    }
  });

  it('a tier run refuses to start on its own: without the parent it would hold no lock', async () => {
    const failure = await withWorker(temporal, stack.activities, async (tq) => {
      const handle = await temporal.client.workflow.start(WORKFLOW_TYPES.transitionTier, {
        taskQueue: tq,
        workflowId: `transition-tier-alone-${randomBytes(4).toString('hex')}`,
        args: [{}],
      });
      return handle.result().then(
        () => undefined,
        (e: unknown) => e,
      );
    });
    expect(failureMessage(failure)).toMatch(/runs only as a child of campaignTransition/);
  });

  it('refuses invalid input naming the field, before anything reaches the server', async () => {
    const src = uniqueCampaign();
    await expect(
      startTransition(temporal.client, 'unused', { source: src, destination: src }),
    ).rejects.toThrow(/destination: destination must differ from source/);
    const err: string[] = [];
    const code = await runCli(
      [
        'transition',
        'run',
        src,
        uniqueCampaign(),
        '--rules',
        '[{"current_tier":"Platinum","next_tier":"Gold","requires_purchase":true}]',
      ],
      { TEMPORAL_ADDRESS: temporal.address },
      { out: () => undefined, err: (l) => err.push(l) },
    );
    expect(code).toBe(EXIT.invalidInput);
    expect(err.join('\n')).toMatch(/rules\.0\.current_tier: 'Platinum' is not one of the tiers/);
  });
});
