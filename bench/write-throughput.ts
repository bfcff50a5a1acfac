import { parseArgs } from 'node:util';
import { DefaultLogger } from '@temporalio/worker';
import { connectClient, createCampaign, startSync } from '../src/client';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import { DEFAULT_PURCHASE_TIER, fieldKey, purchaseFieldName, tierGroupName } from '../src/shared/campaign';
import type { SyncSummary } from '../src/shared/sync-types';
import { buildActivities, NativeConnection, Runtime, SyncWorkers } from '../src/workers';
import { startEmulatorPair } from '../dev/emulator-pair';
import { expectedSync } from '../dev/expected-sync';
import { generateDemoData } from '../dev/emulators';
import { startLocalServer, type LocalServer } from '../dev/temporal/local-server';

/** MailerLite's documented limits. */
const REAL_REQUESTS_PER_MINUTE = 120;
const REAL_IMPORTS_PER_MINUTE = 5;
const BATCH_ITEMS = 50;

export interface ThroughputRow {
  run: string;
  /** How the run read MailerLite (`destinationRead.way` of its summary). */
  way: string;
  subscribers: number;
  'real seconds': number;
  'per minute (real limits)': number;
  'best the limits allow': number;
  fraction: number;
  'API requests': number;
  '429s': number;
  imports: number;
}

export interface ThroughputResult {
  customers: number;
  scale: number;
  budget: number;
  rows: ThroughputRow[];
  /** Valid purchasers of the album (what MailerLite must hold after the first sync). */
  expected: number;
  /** Of those, how many MailerLite did not hold as it should after the first sync (missing, not in the group, wrong purchase). */
  lost: number;
  /** Batches made only of subscriber upserts (imports to MailerLite) the emulator counted. */
  imports: number;
}

/**
 * The best each way allows at 120 requests a minute: per buyer, 50 batch items a request, two a
 * new subscriber (read, write) and one an unchanged one (read); the list path, 49 upserts a batch
 * (one item is the read-back that keeps it from being an import), and nothing for an unchanged one
 * (a page of the lists covers `MAILERLITE_LIST_LIMIT` of them: no per-subscriber ceiling to meet).
 */
const PER_BUYER_ITEMS = { create: 2, unchanged: 1 };
const LIST_PATH_CREATES_PER_BATCH = BATCH_ITEMS - 1;

/**
 * Subscribers written a minute against the MailerLite emulator enforcing the real limits, with
 * time scaled: the emulator and the worker's budget both run `scale` times faster, and the rates
 * measured are divided by `scale` again. Reported as a fraction of the best the limits allow for
 * the strategy's rule (read every subscriber before writing it): 120 requests a minute of 50 batch
 * items, two items (read, write) a new subscriber, one (read) an unchanged one. After the first
 * sync, the emulator's subscribers are checked against the data's ground truth (no record lost).
 *
 * Uses `server` when given (the caller tears it down), else starts its own dev server.
 */
export async function measureWriteThroughput(opts: {
  customers: number;
  scale: number;
  budget: number;
  server?: LocalServer;
  /** How the full syncs read MailerLite (default `per-buyer`, the strategy figure 2 measures). */
  destinationRead?: 'per-buyer' | 'lists';
  /**
   * Provision the campaign with `campaign create` (untimed) before the first sync, as the README's
   * steps do; otherwise the first sync creates its 8 groups and field itself (11 more requests).
   */
  campaignCreatedFirst?: boolean;
}): Promise<ThroughputResult> {
  const { customers, scale, budget } = opts;
  const way = opts.destinationRead ?? 'per-buyer';
  const server = opts.server ?? (await startLocalServer());
  const dataset = generateDemoData({ seed: 7, customers });
  const album = dataset.products.find((p) => p.campaign)!;
  const campaign = album.campaign!;
  const expected = expectedSync(dataset, album.id);
  const emulators = await startEmulatorPair({
    dataset,
    mailerlite: {
      rateLimitPerMinute: REAL_REQUESTS_PER_MINUTE * scale,
      importLimitPerMinute: REAL_IMPORTS_PER_MINUTE * scale,
    },
  });
  const { mailerlite } = emulators;
  const connection = await NativeConnection.connect({ address: server.address });
  const taskQueue = `bench-write-throughput-${way}`;
  const workers = await SyncWorkers.create({
    connection,
    namespace: 'default',
    taskQueue,
    mailerliteRequestsPerMinute: budget * scale,
    activities: buildActivities({
      config: loadConfig({}),
      credentials: emulators.credentials,
      logger: createLogger({ level: 'silent' }),
      metrics: createMetrics(),
    }),
  });
  const client = await connectClient({ address: server.address, namespace: 'default' });
  try {
    const run = async (
      label: string,
      best: number,
      counted: (s: SyncSummary) => number,
    ): Promise<ThroughputRow> => {
      const before = await adminStats(mailerlite.url);
      const started = performance.now();
      const handle = await startSync(client, taskQueue, {
        campaign,
        productId: album.id,
        trigger: 'bench',
        destinationRead: way,
      });
      const summary = await handle.result();
      const seconds = (performance.now() - started) / 1000;
      const after = await adminStats(mailerlite.url);
      const scaledMinutes = (seconds * scale) / 60;
      const perMinute = counted(summary) / scaledMinutes;
      return {
        run: label,
        way: summary.destinationRead?.way ?? 'per-buyer',
        subscribers: counted(summary),
        'real seconds': round(seconds, 1),
        'per minute (real limits)': Math.round(perMinute),
        'best the limits allow': best,
        fraction: round(perMinute / best, 3),
        'API requests': after.requests - before.requests,
        '429s': after.rateLimited - before.rateLimited,
        imports: after.imports - before.imports,
      };
    };
    const { rows, lost } = await workers.runUntil(
      (async () => {
        const perBuyer = way === 'per-buyer';
        if (opts.campaignCreatedFirst) await createCampaign(client, taskQueue, { campaign });
        const first = await run(
          opts.campaignCreatedFirst ? 'first sync (create, after campaign create)' : 'first sync (create)',
          perBuyer
            ? (REAL_REQUESTS_PER_MINUTE * BATCH_ITEMS) / PER_BUYER_ITEMS.create
            : REAL_REQUESTS_PER_MINUTE * LIST_PATH_CREATES_PER_BATCH,
          (s) => s.created,
        );
        const lost = await countLost(mailerlite.url, campaign, expected.subscribers);
        const rerun = await run(
          're-run (unchanged)',
          perBuyer ? (REAL_REQUESTS_PER_MINUTE * BATCH_ITEMS) / PER_BUYER_ITEMS.unchanged : NaN,
          (s) => s.unchanged,
        );
        return { rows: [first, rerun], lost };
      })(),
    );
    const imports = rows.reduce((n, r) => n + r.imports, 0);
    return { customers, scale, budget, rows, expected: expected.subscribers.size, lost, imports };
  } finally {
    await client.connection.close();
    await connection.close();
    await emulators.close();
    if (!opts.server) await server.env.teardown();
  }
}

/** Expected subscribers MailerLite does not hold as it should: missing, outside the purchase group, or with another purchase. */
async function countLost(
  url: string,
  campaign: string,
  expected: ReturnType<typeof expectedSync>['subscribers'],
): Promise<number> {
  const state = (await (await fetch(`${url}/_admin/state`)).json()) as {
    subscribers: { email: string; fields: Record<string, unknown>; groups: string[] }[];
  };
  const held = new Map(state.subscribers.map((s) => [s.email.toLowerCase(), s]));
  const group = tierGroupName(campaign, DEFAULT_PURCHASE_TIER);
  const key = fieldKey(purchaseFieldName(campaign));
  let lost = 0;
  for (const [email, want] of expected) {
    const s = held.get(email);
    if (!s || !s.groups.includes(group) || Number(s.fields[key]) !== want.orderId) lost++;
  }
  return lost;
}

interface Stats {
  requests: number;
  rateLimited: number;
  imports: number;
}

async function adminStats(url: string): Promise<Stats> {
  const body = (await (await fetch(`${url}/_admin/stats`)).json()) as {
    requests: { total: number };
    rateLimited: number;
    imports: number;
  };
  return { requests: body.requests.total, rateLimited: body.rateLimited, imports: body.imports };
}

function round(n: number, digits: number): number {
  return Math.round(n * 10 ** digits) / 10 ** digits;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string', default: '10000' },
      scale: { type: 'string', default: '2' },
      budget: { type: 'string', default: String(loadConfig({}).MAILERLITE_REQUESTS_PER_MINUTE) },
      way: { type: 'string', default: 'per-buyer' },
      'after-campaign-create': { type: 'boolean', default: false },
    },
  });
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const result = await measureWriteThroughput({
    customers: Number(values.customers),
    scale: Number(values.scale),
    budget: Number(values.budget),
    destinationRead: values.way === 'lists' ? 'lists' : 'per-buyer',
    campaignCreatedFirst: values['after-campaign-create'],
  });
  console.log(
    `MailerLite write throughput: ${result.customers} customers, time scaled x${result.scale}, ` +
      `worker budget ${result.budget}/min`,
  );
  console.table(result.rows);
  console.log(`records lost after the first sync: ${result.lost} of ${result.expected}`);
  if (result.lost > 0) process.exitCode = 1;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
