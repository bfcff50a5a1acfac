import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { DefaultLogger } from '@temporalio/worker';
import type { Client } from '@temporalio/client';
import { connectClient, startSync } from '../src/client';
import { createSyncSchedule, deleteSyncSchedule } from '../src/client/schedules';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import { DEFAULT_PURCHASE_TIER, fieldKey, purchaseFieldName, tierGroupName } from '../src/shared/campaign';
import { parseDuration } from '../src/shared/duration';
import type { SyncInput, SyncSummary } from '../src/shared/sync-types';
import { buildActivities, NativeConnection, Runtime, SyncWorkers } from '../src/workers';
import { startEmulatorPair, type EmulatorPair } from '../dev/emulator-pair';
import { generateDemoData, type DemoDataset } from '../dev/emulators';
import { startLocalServer, type LocalServer } from '../dev/temporal/local-server';

/** MailerLite's documented request limit, which the emulator enforces in these runs. */
const REAL_REQUESTS_PER_MINUTE = 120;

/** EDD's net statuses: the sales list holds only orders in them (see the EDD emulator's store). */
const LISTED_STATUSES = new Set(['complete', 'partially_refunded', 'revoked']);

export interface IncrementalResult {
  purchasers: number;
  pageSize: number;
  newOrders: number;
  /** MailerLite requests of the incremental run after `newOrders` new orders, and of an idle one. */
  mailerliteRequests: number;
  idleMailerliteRequests: number;
  /**
   * EDD sales requests of that run (pages, their seams, the connection check), the distinct pages
   * it read, the pages its lookback needs, and how many it read beyond those.
   */
  salesRequests: number;
  pagesRead: number;
  pagesNeeded: number;
  beyondLookback: number;
  created: number;
  /** Pages the run went through (its summary), and orders past the watermark it read. */
  pages: number;
  readPast: number;
  idleSalesRequests: number;
}

export interface FreshnessResult {
  minutes: number;
  orders: number;
  /** Seconds from each order's completion to its buyer being right in MailerLite, sorted. */
  latencies: number[];
  /** Orders whose buyer MailerLite never showed within the wait after the last order. */
  missing: number;
  /** Incremental runs the schedule took, and of them skipped (the lock was held). */
  runs: number;
}

export interface Rig {
  dataset: DemoDataset;
  album: { id: number; campaign: string };
  emulators: EmulatorPair;
  client: Client;
  taskQueue: string;
  /** The sales list requests the worker made, as `page`/`number` (through a counting proxy). */
  salesWindows: { page: number; number: number }[];
  /** Runs `work` with the workers polling, then shuts them down. */
  run<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * A store, the emulators, and a worker with the account's budget (so writes take the budgeted
 * path, as in production) and a Temporal client (the watermark is read from Temporal).
 */
export async function startRig(
  server: LocalServer,
  opts: { customers: number; taskQueue: string; rateLimitPerMinute?: number; budget: number },
): Promise<Rig> {
  const dataset = generateDemoData({ seed: 7, customers: opts.customers });
  const album = dataset.products.find((p) => p.campaign)!;
  const emulators = await startEmulatorPair({
    dataset,
    ...(opts.rateLimitPerMinute ? { mailerlite: { rateLimitPerMinute: opts.rateLimitPerMinute } } : {}),
  });
  const salesWindows: Rig['salesWindows'] = [];
  const proxy = await countingProxy(emulators.edd.url, (url) => {
    if (!/\/sales\b/.test(url.pathname)) return;
    salesWindows.push({
      page: Number(url.searchParams.get('page') ?? 1),
      number: Number(url.searchParams.get('number') ?? 10),
    });
  });
  const client = await connectClient({ address: server.address, namespace: 'default' });
  const connection = await NativeConnection.connect({ address: server.address });
  const build = () =>
    SyncWorkers.create({
      connection,
      namespace: 'default',
      taskQueue: opts.taskQueue,
      mailerliteRequestsPerMinute: opts.budget,
      activities: buildActivities({
        config: loadConfig({}),
        credentials: { ...emulators.credentials, edd: { ...emulators.credentials.edd, baseUrl: proxy.url } },
        logger: createLogger({ level: 'silent' }),
        metrics: createMetrics(),
        temporal: { client, namespace: 'default' },
      }),
    });
  return {
    dataset,
    album: { id: album.id, campaign: album.campaign! },
    emulators,
    client,
    taskQueue: opts.taskQueue,
    salesWindows,
    run: async (work) => (await build()).runUntil(work()),
    async close() {
      await client.connection.close();
      await connection.close();
      await emulators.close();
      await new Promise((resolve) => proxy.server.close(resolve));
    },
  };
}

/**
 * A plain HTTP proxy in front of the EDD emulator that tells `seen` of each request's URL, so the
 * benchmark can tell the sync's page reads (`number` = its page size) from its seams and checks.
 */
async function countingProxy(
  target: string,
  seen: (url: URL) => void,
): Promise<{ server: Server; url: string }> {
  const to = new URL(target);
  const server = createServer((req, res) => {
    seen(new URL(req.url ?? '/', target));
    const upstream = request(
      { hostname: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function stats(
  url: string,
): Promise<{ total: number; byRoute: Record<string, Record<string, number>> }> {
  const body = (await (await fetch(`${url}/_admin/stats`)).json()) as {
    requests: { total: number; byRoute: Record<string, Record<string, number>> };
  };
  return body.requests;
}

async function addOrder(
  edd: string,
  customerId: number,
  productId: number,
): Promise<{ id: number; number: string }> {
  const res = await fetch(`${edd}/_admin/orders`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ customerId, productIds: [productId], status: 'complete' }),
  });
  if (!res.ok) throw new Error(`adding an order answered HTTP ${res.status}`);
  return (await res.json()) as { id: number; number: string };
}

/** Valid customers (no defect) who never ordered the album, in a fixed order. */
function newBuyers(dataset: DemoDataset, productId: number): number[] {
  const ordered = new Set(
    dataset.sales.filter((s) => s.products.some((p) => p.id === productId)).map((s) => s.customerId),
  );
  return dataset.customers.filter((c) => c.defects.length === 0 && !ordered.has(c.id)).map((c) => c.id);
}

/**
 * The sales pages an incremental run from `watermark` must read: newest first, up to the page on
 * which `lookbackOrders` sales dated at or before the watermark have been passed and the oldest sale
 * is dated before the watermark's date less `lookback`. Computed from the store's own orders.
 */
function pagesNeeded(
  dataset: DemoDataset,
  watermarkDate: string,
  pageSize: number,
  lookback = '48h',
  lookbackOrders = 200,
): number {
  const listed = dataset.sales.filter((s) => LISTED_STATUSES.has(s.status)).sort((a, b) => b.id - a.id);
  const cutoffMs = Date.parse(`${watermarkDate.replace(' ', 'T')}Z`) - parseDuration(lookback);
  const cutoff = new Date(cutoffMs).toISOString().slice(0, 19).replace('T', ' ');
  let past = 0;
  for (let page = 0; page * pageSize < listed.length; page++) {
    const rows = listed.slice(page * pageSize, (page + 1) * pageSize);
    past += rows.filter((s) => s.date <= watermarkDate).length;
    if (past >= lookbackOrders && rows[rows.length - 1]!.date < cutoff) return page + 1;
  }
  return Math.ceil(listed.length / pageSize);
}

/**
 * Figure 6: after a full sync, `newOrders` new orders of new buyers; the incremental run's
 * MailerLite requests (target at most 5 for 100) and EDD sales pages beyond what its lookback needs
 * (target at most 2); then an idle incremental run (target 0 MailerLite requests).
 */
export async function measureIncremental(opts: {
  server: LocalServer;
  customers: number;
  pageSize: number;
  newOrders: number;
}): Promise<IncrementalResult> {
  const rig = await startRig(opts.server, {
    customers: opts.customers,
    taskQueue: 'bench-incremental',
    // The budgeted path, as deployed, with a budget that keeps the full sync short.
    budget: 60_000,
  });
  const { emulators, album } = rig;
  const input: SyncInput = {
    campaign: album.campaign,
    productId: album.id,
    pageSize: opts.pageSize,
    trigger: 'bench',
    incremental: true,
  };
  const sync = async (extra: Partial<SyncInput> = {}) =>
    (await startSync(rig.client, rig.taskQueue, { ...input, ...extra })).result();
  try {
    return await rig.run(async () => {
      const full: SyncSummary = await sync({ incremental: false });
      for (const customerId of newBuyers(rig.dataset, album.id).slice(0, opts.newOrders)) {
        await addOrder(emulators.edd.url, customerId, album.id);
      }
      const needed = pagesNeeded(rig.dataset, full.watermark!.date, opts.pageSize);
      // Page reads: the windows of the run's page size (its seams and the connection check's
      // one-sale read are smaller).
      const pageReads = (from: number) =>
        new Set(
          rig.salesWindows
            .slice(from)
            .filter((w) => w.number === opts.pageSize)
            .map((w) => w.page),
        ).size;
      const ml0 = (await stats(emulators.mailerlite.url)).total;
      const edd0 = rig.salesWindows.length;
      const incremental = await sync();
      const ml1 = (await stats(emulators.mailerlite.url)).total;
      const edd1 = rig.salesWindows.length;
      const pagesRead = pageReads(edd0);
      await sync();
      const ml2 = (await stats(emulators.mailerlite.url)).total;
      const edd2 = rig.salesWindows.length;
      return {
        purchasers: full.fetched,
        pageSize: opts.pageSize,
        newOrders: opts.newOrders,
        mailerliteRequests: ml1 - ml0,
        idleMailerliteRequests: ml2 - ml1,
        salesRequests: edd1 - edd0,
        pagesRead,
        pagesNeeded: needed,
        beyondLookback: pagesRead - needed,
        created: incremental.created,
        pages: incremental.pages,
        readPast: incremental.incremental?.readPast ?? 0,
        idleSalesRequests: edd2 - edd1,
      };
    });
  } finally {
    await rig.close();
  }
}

/**
 * Figure 9: a campaign synced in full, then a 1-minute incremental schedule while orders of new
 * buyers complete steadily (one every `everySeconds`) for `minutes`; for each, the time from its
 * completion until MailerLite holds its buyer in the purchase group with its order. Real limits:
 * the emulator allows MailerLite's 120 requests a minute, and the worker has the default budget.
 */
export async function measureFreshness(opts: {
  server: LocalServer;
  customers: number;
  minutes: number;
  everySeconds: number;
}): Promise<FreshnessResult> {
  const rig = await startRig(opts.server, {
    customers: opts.customers,
    taskQueue: 'bench-freshness',
    rateLimitPerMinute: REAL_REQUESTS_PER_MINUTE,
    budget: loadConfig({}).MAILERLITE_REQUESTS_PER_MINUTE,
  });
  const { emulators, album } = rig;
  const group = tierGroupName(album.campaign, DEFAULT_PURCHASE_TIER);
  const key = fieldKey(purchaseFieldName(album.campaign));
  try {
    return await rig.run(async () => {
      await (
        await startSync(rig.client, rig.taskQueue, {
          campaign: album.campaign,
          productId: album.id,
          trigger: 'bench',
        })
      ).result();
      await createSyncSchedule(rig.client, rig.taskQueue, {
        campaign: album.campaign,
        timing: { every: '1m' },
        sync: { productId: album.id, incremental: true },
        createdBy: 'bench',
      });
      const buyers = newBuyers(rig.dataset, album.id);
      const emails = new Map(rig.dataset.customers.map((c) => [c.id, c.email.toLowerCase()]));
      const waiting = new Map<string, { orderId: number; at: number }>();
      const latencies: number[] = [];
      let placing = true;
      const check = async () => {
        const state = (await (await fetch(`${emulators.mailerlite.url}/_admin/state`)).json()) as {
          subscribers: { email: string; fields: Record<string, unknown>; groups: string[] }[];
        };
        const held = new Map(state.subscribers.map((s) => [s.email.toLowerCase(), s]));
        const now = performance.now();
        for (const [email, order] of waiting) {
          const s = held.get(email);
          if (s && s.groups.includes(group) && Number(s.fields[key]) === order.orderId) {
            latencies.push((now - order.at) / 1000);
            waiting.delete(email);
          }
        }
      };
      const watcher = (async () => {
        while (placing || waiting.size > 0) {
          await check();
          await new Promise((r) => setTimeout(r, 1000));
        }
      })();
      const until = performance.now() + opts.minutes * 60_000;
      let placed = 0;
      while (performance.now() < until && placed < buyers.length) {
        const customerId = buyers[placed++]!;
        const order = await addOrder(emulators.edd.url, customerId, album.id);
        waiting.set(emails.get(customerId)!, { orderId: order.id, at: performance.now() });
        await new Promise((r) => setTimeout(r, opts.everySeconds * 1000));
      }
      // Two more ticks at most for the last orders; what is not there by then is missing.
      const deadline = performance.now() + 150_000;
      placing = false;
      while (waiting.size > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
      const missing = waiting.size;
      waiting.clear();
      await watcher;
      const schedule = await rig.client.schedule
        .getHandle(`campaign-sync-schedule-${album.campaign}-incremental`)
        .describe();
      await deleteSyncSchedule(rig.client, album.campaign, 'incremental');
      return {
        minutes: opts.minutes,
        orders: placed,
        latencies: latencies.sort((a, b) => a - b),
        missing,
        runs: schedule.info.numActionsTaken,
      };
    });
  } finally {
    await rig.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string', default: '3000' },
      'page-size': { type: 'string', default: '100' },
      'new-orders': { type: 'string', default: '100' },
      minutes: { type: 'string', default: '4' },
      every: { type: 'string', default: '3' },
      only: { type: 'string' },
    },
  });
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const server = await startLocalServer();
  try {
    if (values.only !== 'freshness') {
      const r = await measureIncremental({
        server,
        customers: Number(values.customers),
        pageSize: Number(values['page-size']),
        newOrders: Number(values['new-orders']),
      });
      console.table([r]);
    }
    if (values.only !== 'incremental') {
      const f = await measureFreshness({
        server,
        customers: Number(values.customers),
        minutes: Number(values.minutes),
        everySeconds: Number(values.every),
      });
      console.log({
        ...f,
        latencies: undefined,
        p50: quantile(f.latencies, 0.5),
        p95: quantile(f.latencies, 0.95),
      });
    }
  } finally {
    await server.env.teardown();
  }
}

export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
