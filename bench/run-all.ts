import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { DefaultLogger } from '@temporalio/worker';
import { cancelSync, connectClient, startSync, SyncAlreadyRunningError } from '../src/client';
import { loadConfig } from '../src/config';
import { readRunHistory } from '../src/client/sync-report';
import { syncWorkflowId } from '../src/shared/names';
import type { SyncSummary } from '../src/shared/sync-types';
import { Runtime } from '../src/workers';
import { setLatency, startEmulatorPair, type EmulatorPair } from '../dev/emulator-pair';
import { expectedSync } from '../dev/expected-sync';
import { generateDemoData } from '../dev/emulators';
import { startLocalServer, type LocalServer } from '../dev/temporal/local-server';
import { peakResidentKiB, startWorker } from './large-campaign';
import { measureWriteThroughput, type ThroughputResult, type ThroughputRow } from './write-throughput';
import { runPlain, type PlainResult } from './plain-run';
import {
  measureFreshness,
  measureIncremental,
  quantile as freshnessQuantile,
  type FreshnessResult,
  type IncrementalResult,
} from './incremental';
import { measureOnePass } from './one-pass';

/** Purchasers of the benchmark album per demo customer (the generator's share, about 0.56). */
const PURCHASERS_PER_CUSTOMER = 0.56;

const USAGE = `npm run bench [-- options]

The figures of issues 7 and 17, measured in one run against a real Temporal dev server and the
emulators; prints each figure with its target and whether it was met.

  --sizes A,B              purchasers of the two scale runs (default 20000,200000)
  --page-size N            EDD sales per page, Temporal sync and plain script alike (default 1000)
  --throughput-customers N demo customers of the rate-limited run (default 10000)
  --scale N                time scale of the rate-limited run (default 2)
  --list-customers N       demo customers of the rate-limited list-path run, figures 7 and 8
                           (default 20000: about 11,000 new subscribers; the campaign is
                           made with campaign create first, as the README's steps do)
  --lock-attempts N        refused starts timed for the lock figure (default 200)
  --latency-ms N           figure 1 once more with every emulator answer delayed N ms, as a
                           network and real services would (default 20; 0 skips it)
  --freshness-minutes N    how long orders arrive for the freshness figure (default 4)
  --quick                  a smoke run: sizes 1000,10000, 2000 customers (both rate-limited runs),
                           50 attempts, 2 minutes of orders`;

interface SizeResult {
  purchasers: number;
  customers: number;
  full: Timed;
  rerun: Timed;
  peakMiB: number;
  plain: PlainResult;
  /** Figure 1 again with the emulators' answers delayed (absent with --latency-ms 0). */
  withLatency?: { temporal: number; plain: number };
  countsOk: boolean;
  lock?: LockResult;
}

interface Timed {
  seconds: number;
  summary: SyncSummary;
  writes: number;
  /** MailerLite requests of the run (figure 7). */
  requests: number;
  histories: number[];
}

interface LockResult {
  refusals: number[];
  /** Starts that were not refused (the lock did not hold, or the sync had ended). */
  started: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string' },
      'page-size': { type: 'string', default: '1000' },
      'throughput-customers': { type: 'string' },
      scale: { type: 'string', default: '2' },
      'list-customers': { type: 'string' },
      'lock-attempts': { type: 'string' },
      'latency-ms': { type: 'string', default: '20' },
      'freshness-minutes': { type: 'string' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const quick = values.quick;
  const sizes = (values.sizes ?? (quick ? '1000,10000' : '20000,200000')).split(',').map(Number);
  if (sizes.length !== 2 || sizes.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new Error('--sizes takes two positive integers, e.g. 20000,200000');
  }
  const pageSize = Number(values['page-size']);
  const throughputCustomers = Number(values['throughput-customers'] ?? (quick ? 2000 : 10000));
  const scale = Number(values.scale);
  const listCustomers = Number(values['list-customers'] ?? (quick ? 2000 : 20000));
  const lockAttempts = Number(values['lock-attempts'] ?? (quick ? 50 : 200));
  const latencyMs = Number(values['latency-ms']);
  Runtime.install({ logger: new DefaultLogger('ERROR') });

  const began = performance.now();
  const server = await startLocalServer();
  try {
    const results: SizeResult[] = [];
    for (const [i, purchasers] of sizes.entries()) {
      results.push(await measureSize(server, purchasers, pageSize, i === 0 ? lockAttempts : 0, latencyMs));
    }
    log(`figure 2: rate-limited run, ${throughputCustomers} customers, time x${scale}`);
    const throughput = await measureWriteThroughput({
      customers: throughputCustomers,
      scale,
      budget: loadConfig({}).MAILERLITE_REQUESTS_PER_MINUTE,
      server,
    });
    log(`figures 7 and 8: the list path, rate-limited, ${listCustomers} customers, time x${scale}`);
    const listPath = await measureWriteThroughput({
      customers: listCustomers,
      scale,
      budget: loadConfig({}).MAILERLITE_REQUESTS_PER_MINUTE,
      server,
      destinationRead: 'lists',
      // As the README's steps: `campaign create`, then syncs (the first sync measures writing).
      campaignCreatedFirst: true,
    });
    log('figure 6: incremental run after 100 new orders, and an idle one');
    const incremental = await measureIncremental({ server, customers: 3000, pageSize: 100, newOrders: 100 });
    const freshnessMinutes = Number(values['freshness-minutes'] ?? (quick ? 2 : 4));
    log(
      `figure 9: a 1-minute incremental schedule, an order every 3 s for ${freshnessMinutes} min, real limits`,
    );
    const freshness = await measureFreshness({
      server,
      customers: 3000,
      minutes: freshnessMinutes,
      everySeconds: 3,
    });
    log('figure 10: a full sync all of the demo store, against one campaign sync');
    const onePass = await measureOnePass({ server, customers: 3000, pageSize: 100 });
    report(
      results,
      throughput,
      listPath,
      { pageSize, latencyMs, minutes: (performance.now() - began) / 60_000 },
      [
        ...incrementalFigures(incremental),
        ...freshnessFigures(freshness),
        {
          figure: `10. one pass: sync all of ${onePass.campaigns} campaigns (${onePass.completed} completed)`,
          measured: `${onePass.syncAll} EDD sales list reads; one campaign's full sync: ${onePass.onePass}`,
          target: 'equal',
          met: onePass.syncAll === onePass.onePass ? 'yes' : 'NO',
        },
      ],
    );
  } finally {
    await server.env.teardown();
  }
}

/** Figures 1, 3, 5 (and 4 when `lockAttempts` > 0) at one size. */
async function measureSize(
  server: LocalServer,
  purchasers: number,
  pageSize: number,
  lockAttempts: number,
  latencyMs: number,
): Promise<SizeResult> {
  const customers = Math.round(purchasers / PURCHASERS_PER_CUSTOMER);
  const dataset = generateDemoData({ seed: 11, customers });
  const album = dataset.products.find((p) => p.campaign)!;
  const campaign = album.campaign!;
  const expected = expectedSync(dataset, album.id);
  log(
    `size ~${purchasers}: ${customers} customers, album ${campaign} has ${expected.subscribers.size} valid purchasers`,
  );
  const emulators = await startEmulatorPair({ dataset, mailerlite: { rateLimitPerMinute: 0 } });
  const taskQueue = `bench-size-${purchasers}`;
  const worker = await startWorker(server.address, taskQueue, emulators);
  const client = await connectClient({ address: server.address, namespace: 'default' });
  try {
    const input = { campaign, productId: album.id, pageSize, trigger: 'bench' };
    const timed = async (): Promise<Timed> => {
      const before = await mlStats(emulators);
      const started = performance.now();
      const handle = await startSync(client, taskQueue, input);
      const summary = await handle.result();
      const seconds = (performance.now() - started) / 1000;
      const after = await mlStats(emulators);
      const histories = await historyLengths(client, campaign, handle.firstExecutionRunId);
      return {
        seconds,
        summary,
        writes: after.writes - before.writes,
        requests: after.requests - before.requests,
        histories,
      };
    };
    log('  Temporal sync (full)');
    const full = await timed();
    const peakMiB = Math.round(peakResidentKiB(worker.child.pid!) / 1024);
    log(`    ${full.seconds.toFixed(1)} s, ${full.summary.created} created, peak RSS ${peakMiB} MiB`);
    log('  Temporal sync (re-run, nothing changed)');
    const rerun = await timed();
    log(`    ${rerun.seconds.toFixed(1)} s, ${rerun.writes} writes`);
    const countsOk =
      full.summary.created === expected.subscribers.size &&
      full.summary.invalid === expected.invalidOrders &&
      full.summary.fetched === expected.orders &&
      full.summary.failed === 0 &&
      rerun.summary.created + rerun.summary.updated + rerun.summary.failed === 0;

    let lock: LockResult | undefined;
    if (lockAttempts > 0) {
      log(`  lock: ${lockAttempts} second starts of a running sync`);
      lock = await measureLock(client, taskQueue, input, emulators, lockAttempts);
    }

    const emptyMailerLite = async () => {
      const reset = await fetch(`${emulators.mailerlite.url}/_admin/reset`, { method: 'POST' });
      if (!reset.ok) throw new Error(`MailerLite emulator reset answered HTTP ${reset.status}`);
    };
    const plainRun = async () => {
      const plain = await runPlain(emulators, campaign, album.id, pageSize);
      log(`    ${plain.seconds.toFixed(1)} s, ${plain.created} created`);
      if (plain.created !== expected.subscribers.size || plain.failed !== 0) {
        throw new Error(
          `the plain script created ${plain.created} of ${expected.subscribers.size} (failed ${plain.failed})`,
        );
      }
      return plain;
    };
    log('  plain script (no Temporal), MailerLite emptied first');
    await emptyMailerLite();
    const plain = await plainRun();

    let withLatency: SizeResult['withLatency'];
    if (latencyMs > 0) {
      await setLatency(emulators, latencyMs);
      try {
        log(`  with ${latencyMs} ms per answer: Temporal sync, MailerLite emptied first`);
        await emptyMailerLite();
        const temporal = await timed();
        log(`    ${temporal.seconds.toFixed(1)} s, ${temporal.summary.created} created`);
        if (temporal.summary.created !== expected.subscribers.size || temporal.summary.failed !== 0) {
          throw new Error(
            `the sync with latency created ${temporal.summary.created} of ${expected.subscribers.size}`,
          );
        }
        log(`  with ${latencyMs} ms per answer: plain script, MailerLite emptied first`);
        await emptyMailerLite();
        withLatency = { temporal: temporal.seconds, plain: (await plainRun()).seconds };
      } finally {
        await setLatency(emulators, 0);
      }
    }
    return {
      purchasers: expected.subscribers.size,
      customers,
      full,
      rerun,
      peakMiB,
      plain,
      withLatency,
      countsOk,
      lock,
    };
  } finally {
    await client.connection.close();
    worker.child.kill('SIGTERM');
    await worker.exited;
    await emulators.close();
  }
}

/** Times second starts of a sync held running by MailerLite latency, then cancels it. */
async function measureLock(
  client: Client,
  taskQueue: string,
  input: { campaign: string; productId: number; pageSize: number; trigger: string },
  emulators: EmulatorPair,
  attempts: number,
): Promise<LockResult> {
  const faults = `${emulators.mailerlite.url}/_admin/faults`;
  const set = await fetch(faults, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ latencyMs: 1000 }),
  });
  if (!set.ok) throw new Error(`setting the latency fault answered HTTP ${set.status}`);
  const handle = await startSync(client, taskQueue, input);
  const refusals: number[] = [];
  let started = 0;
  try {
    for (let i = 0; i < attempts; i++) {
      const t = performance.now();
      try {
        await startSync(client, taskQueue, input);
        started++;
      } catch (err) {
        if (!(err instanceof SyncAlreadyRunningError)) throw err;
        refusals.push(performance.now() - t);
      }
    }
  } finally {
    await cancelSync(client, input.campaign, { by: 'bench' }).catch(() => undefined);
    await handle.result().catch(() => undefined);
    await fetch(faults, { method: 'DELETE' });
  }
  return { refusals, started };
}

/**
 * Events of every run of a sync's chain, from its first run along continue-as-new. History is read
 * in small pages: one page of a 200,000-purchaser run can exceed the client's 4 MiB message limit.
 */
async function historyLengths(client: Client, campaign: string, firstRunId: string): Promise<number[]> {
  const lengths: number[] = [];
  for (let runId: string | undefined = firstRunId; runId;) {
    const events = await readRunHistory(client, syncWorkflowId(campaign), runId);
    lengths.push(events.length);
    runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
  }
  return lengths;
}

async function mlStats(emulators: EmulatorPair): Promise<{ writes: number; requests: number }> {
  const body = (await (await fetch(`${emulators.mailerlite.url}/_admin/stats`)).json()) as {
    writes: { total: number };
    requests: { total: number };
  };
  return { writes: body.writes.total, requests: body.requests.total };
}

interface Figure {
  figure: string;
  measured: string;
  target: string;
  met: string;
}

/** Figure 6 (issue 17): what an incremental run costs. */
function incrementalFigures(r: IncrementalResult): Figure[] {
  const cost = Math.ceil(r.newOrders / 25) + 1;
  return [
    {
      figure: `6. incremental, ${r.newOrders} new buyers after a full sync of ${r.purchasers}`,
      measured: `${r.mailerliteRequests} MailerLite requests (${r.created} created); ${r.pagesRead} sales pages read, ${r.pagesNeeded} needed for the lookback (${r.beyondLookback} beyond)`,
      target: `<= 5 requests (ceil(k/25)+1 = ${cost}), <= 2 pages beyond`,
      met: r.mailerliteRequests <= 5 && r.beyondLookback <= 2 ? 'yes' : 'NO',
    },
    {
      figure: '6. incremental, nothing new',
      measured: `${r.idleMailerliteRequests} MailerLite requests`,
      target: '0',
      met: r.idleMailerliteRequests === 0 ? 'yes' : 'NO',
    },
  ];
}

/** Figure 9 (issue 17): from an order completing to its buyer right in MailerLite. */
function freshnessFigures(f: FreshnessResult): Figure[] {
  const p50 = freshnessQuantile(f.latencies, 0.5);
  const p95 = freshnessQuantile(f.latencies, 0.95);
  return [
    {
      figure: `9. freshness, 1-minute incremental schedule, ${f.orders} orders over ${f.minutes} min`,
      measured: `p95 ${p95.toFixed(0)} s, p50 ${p50.toFixed(0)} s, max ${(f.latencies.at(-1) ?? NaN).toFixed(0)} s; ${f.missing} never arrived; ${f.runs} scheduled runs`,
      target: 'p95 <= 90 s, none missing',
      met: p95 <= 90 && f.missing === 0 ? 'yes' : 'NO',
    },
  ];
}

function report(
  results: SizeResult[],
  t: ThroughputResult,
  lists: ThroughputResult,
  run: { pageSize: number; latencyMs: number; minutes: number },
  more: Figure[] = [],
): void {
  const [small, large] = results as [SizeResult, SizeResult];
  const figures: Figure[] = [];
  const add = (figure: string, measured: string, target: string, met: boolean) =>
    figures.push({ figure, measured, target, met: met ? 'yes' : 'NO' });

  console.log(`\nScale runs (no rate limit, page size ${run.pageSize}, worker as its own process):`);
  console.table(
    results.map((r) => ({
      purchasers: r.purchasers,
      'Temporal s': round(r.full.seconds, 1),
      'plain script s': round(r.plain.seconds, 1),
      'plain / Temporal': round(r.plain.seconds / r.full.seconds, 2),
      runs: r.full.summary.runs,
      'events, largest run': Math.max(...r.full.histories, ...r.rerun.histories),
      'worker peak RSS MiB': r.peakMiB,
      'writes full': r.full.writes,
      're-run s': round(r.rerun.seconds, 1),
      'writes re-run': r.rerun.writes,
      'counts match': r.countsOk ? 'yes' : 'NO',
    })),
  );
  console.log('\nRate-limited runs (figure 2):');
  console.table(t.rows);
  console.log('\nRate-limited runs, list path (figures 7 and 8):');
  console.table(lists.rows);

  for (const r of results) {
    const ratio = r.plain.seconds / r.full.seconds;
    add(
      `1. engine overhead, ${r.purchasers} purchasers`,
      `${ratio.toFixed(2)} (plain script ${r.plain.seconds.toFixed(1)} s / Temporal ${r.full.seconds.toFixed(1)} s)`,
      '>= 1.0',
      ratio >= 1.0,
    );
  }
  for (const r of results) {
    if (!r.withLatency) continue;
    const { plain, temporal } = r.withLatency;
    add(
      `1. engine overhead, ${r.purchasers} purchasers, ${run.latencyMs} ms a request`,
      `${(plain / temporal).toFixed(2)} (plain script ${plain.toFixed(1)} s / Temporal ${temporal.toFixed(1)} s)`,
      '>= 1.0',
      plain / temporal >= 1.0,
    );
  }
  for (const row of t.rows) {
    add(
      `2. use of limits, ${row.run}`,
      `${row.fraction.toFixed(3)} of the best (${row['per minute (real limits)']}/min of ${row['best the limits allow']})`,
      '>= 0.9',
      row.fraction >= 0.9,
    );
  }
  add('2. records lost', `${t.lost} of ${t.expected}`, '0', t.lost === 0);
  const requests = t.rows.reduce((n, r) => n + r['API requests'], 0);
  const limited = t.rows.reduce((n, r) => n + r['429s'], 0);
  const share = requests > 0 ? limited / requests : 0;
  add(
    '2. 429 answers',
    `${limited} of ${requests} requests (${(share * 100).toFixed(2)}%)`,
    '< 1%',
    share < 0.01,
  );
  const growth = large.peakMiB / small.peakMiB - 1;
  add(
    `3. worker peak memory, ${small.purchasers} -> ${large.purchasers}`,
    `${small.peakMiB} -> ${large.peakMiB} MiB (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(0)}%)`,
    '<= +25%',
    growth <= 0.25,
  );
  for (const r of results) {
    const most = Math.max(...r.full.histories, ...r.rerun.histories);
    add(
      `3. history events, ${r.purchasers} purchasers`,
      `largest run ${most} (${r.full.summary.runs} runs full, ${r.rerun.summary.runs} re-run)`,
      '<= 4,096 a run',
      most <= 4096,
    );
  }
  const lock = small.lock;
  if (lock) {
    const sorted = [...lock.refusals].sort((a, b) => a - b);
    const p50 = quantile(sorted, 0.5);
    const p95 = quantile(sorted, 0.95);
    add(
      '4. lock: refusing a second start',
      `median ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms (${sorted.length} refused, ${lock.started} not)`,
      'p95 <= 100 ms, every start refused',
      p95 <= 100 && lock.started === 0,
    );
  }
  for (const r of results) {
    add(
      `5. incremental re-run, ${r.purchasers} purchasers`,
      `${r.rerun.writes} writes (full run ${r.full.writes}); time ${(r.rerun.seconds / r.full.seconds).toFixed(2)} of the full run`,
      '0 writes',
      r.rerun.writes === 0,
    );
  }
  figures.push(...listPathFigures(small, lists));
  figures.push(...more);
  const countsOk = results.every((r) => r.countsOk);
  add('counts of the scale runs match the ground truth', countsOk ? 'yes' : 'no', 'yes', countsOk);

  console.log(`\nBenchmarks of issues 7 and 17 (${run.minutes.toFixed(1)} min):`);
  console.table(figures);
}

/** Figures 7 and 8 (issue 17): a full sync's list path. */
function listPathFigures(small: SizeResult, lists: ThroughputResult): Figure[] {
  const figures: Figure[] = [];
  const add = (figure: string, measured: string, target: string, met: boolean) =>
    figures.push({ figure, measured, target, met: met ? 'yes' : 'NO' });
  const read = small.rerun.summary.destinationRead;
  const L = read?.listLimit ?? NaN;
  // The bench's MailerLite account holds no unsubscribed, bounced, junk or unconfirmed subscriber.
  const nonActive = 0;
  const bound = small.purchasers / L + nonActive / L + 3;
  add(
    `7. reconcile: unchanged full re-run, ${small.purchasers} purchasers`,
    `${small.rerun.requests} MailerLite requests (way ${read?.way ?? 'none'}, lists of ${L}); ` +
      `${small.rerun.summary.created + small.rerun.summary.updated} written`,
    `<= ${small.purchasers}/${L} + ${nonActive}/${L} + 3 = ${bound.toFixed(1)}`,
    read?.way === 'lists' && small.rerun.requests <= bound,
  );
  const [first, rerun] = lists.rows as [ThroughputRow, ThroughputRow];
  add(
    '7. reconcile rate at real limits (list path)',
    `${rerun['per minute (real limits)']} unchanged subscribers a minute (${rerun.subscribers} in ${rerun['API requests']} requests)`,
    'reported',
    rerun.way === 'lists',
  );
  add(
    '8. first sync (after campaign create), list path, use of limits',
    `${first.fraction.toFixed(3)} of ${first['best the limits allow']} (${first['per minute (real limits)']} a minute, ${first.subscribers} created)`,
    '>= 0.9',
    first.way === 'lists' && first.fraction >= 0.9,
  );
  const limited = lists.rows.reduce((n, r) => n + r['429s'], 0);
  add(
    '8. 429s / imports / lost',
    `${limited} / ${lists.imports} / ${lists.lost} of ${lists.expected}`,
    '0 / 0 / 0',
    limited === 0 && lists.imports === 0 && lists.lost === 0,
  );
  return figures;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
}

function round(n: number, digits: number): number {
  return Math.round(n * 10 ** digits) / 10 ** digits;
}

function log(line: string): void {
  console.log(line);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
