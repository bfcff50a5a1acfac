import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DefaultLogger } from '@temporalio/worker';
import { connectClient, startSync } from '../src/client';
import { readRunHistory } from '../src/client/sync-report';
import { syncWorkflowId } from '../src/shared/names';
import { temporal } from '@temporalio/proto';
import { Runtime } from '../src/workers';
import { setLatency, startEmulatorPair } from '../dev/emulator-pair';
import { expectedSync } from '../dev/expected-sync';
import { generateDemoData } from '../dev/emulators';
import { startLocalServer } from '../dev/temporal/local-server';
import { closeAll, startWorker } from './large-campaign';
import { runPlain } from './plain-run';

const USAGE = `npm run bench:profile [-- options]

Where the time of figure 1 goes: one campaign synced on Temporal, then by the plain script, with the
wall time and the CPU seconds of each process (worker, Temporal dev server, the emulators, the plain
script). A process whose CPU seconds come close to the wall time is the one the run waits on.

  --purchasers N   about this many valid purchasers (default 10000)
  --page-size N    EDD sales per page (default 1000)
  --lanes N        the sync's writeLanes (default: the sync's default)
  --latency-ms N   delay every emulator answer by N ms (default 0), as a network and a real
                   service would`;

/** Purchasers of the benchmark album per demo customer (as in run-all). */
const PURCHASERS_PER_CUSTOMER = 0.56;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      purchasers: { type: 'string', default: '10000' },
      'page-size': { type: 'string', default: '1000' },
      'latency-ms': { type: 'string', default: '0' },
      lanes: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const purchasers = Number(values.purchasers);
  const pageSize = Number(values['page-size']);
  Runtime.install({ logger: new DefaultLogger('ERROR') });

  const dataset = generateDemoData({ seed: 11, customers: Math.round(purchasers / PURCHASERS_PER_CUSTOMER) });
  const album = dataset.products.find((p) => p.campaign)!;
  const expected = expectedSync(dataset, album.id);
  const server = await startLocalServer();
  const serverPid = findServerPid(server.address);
  const emulators = await startEmulatorPair({ dataset, mailerlite: { rateLimitPerMinute: 0 } });
  await setLatency(emulators, Number(values['latency-ms']));
  const taskQueue = 'bench-profile';
  const worker = await startWorker(server.address, taskQueue, emulators);
  const client = await connectClient({ address: server.address, namespace: 'default' });
  const rows: Record<string, number | string>[] = [];
  let events: ReturnType<typeof historyByType> = [];
  let timings: ReturnType<typeof activityTimings> = [];
  try {
    const before = { worker: cpuOf(worker.child.pid!), server: cpuOf(serverPid), self: selfCpu() };
    const started = performance.now();
    const handle = await startSync(client, taskQueue, {
      campaign: album.campaign!,
      productId: album.id,
      pageSize,
      trigger: 'bench',
      ...(values.lanes ? { writeLanes: Number(values.lanes) } : {}),
    });
    const summary = await handle.result();
    const wall = (performance.now() - started) / 1000;
    rows.push({
      run: 'Temporal sync',
      'wall s': round(wall),
      'worker CPU s': round(cpuOf(worker.child.pid!) - before.worker),
      'server CPU s': round(cpuOf(serverPid) - before.server),
      'emulators CPU s': round(selfCpu() - before.self),
      'plain script CPU s': '',
      created: summary.created,
    });
    const history = await readRunHistory(client, syncWorkflowId(album.campaign!), handle.firstExecutionRunId);
    events = historyByType(history);
    timings = activityTimings(history);

    const reset = await fetch(`${emulators.mailerlite.url}/_admin/reset`, { method: 'POST' });
    if (!reset.ok) throw new Error(`MailerLite emulator reset answered HTTP ${reset.status}`);
    const self = selfCpu();
    const plain = await runPlain(emulators, album.campaign!, album.id, pageSize);
    rows.push({
      run: 'plain script',
      'wall s': round(plain.seconds),
      'worker CPU s': '',
      'server CPU s': '',
      'emulators CPU s': round(selfCpu() - self),
      'plain script CPU s': round(plain.cpuSeconds),
      created: plain.created,
    });
  } finally {
    await closeAll({ client, worker, emulators, server });
  }
  console.log(
    `${expected.subscribers.size} valid purchasers, ${expected.orders} orders, page size ${pageSize}; ` +
      `emulators CPU includes this process's own small share`,
  );
  console.table(rows);
  console.log('History of the (first) run, by event type, with the bytes of its attributes:');
  console.table(events);
  console.log(
    'Activities of that run: waiting for a worker (scheduled to started) and running (started to closed), ms:',
  );
  console.table(timings);
}

/** Per activity type: how many, and the mean and largest wait and run time, from the events' times. */
function activityTimings(history: temporal.api.history.v1.IHistoryEvent[]) {
  const ms = (e: temporal.api.history.v1.IHistoryEvent) =>
    Number(e.eventTime?.seconds ?? 0) * 1000 + Math.round((e.eventTime?.nanos ?? 0) / 1e6);
  const byId = new Map(history.map((e) => [Number(e.eventId), e]));
  const stats = new Map<string, { n: number; wait: number; run: number; maxWait: number; maxRun: number }>();
  for (const e of history) {
    const done = e.activityTaskCompletedEventAttributes;
    if (!done) continue;
    const scheduled = byId.get(Number(done.scheduledEventId));
    const started = byId.get(Number(done.startedEventId));
    if (!scheduled || !started) continue;
    const type = scheduled.activityTaskScheduledEventAttributes?.activityType?.name ?? '?';
    const s = stats.get(type) ?? { n: 0, wait: 0, run: 0, maxWait: 0, maxRun: 0 };
    const wait = ms(started) - ms(scheduled);
    const run = ms(e) - ms(started);
    s.n++;
    s.wait += wait;
    s.run += run;
    s.maxWait = Math.max(s.maxWait, wait);
    s.maxRun = Math.max(s.maxRun, run);
    stats.set(type, s);
  }
  return [...stats].map(([type, s]) => ({
    type,
    count: s.n,
    'mean wait': Math.round(s.wait / s.n),
    'max wait': s.maxWait,
    'mean run': Math.round(s.run / s.n),
    'max run': s.maxRun,
  }));
}

/** Events of a history by type, and the encoded size of each type's attributes. */
function historyByType(history: temporal.api.history.v1.IHistoryEvent[]) {
  const byType = new Map<string, { events: number; bytes: number }>();
  for (const event of history) {
    const type = temporal.api.enums.v1.EventType[event.eventType ?? 0] ?? String(event.eventType);
    const entry = byType.get(type) ?? { events: 0, bytes: 0 };
    entry.events++;
    entry.bytes += temporal.api.history.v1.HistoryEvent.encode(event).finish().length;
    byType.set(type, entry);
  }
  return [...byType].map(([type, e]) => ({ type: type.replace('EVENT_TYPE_', ''), ...e }));
}

/** User plus system CPU seconds of a process, from /proc/<pid>/stat. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat(5); here counted from field 3 (state).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function selfCpu(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}

/** The dev server listening on the address's port: a child process running `server start-dev`. */
function findServerPid(address: string): number {
  const port = address.split(':').pop()!;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const args = cmdline.split('\0');
    if (args.includes('start-dev') && args.includes(port)) return Number(entry);
  }
  throw new Error(`no Temporal dev server process found for ${address}`);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
