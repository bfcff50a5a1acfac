import { Writable } from 'node:stream';
import { expectedSync } from '../../dev/expected-sync';
import { startEmulatorPair, type EmulatorPair } from '../../dev/emulator-pair';
import { DEMO_MAILERLITE_TOKEN, generateDemoData } from '../../dev/emulators';
import { startSync } from '../../src/client';
import { startTransition } from '../../src/client/transition';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { DEFAULT_TIERS } from '../../src/shared/campaign';
import type { SyncInput, SyncSummary } from '../../src/shared/sync-types';
import { buildActivities } from '../../src/workers/build-activities';
import { albums, uniqueCampaign } from '../helpers/stack';
import { withWorker } from '../helpers/temporal';
import { useIntegrationStack } from '../helpers/integration';

// An account whose cursor lists take at most 100 subscribers a request, against a worker with the
// default MAILERLITE_LIST_LIMIT (1000): mirror scans and transitions step down once and finish.

// The emulators alone, without the stack's activities: each test builds its own, logging to logText.
const { temporal } = useIntegrationStack({ stack: false });
let pair: EmulatorPair;
let logText = '';

beforeAll(async () => {
  pair = await startEmulatorPair({
    dataset: generateDemoData({ seed: 42, customers: 300 }),
    mailerlite: { rateLimitPerMinute: 0, maxListLimit: 100 },
  });
});
afterAll(async () => {
  await pair.close();
});

/** The worker's activities, built as the worker builds them, logging into `logText`. */
function activities() {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logText += chunk.toString();
      done();
    },
  });
  return buildActivities({
    config: loadConfig({}),
    credentials: pair.credentials,
    logger: createLogger({ level: 'info', destination }),
    metrics: createMetrics(),
  });
}

async function ml<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${pair.mailerlite.url}/api${path}`, {
    method,
    headers: { Authorization: `Bearer ${DEMO_MAILERLITE_TOKEN}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

function runSync(taskQueue: string, input: SyncInput): Promise<SyncSummary> {
  return startSync(temporal.client, taskQueue, input).then((handle) => handle.result());
}

it('mirror and transition read group members 100 at a time after one refusal, logged once', async () => {
  const built = activities();
  const campaign = uniqueCampaign();
  const next = uniqueCampaign();
  const dataset = generateDemoData({ seed: 42, customers: 300 });
  const product = albums(dataset)[0]!;
  const purchasers = expectedSync(dataset, product.id).subscribers.size;
  // More members than one page of 100, so the walk has to follow cursors at the lowered size.
  expect(purchasers).toBeGreaterThan(100);

  await withWorker(temporal, built, async (tq) => {
    await runSync(tq, { campaign, productId: product.id });
    const { groupIds } = await built.ensureCampaignResources({
      campaign,
      tiers: [...DEFAULT_TIERS],
      purchaseTier: 'Bronze Purchase',
    });
    for (let i = 0; i < 3; i++) {
      await ml('POST', '/subscribers', {
        email: `stranger${i}-${campaign}@example.org`.toLowerCase(),
        groups: [groupIds['Bronze Purchase']!, groupIds['Opt-In']!],
      });
    }

    const mirror = await runSync(tq, { campaign, productId: product.id, mode: 'mirror', maxRemovalShare: 1 });
    expect(mirror).toMatchObject({ status: 'completed', removed: 3 });
    expect(mirror.mirror).toMatchObject({ groupMembers: purchasers + 3 });

    const transition = await (
      await startTransition(temporal.client, tq, { source: campaign, destination: next })
    ).result();
    expect(transition.totals).toMatchObject({ members: 3, moved: 3, failed: 0 });
  });

  const warnings = logText
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter(
      (line) =>
        line.msg === 'MailerLite refused the list page size; this worker lists the smaller size from now on',
    );
  expect(warnings).toEqual([
    expect.objectContaining({
      level: 40,
      from: 1000,
      to: 100,
      endpoint: '/groups/{id}/subscribers',
      reason: 'HTTP 422 on /groups/{id}/subscribers: The limit may not be greater than 100.',
      fix: "set MAILERLITE_LIST_LIMIT to 100, or to the largest size 'npm run contract:real' reports",
    }),
  ]);
  expect(logText).not.toContain(DEMO_MAILERLITE_TOKEN);
});
