import { parseArgs } from 'node:util';
import { DefaultLogger } from '@temporalio/worker';
import { connectClient, startSync } from '../src/client';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import type { SyncSummary } from '../src/shared/sync-types';
import { buildActivities, NativeConnection, Runtime, SyncWorkers } from '../src/workers';
import { startEmulatorPair } from '../dev/emulator-pair';
import { generateDemoData } from '../dev/emulators';
import { startLocalServer } from '../dev/temporal/local-server';

/** MailerLite's documented limits. */
const REAL_REQUESTS_PER_MINUTE = 120;
const REAL_IMPORTS_PER_MINUTE = 5;
const BATCH_ITEMS = 50;

/**
 * Subscribers written a minute against the MailerLite emulator enforcing the real limits, with
 * time scaled: the emulator and the worker's budget both run `scale` times faster, and the rates
 * measured are divided by `scale` again. Reported as a fraction of the best the limits allow for
 * the strategy's rule (read every subscriber before writing it): 120 requests a minute of 50 batch
 * items, two items (read, write) a new subscriber, one (read) an unchanged one.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string', default: '10000' },
      scale: { type: 'string', default: '2' },
      budget: { type: 'string', default: String(loadConfig({}).MAILERLITE_REQUESTS_PER_MINUTE) },
    },
  });
  const customers = Number(values.customers);
  const scale = Number(values.scale);
  const budget = Number(values.budget);
  Runtime.install({ logger: new DefaultLogger('ERROR') });

  const server = await startLocalServer();
  const dataset = generateDemoData({ seed: 7, customers });
  const album = dataset.products.find((p) => p.campaign)!;
  const emulators = await startEmulatorPair({
    dataset,
    mailerlite: {
      rateLimitPerMinute: REAL_REQUESTS_PER_MINUTE * scale,
      importLimitPerMinute: REAL_IMPORTS_PER_MINUTE * scale,
    },
  });
  const { mailerlite } = emulators;
  const connection = await NativeConnection.connect({ address: server.address });
  const taskQueue = 'bench-write-throughput';
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
    const run = async (label: string, perSubscriberItems: number, counted: (s: SyncSummary) => number) => {
      const before = await adminStats(mailerlite.url);
      const started = performance.now();
      const handle = await startSync(client, taskQueue, { campaign: album.campaign!, productId: album.id });
      const summary = await handle.result();
      const seconds = (performance.now() - started) / 1000;
      const after = await adminStats(mailerlite.url);
      const scaledMinutes = (seconds * scale) / 60;
      const perMinute = counted(summary) / scaledMinutes;
      const best = (REAL_REQUESTS_PER_MINUTE * BATCH_ITEMS) / perSubscriberItems;
      return {
        run: label,
        subscribers: counted(summary),
        'real seconds': round(seconds, 1),
        'per minute (real limits)': Math.round(perMinute),
        'best the limits allow': best,
        fraction: round(perMinute / best, 2),
        'API requests': after.requests - before.requests,
        '429s': after.rateLimited - before.rateLimited,
        imports: after.imports - before.imports,
      };
    };
    const rows = await workers.runUntil(
      (async () => [
        await run('first sync (create)', 2, (s) => s.created),
        await run('re-run (unchanged)', 1, (s) => s.unchanged),
      ])(),
    );
    console.log(
      `MailerLite write throughput: ${customers} customers, time scaled x${scale}, worker budget ${budget}/min`,
    );
    console.table(rows);
  } finally {
    await client.connection.close();
    await connection.close();
    await emulators.close();
    await server.env.teardown();
  }
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

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
