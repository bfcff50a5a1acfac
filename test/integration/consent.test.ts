import { expectedSync } from '../../dev/expected-sync';
import { startSync } from '../../src/client';
import { startTransition } from '../../src/client/transition';
import { DEFAULT_TIERS } from '../../src/shared/campaign';
import type { SyncInput, SyncSummary } from '../../src/shared/sync-types';
import { startInterposer, type Forwarded, type Interposer } from '../helpers/interposer';
import {
  albums,
  expectEveryRecordCounted,
  mailerliteSubscribers,
  startStack,
  uniqueCampaign,
  type Stack,
} from '../helpers/stack';
import { mailerliteApi as api } from '../helpers/store-admin';
import { useIntegrationStack } from '../helpers/integration';
import { withWorker } from '../helpers/temporal';

// Consent over real HTTP: someone who unsubscribes while a sync runs is skipped, not failed; and
// no path (sync in each mode, mirror removals, transitions) ever changes a subscriber's status.

const { temporal, useStack } = useIntegrationStack({ stack: false });

function runSync(taskQueue: string, input: SyncInput): Promise<SyncSummary> {
  return startSync(temporal.client, taskQueue, input).then((handle) => handle.result());
}

/** Whether a forwarded batch read this email (`GET api/subscribers/<email>` among its requests). */
function batchRead(forwarded: Forwarded, email: string): boolean {
  if (forwarded.method !== 'POST' || !forwarded.path.startsWith('/api/batch')) return false;
  const { requests } = JSON.parse(forwarded.body) as { requests: { method: string; path: string }[] };
  const path = `api/subscribers/${encodeURIComponent(email)}`;
  return requests.some((r) => r.method === 'GET' && r.path === path);
}

describe.each([
  ['budgeted', {}],
  ['direct', { MAILERLITE_REQUESTS_PER_MINUTE: '0' }],
] as const)('someone who unsubscribes between the sync read and its write (%s write path)', (_path, env) => {
  let stack: Stack;
  let interposer: Interposer;
  /** The buyer who unsubscribes mid-sync, and whether they have yet. */
  let leaver: { email: string; id: string } | undefined;
  let unsubscribedAt: Forwarded | undefined;

  beforeEach(async () => {
    leaver = undefined;
    unsubscribedAt = undefined;
    interposer = await startInterposer(async (forwarded) => {
      if (!leaver || unsubscribedAt || forwarded.status !== 200 || !batchRead(forwarded, leaver.email))
        return;
      // The sync has read them as active; they unsubscribe before its next batch (the write) is sent.
      unsubscribedAt = forwarded;
      await api(stack, 'PUT', `/subscribers/${leaver.id}`, { status: 'unsubscribed' });
    });
    stack = await startStack({ customers: 300, env, mailerliteBaseUrl: `${interposer.url}/api` });
    interposer.target = stack.mailerlite.url;
  });
  afterEach(async () => {
    await stack.close();
    await interposer.close();
  });

  it('is counted as skipped with the reason, not failed, and stays unsubscribed with their data', async () => {
    const campaign = uniqueCampaign();
    const product = albums(stack.dataset)[0]!;
    const expected = expectedSync(stack.dataset, product.id);
    const buyer = [...expected.subscribers.values()][2]!;
    // Active with an outdated name, so the sync reads them and plans an update.
    const seeded = await api<{ data: { id: string } }>(stack, 'POST', '/subscribers', {
      email: buyer.email,
      fields: { name: 'Stale', last_name: 'Name' },
    });
    leaver = { email: buyer.email, id: seeded.data.id };

    const summary = await withWorker(temporal, stack.activities, (tq) =>
      runSync(tq, { campaign, productId: product.id }),
    );

    expect(unsubscribedAt).toBeDefined();
    expectEveryRecordCounted(summary);
    expect(summary.failed).toBe(0);
    expect(summary.failedRecords).toEqual([]);
    expect(summary.skipped).toBe(1);
    expect(summary.skippedRecords).toEqual([
      {
        orderId: buyer.orderId,
        customerId: buyer.customerId,
        email: buyer.email,
        reason:
          'subscriber is unsubscribed in MailerLite: not rewritten (consent; MailerLite refused the ' +
          'write: "This subscriber is unsubscribed and cannot be imported")',
      },
    ]);
    expect(summary.created).toBe(expected.subscribers.size - 1);
    const after = await api<{ data: { status: string; fields: Record<string, unknown>; groups: unknown[] } }>(
      stack,
      'GET',
      `/subscribers/${leaver.id}`,
    );
    expect(after.data).toMatchObject({ status: 'unsubscribed', fields: { name: 'Stale' }, groups: [] });
  });
});

describe('no sync, mirror removal or transition changes a subscriber status', () => {
  const stack = useStack({ customers: 300 });

  const WITHDRAWN = ['unsubscribed', 'bounced', 'junk'] as const;

  it('keeps unsubscribed, bounced and junk as they are through upsert, update-only and mirror syncs and a transition', async () => {
    const campaign = uniqueCampaign();
    const next = uniqueCampaign();
    const product = albums(stack.dataset)[0]!;
    const buyers = [...expectedSync(stack.dataset, product.id).subscribers.values()];
    /** Every seeded subscriber's email with the status it must keep. */
    const kept = new Map<string, string>();
    const create = async (email: string, status: string, groups: string[] = []) => {
      await api(stack, 'POST', '/subscribers', { email, status, groups, fields: { name: 'Kept' } });
      kept.set(email.toLowerCase(), status);
    };
    const check = async (after: string) => {
      const now = new Map((await mailerliteSubscribers(stack.mailerlite)).map((s) => [s.email, s]));
      for (const [email, status] of kept) {
        expect({ after, email, status: now.get(email)?.status, name: now.get(email)?.fields.name }).toEqual({
          after,
          email,
          status,
          name: 'Kept',
        });
      }
    };

    // Buyers of the album who withdrew before any sync.
    for (const [i, status] of WITHDRAWN.entries()) await create(buyers[i]!.email, status);
    const resources = await stack.activities.ensureCampaignResources({
      campaign,
      tiers: [...DEFAULT_TIERS],
      purchaseTier: 'Bronze Purchase',
    });
    const purchaseGroup = resources.groupIds['Bronze Purchase']!;
    // People in the purchase group who bought nothing (mirror removes them from the group), and
    // members of the campaign's Opt-In group: a transition skips the withdrawn and moves the
    // unconfirmed one on, who must not come out active.
    for (const status of WITHDRAWN) {
      await create(`stranger-${status}-${campaign}@example.org`.toLowerCase(), status, [purchaseGroup]);
      await create(`optin-${status}-${campaign}@example.org`.toLowerCase(), status, [
        resources.groupIds['Opt-In']!,
      ]);
    }
    await create(`optin-unconfirmed-${campaign}@example.org`.toLowerCase(), 'unconfirmed', [
      resources.groupIds['Opt-In']!,
    ]);

    await withWorker(temporal, stack.activities, async (tq) => {
      const upsert = await runSync(tq, { campaign, productId: product.id });
      expect(upsert.skipped).toBe(WITHDRAWN.length);
      await check('upsert sync');

      const updateOnly = await runSync(tq, { campaign, productId: product.id, mode: 'update-only' });
      expect(updateOnly.skipped).toBe(WITHDRAWN.length);
      await check('update-only sync');

      const mirror = await runSync(tq, {
        campaign,
        productId: product.id,
        mode: 'mirror',
        maxRemovalShare: 1,
      });
      expect(mirror.removed).toBe(WITHDRAWN.length);
      await check('mirror sync and its removals');

      const transition = await (
        await startTransition(temporal.client, tq, { source: campaign, destination: next })
      ).result();
      expect(transition.totals).toMatchObject({ moved: 1, skippedConsent: WITHDRAWN.length });
      await check('transition');
    });
  });
});
