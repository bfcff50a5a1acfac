import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import { expectedSync } from '../../dev/expected-sync';
import {
  DEMO_EDD_LIMITED_KEYS,
  DEMO_EDD_PUBLIC_KEY,
  DEMO_EDD_SECRET_KEY,
  DEMO_MAILERLITE_TOKEN,
  eddToken,
  generateDemoData,
  startEddEmulator,
  type DemoDataset,
  type EmulatorHandle,
} from '../../dev/emulators';
import type { Activities } from '../../src/activities';
import { failureMessage, startSync } from '../../src/client';
import { readRunHistory } from '../../src/client/sync-report';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { EddClient } from '../../src/providers';
import { tierGroupName } from '../../src/shared/campaign';
import type { SyncSummary } from '../../src/shared/sync-types';
import { ProviderPermissionError } from '../../src/shared/errors';
import { buildActivities } from '../../src/workers/build-activities';
import { albums, mailerliteGet, setFaults, startStack, uniqueCampaign, type Stack } from '../helpers/stack';
import { useIntegrationStack } from '../helpers/integration';
import { withWorker } from '../helpers/temporal';

type Key = { publicKey: string; secretKey: string };
const ADMIN: Key = { publicKey: DEMO_EDD_PUBLIC_KEY, secretKey: DEMO_EDD_SECRET_KEY };
const { noReports, shopAccountant, shopWorker } = DEMO_EDD_LIMITED_KEYS;

const { temporal, useStack } = useIntegrationStack({ stack: false });

/** The worker's activities with another EDD key, against the stack's emulators. */
function activitiesWithKey(stack: Stack, key: Key): Activities {
  return buildActivities({
    config: loadConfig({}),
    credentials: {
      edd: {
        baseUrl: stack.edd.url,
        publicKey: key.publicKey,
        token: eddToken(key.publicKey, key.secretKey),
      },
      mailerlite: { baseUrl: `${stack.mailerlite.url}/api`, apiToken: DEMO_MAILERLITE_TOKEN },
    },
    logger: createLogger({ level: 'silent' }),
    metrics: createMetrics(),
  });
}

/** The activity types a run scheduled, and the attempt each last started with. */
async function activityAttempts(workflowId: string, runId: string) {
  const history = await readRunHistory(temporal.client, workflowId, runId);
  const scheduled = history
    .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
    .filter((n): n is string => typeof n === 'string');
  const attempts = history
    .map((e) => e.activityTaskStartedEventAttributes?.attempt)
    .filter((n): n is number => typeof n === 'number');
  return { scheduled, attempts };
}

/** Runs a sync and returns its failure: message, the innermost failure's type, and the activities it ran. */
async function failedSync(stack: Stack, activities: Activities, input: Parameters<typeof startSync>[2]) {
  return withWorker(temporal, activities, async (tq) => {
    const started = Date.now();
    const handle = await startSync(temporal.client, tq, input);
    const err: unknown = await handle.result().then(
      (summary) => summary,
      (e: unknown) => e,
    );
    if (!(err instanceof WorkflowFailedError)) {
      const { status, fetched, valid, removed } = err as SyncSummary;
      throw new Error(`the sync did not fail: ${JSON.stringify({ status, fetched, valid, removed })}`);
    }
    expect(err.cause).toBeInstanceOf(ActivityFailure);
    const cause = err.cause!.cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    const { scheduled, attempts } = await activityAttempts(handle.workflowId, handle.firstExecutionRunId);
    return {
      message: failureMessage(err),
      type: (cause as ApplicationFailure).type,
      elapsedMs: Date.now() - started,
      scheduled,
      attempts,
    };
  });
}

function expectNoSecrets(message: string, key: Key): void {
  for (const secret of [key.publicKey, key.secretKey, eddToken(key.publicKey, key.secretKey)])
    expect(message).not.toContain(secret);
}

describe('an EDD key whose user lacks a capability fails the sync at once, naming it (EDD answers it 200 with no data)', () => {
  const stack = useStack({ customers: 300 });

  it('without view_shop_reports: no page is read (it would find no purchaser), the failure names the capability and the roles', async () => {
    const failure = await failedSync(stack, activitiesWithKey(stack, noReports), {
      campaign: uniqueCampaign(),
      productId: albums(stack.dataset)[0]!.id,
    });
    expect(failure.message).toMatch(
      new RegExp(
        `^EDD at ${stack.edd.url.replace(/[.]/g, '\\.')} answers the API key of worker \\d+@\\S+ without data: ` +
          "the EDD API key's user lacks the view_shop_reports capability \\(EDD's GET /info lists the key's permissions without it\\): " +
          'EDD answers its sales requests with no data \\(HTTP 200, no error\\), so a sync would find no purchasers',
      ),
    );
    expect(failure.message).toContain('the Administrator, Shop Manager and Shop Accountant roles have it');
    expect(failure.message).toContain('EDD_PUBLIC_KEY and EDD_TOKEN, or EDD_SECRET_KEY');
    expect(failure.message).not.toContain('view_shop_sensitive_data');
    expectNoSecrets(failure.message, noReports);
    expect(failure.type).toBe('ProviderPermissionError');
    // One attempt of the check, not the sync's ten over minutes; nothing read or written after it.
    expect(failure.scheduled.filter((a) => a === 'checkEddConnection')).toHaveLength(1);
    expect(failure.attempts.every((a) => a === 1)).toBe(true);
    expect(failure.scheduled).not.toContain('resolveCampaign');
    expect(failure.scheduled).not.toContain('fetchPurchasersPage');
    expect(failure.elapsedMs).toBeLessThan(30_000);
  });

  it('without view_shop_sensitive_data (a Shop Accountant): the failure names that capability', async () => {
    const failure = await failedSync(stack, activitiesWithKey(stack, shopAccountant), {
      campaign: uniqueCampaign(),
      productId: albums(stack.dataset)[0]!.id,
    });
    expect(failure.message).toContain(
      "the EDD API key's user lacks the view_shop_sensitive_data capability (EDD answered GET /customers with " +
        'neither customers nor "No customers found!"): EDD answers its customers requests with no data',
    );
    expect(failure.message).toContain(
      'the Administrator and Shop Manager roles have it, Shop Accountant does not',
    );
    expect(failure.message).not.toContain('view_shop_reports capability');
    expectNoSecrets(failure.message, shopAccountant);
    expect(failure.type).toBe('ProviderPermissionError');
    expect(failure.scheduled).not.toContain('fetchPurchasersPage');
  });

  it('without either (a Shop Worker): both named; the health check reports the same', async () => {
    const activities = activitiesWithKey(stack, shopWorker);
    const failure = await failedSync(stack, activities, {
      campaign: uniqueCampaign(),
      productId: albums(stack.dataset)[0]!.id,
    });
    expect(failure.message).toContain(
      "the EDD API key's user lacks the view_shop_reports and view_shop_sensitive_data capabilities",
    );
    expect(failure.message).toContain('the Administrator and Shop Manager roles have both');
    const health = await activities.checkEdd();
    expect(health).toMatchObject({ service: 'edd', ok: false, errorType: 'ProviderPermissionError' });
    expect(health.error).toContain('lacks the view_shop_reports and view_shop_sensitive_data capabilities');
  });

  it('the administrator key passes the same check', async () => {
    await expect(stack.activities.checkEddConnection()).resolves.toMatchObject({ provider: 'edd' });
    await expect(stack.activities.checkEdd()).resolves.toMatchObject({ ok: true });
  });
});

describe('a mirror sync with a key lacking view_shop_reports removes nobody', () => {
  it('fails before reading the purchase group, which keeps every member an earlier sync put there', async () => {
    const stack = await startStack({ customers: 300 });
    try {
      const campaign = uniqueCampaign();
      const product = albums(stack.dataset)[0]!;
      const purchasers = expectedSync(stack.dataset, product.id).subscribers.size;
      await withWorker(temporal, stack.activities, async (tq) =>
        (await startSync(temporal.client, tq, { campaign, productId: product.id })).result(),
      );
      const groupName = tierGroupName(campaign, 'Bronze Purchase');
      const members = async () => {
        const groups = await mailerliteGet<{ data: { name: string; active_count: number }[] }>(
          stack.mailerlite,
          `/groups?limit=100&filter[name]=${groupName}`,
        );
        return groups.data.find((g) => g.name === groupName)!.active_count;
      };
      expect(await members()).toBe(purchasers);

      // With no approval needed for any share, a mirror run that took "no sales" for "no purchasers" removed everyone.
      const failure = await failedSync(stack, activitiesWithKey(stack, noReports), {
        campaign,
        productId: product.id,
        mode: 'mirror',
        maxRemovalShare: 1,
      });
      expect(failure.message).toContain("the EDD API key's user lacks the view_shop_reports capability");
      expect(failure.scheduled).not.toContain('fetchPurchasersPage');
      expect(await members()).toBe(purchasers);
    } finally {
      await stack.close();
    }
  });
});

describe('the EDD client tells "no permission" from "no data" over HTTP, whatever the store holds', () => {
  const client = (url: string, key: Key) =>
    new EddClient({
      credentials: { baseUrl: url, publicKey: key.publicKey, token: eddToken(key.publicKey, key.secretKey) },
      timeoutMs: 5_000,
    });
  async function withEdd(dataset: DemoDataset, fn: (edd: EmulatorHandle) => Promise<void>): Promise<void> {
    const edd = await startEddEmulator({
      dataset,
      publicKey: DEMO_EDD_PUBLIC_KEY,
      secretKey: DEMO_EDD_SECRET_KEY,
      apiKeys: Object.values(DEMO_EDD_LIMITED_KEYS),
    });
    try {
      await fn(edd);
    } finally {
      await edd.close();
    }
  }
  const full = generateDemoData({ seed: 7, customers: 50 });
  const empty: DemoDataset = { ...full, customers: [], sales: [], products: [] };

  it('a site that does not answer info (an extension removed it): the products tell, with key and token', async () => {
    await withEdd(full, async (edd) => {
      const { url } = edd;
      await setFaults(edd, {
        routeFaults: [{ method: 'GET', path: '/edd-api/v2/info', status: 400, message: 'Invalid query!' }],
      });
      await expect(client(url, ADMIN).validateConnection()).resolves.toBeUndefined();
      const err: unknown = await client(url, noReports)
        .validateConnection()
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProviderPermissionError);
      expect((err as ProviderPermissionError).missing).toEqual(['view_shop_reports']);
      expect((err as Error).message).toContain(
        'lacks the view_shop_reports capability (the products EDD lists to the key carry no stats)',
      );
      expect((await client(url, shopAccountant).readPermissions()).view_shop_reports.granted).toBe(true);
    });
  });

  it('an empty store: customers still tell view_shop_sensitive_data exactly, info tells view_shop_reports', async () => {
    await withEdd(empty, async ({ url }) => {
      await expect(client(url, ADMIN).validateConnection()).resolves.toBeUndefined();
      const accountant: unknown = await client(url, shopAccountant)
        .validateConnection()
        .catch((e: unknown) => e);
      expect((accountant as ProviderPermissionError).missing).toEqual(['view_shop_sensitive_data']);
      const worker: unknown = await client(url, shopWorker)
        .validateConnection()
        .catch((e: unknown) => e);
      expect((worker as ProviderPermissionError).missing).toEqual([
        'view_shop_reports',
        'view_shop_sensitive_data',
      ]);
    });
  });

  it('an empty store that does not answer info: view_shop_reports cannot be told, and the check lets it pass', async () => {
    await withEdd(empty, async (edd) => {
      const { url } = edd;
      await setFaults(edd, {
        routeFaults: [{ method: 'GET', path: '/edd-api/v2/info', status: 400, message: 'Invalid query!' }],
      });
      const permissions = await client(url, noReports).readPermissions();
      expect(permissions.view_shop_reports.granted).toBeUndefined();
      expect(permissions.view_shop_sensitive_data.granted).toBe(true);
      await expect(client(url, noReports).validateConnection()).resolves.toBeUndefined();
    });
  });
});
