import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connectClient, startSync } from '../src/client';
import { readRunHistory, syncReport } from '../src/client/sync-report';
import { syncWorkflowId } from '../src/shared/names';
import { startEmulatorPair } from '../dev/emulator-pair';
import { expectedSync } from '../dev/expected-sync';
import {
  DEMO_EDD_PUBLIC_KEY,
  DEMO_EDD_SECRET_KEY,
  DEMO_MAILERLITE_TOKEN,
  generateDemoData,
} from '../dev/emulators';
import { startLocalServer } from '../dev/temporal/local-server';
import { WORKER_NODE_ARGS } from '../src/workers/heap';

/**
 * A campaign of about 200,000 purchasers synced end to end against the emulators with no rate
 * limit: a real dev server, the emulators in this process, and the worker as its own process
 * (`dist/src/workers/main.js`, as deployed), so its memory is measured alone. Prints the sync's
 * time, the runs continue-as-new made and the largest history among them, and the worker's peak
 * resident memory (VmHWM), and checks the counts against the emulator's ground truth.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      customers: { type: 'string', default: '360000' },
      'page-size': { type: 'string', default: '1000' },
    },
  });
  const customers = Number(values.customers);
  const pageSize = Number(values['page-size']);

  let t = performance.now();
  const dataset = generateDemoData({ seed: 11, customers });
  const album = dataset.products.find((p) => p.campaign)!;
  const expected = expectedSync(dataset, album.id);
  const emulators = await startEmulatorPair({ dataset, mailerlite: { rateLimitPerMinute: 0 } });
  console.log(
    `data: ${customers} customers, ${dataset.sales.length} sales; album ${album.campaign} has ` +
      `${expected.orders} orders and ${expected.subscribers.size} valid purchasers (${secs(t)} s)`,
  );

  const server = await startLocalServer();
  const taskQueue = 'bench-large-campaign';
  const worker = await startWorker(server.address, taskQueue, emulators);
  const client = await connectClient({ address: server.address, namespace: 'default' });
  try {
    t = performance.now();
    const handle = await startSync(client, taskQueue, {
      campaign: album.campaign!,
      productId: album.id,
      pageSize,
      trigger: 'bench',
    });
    const summary = await handle.result();
    const seconds = (performance.now() - t) / 1000;
    const peakKiB = peakResidentKiB(worker.child.pid!);

    // Every run of the chain, with its history length.
    const report = await syncReport(client, album.campaign!);
    const histories: number[] = [];
    for (const runId of report.runs) {
      histories.push((await readRunHistory(client, syncWorkflowId(album.campaign!), runId)).length);
    }
    const ok =
      summary.created === expected.subscribers.size &&
      summary.invalid === expected.invalidOrders &&
      summary.fetched === expected.orders &&
      summary.failed === 0;
    console.table([
      {
        purchasers: expected.subscribers.size,
        created: summary.created,
        invalid: summary.invalid,
        superseded: summary.superseded,
        'page size': pageSize,
        seconds: Math.round(seconds * 10) / 10,
        'per second': Math.round(summary.created / seconds),
        runs: summary.runs,
        'largest history (events)': Math.max(...histories),
        'worker peak RSS (MiB)': Math.round(peakKiB / 1024),
      },
    ]);
    console.log(`history events per run: ${histories.join(', ')}`);
    console.log(ok ? 'OK: counts match the emulator ground truth' : 'MISMATCH with the ground truth');
    if (!ok) process.exitCode = 1;
  } finally {
    await closeAll({ client, worker, emulators, server });
  }
}

/** Stops what a benchmark started, in order: the client, the worker, the emulators, the dev server. */
export async function closeAll(parts: {
  client: { connection: { close(): Promise<void> } };
  worker: { child: ChildProcess; exited: Promise<unknown> };
  emulators: { close(): Promise<void> };
  server: { env: { teardown(): Promise<void> } };
}): Promise<void> {
  await parts.client.connection.close();
  parts.worker.child.kill('SIGTERM');
  await parts.worker.exited;
  await parts.emulators.close();
  await parts.server.env.teardown();
}

export async function startWorker(
  address: string,
  taskQueue: string,
  emulators: Awaited<ReturnType<typeof startEmulatorPair>>,
): Promise<{ child: ChildProcess; exited: Promise<unknown> }> {
  // The worker's flags as deployed, then more for the worker alone (a later flag wins), e.g.
  // BENCH_WORKER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
  const nodeArgs = [
    ...WORKER_NODE_ARGS,
    ...(process.env.BENCH_WORKER_NODE_ARGS ?? '').split(' ').filter(Boolean),
  ];
  const child = spawn(process.execPath, [...nodeArgs, join(__dirname, '..', 'src', 'workers', 'main.js')], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      EDD_BASE_URL: emulators.edd.url,
      EDD_PUBLIC_KEY: DEMO_EDD_PUBLIC_KEY,
      EDD_SECRET_KEY: DEMO_EDD_SECRET_KEY,
      MAILERLITE_BASE_URL: `${emulators.mailerlite.url}/api`,
      MAILERLITE_API_TOKEN: DEMO_MAILERLITE_TOKEN,
      // No rate limit: the emulator enforces none either.
      MAILERLITE_REQUESTS_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
      // How the worker finds customers, when the bench is run with it set (default: the worker's).
      ...(process.env.EDD_CUSTOMER_LOOKUP ? { EDD_CUSTOMER_LOOKUP: process.env.EDD_CUSTOMER_LOOKUP } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  // BENCH_WORKER_OUTPUT=<file> keeps what the worker prints (with e.g. --trace-gc in the args above).
  const keep = process.env.BENCH_WORKER_OUTPUT;
  const collect = (d: Buffer): void => {
    if (keep) appendFileSync(keep, d);
    else output += d.toString();
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise((resolve) => child.on('exit', resolve));
  // LOG_LEVEL warn hides "worker started": wait for its polling instead.
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the worker exited:\n${output || `(in ${keep})`}`);
    if (await hasPoller(address, taskQueue)) return { child, exited };
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`the worker did not start polling:\n${output || `(in ${keep})`}`);
}

async function hasPoller(address: string, taskQueue: string): Promise<boolean> {
  const client = await connectClient({ address, namespace: 'default' });
  try {
    const { pollers } = await client.workflowService.describeTaskQueue({
      namespace: 'default',
      taskQueue: { name: taskQueue },
    });
    return (pollers ?? []).length > 0;
  } finally {
    await client.connection.close();
  }
}

/** The process's peak resident set size so far, from Linux's /proc (VmHWM). */
export function peakResidentKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]);
}

function secs(since: number): string {
  return ((performance.now() - since) / 1000).toFixed(1);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
