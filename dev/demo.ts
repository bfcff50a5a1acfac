import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, loadTemporalConnection, TemporalConnection, type Config } from '../src/config';
import { connectTemporal } from '../src/temporal/connection';
import {
  connectClient,
  formatProgress,
  formatSummary,
  runUrl,
  startSync,
  SyncAlreadyRunningError,
  uiBaseUrl,
  watchSync,
} from '../src/client';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import { runtimeLogging } from '../src/observability/sdk-logger';
import { installHealthSchedule } from '../src/temporal/health-schedule';
import { buildActivities, connectWorker, Runtime, SyncWorkers } from '../src/workers';
import { startEmulatorPair } from './emulator-pair';
import { generateDemoData } from './emulators';
import { expectedSync } from './expected-sync';
import { startLocalServer, type LocalServer } from './temporal/local-server';
import { registerSearchAttributes } from './temporal/search-attributes';

const HELP = `Usage: npm start -- [options]

Runs the whole system on this machine: a Temporal dev server (SQLite under the data folder, Web UI
on), the EDD and MailerLite emulators with the demo data, a worker, and one campaign sync started
through the CLI's client code. Prints progress, the summary and the run's link in the Temporal UI.

Options:
  --campaign CODE        campaign to sync (default 2024_ETB_NBL)
  --customers N          demo customers (default 2000)
  --seed N               demo data seed (default 42)
  --port N               Temporal gRPC port (default 7233; the UI is on port + 1000)
  --edd-port N           EDD emulator port (default: any free port)
  --mailerlite-port N    MailerLite emulator port (default: any free port)
  --rate-limit N         MailerLite emulator requests a minute (default 0 = unlimited; the real API allows 120)
  --keep                 keep everything running after the sync, to browse the UI (Ctrl-C stops)
  --help

With TEMPORAL_ADDRESS set (or a Temporal config file profile that names a server), uses that server,
with the same TLS and API key settings as the worker and the CLI, instead of starting one.`;

function intOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number >= 0, not '${value}'`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      campaign: { type: 'string', default: '2024_ETB_NBL' },
      customers: { type: 'string' },
      seed: { type: 'string' },
      port: { type: 'string' },
      'edd-port': { type: 'string' },
      'mailerlite-port': { type: 'string' },
      'rate-limit': { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const config = loadConfig();
  // Logs go to stderr at `warn` unless LOG_LEVEL says otherwise: stdout is the demo's own report.
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn', destination: process.stderr });
  Runtime.install(runtimeLogging(logger));
  const say = (line: string) => console.log(line);
  const campaign = values.campaign;
  const customers = intOption('customers', values.customers, 2000);
  const seed = intOption('seed', values.seed, 42);
  const rateLimit = intOption('rate-limit', values['rate-limit'], 0);
  const cleanup: Array<() => Promise<void>> = [];
  let keeping = false;
  // Ctrl-C during the sync: stop everything this process started (the dev server is a child
  // process and would outlive us), then exit 130. With --keep, after the sync, Ctrl-C is the normal
  // way out: the worker's own handler shuts it down and main() returns.
  const interrupt = (signal: NodeJS.Signals) => {
    if (keeping) return;
    say(`${signal}: stopping the worker, the emulators and the dev server...`);
    void (async () => {
      for (const step of cleanup) await step().catch(() => undefined);
      process.exit(130);
    })();
  };
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const dataset = generateDemoData({ seed, customers });
  const album = dataset.products.find((p) => p.campaign === campaign);
  if (!album) {
    const codes = dataset.products.flatMap((p) => (p.campaign ? [p.campaign] : []));
    throw new Error(
      `--campaign ${campaign} is not a campaign of the demo data; choose one of ${codes.join(', ')}`,
    );
  }
  const expected = expectedSync(dataset, album.id);

  try {
    // 1. Temporal: the configured server, or a local dev server with SQLite and the Web UI.
    let address = config.TEMPORAL_ADDRESS;
    let server: LocalServer | undefined;
    let target: TemporalConnection;
    if (address) {
      // Address, namespace, TLS and credentials, read as the worker and the CLI read them.
      target = loadTemporalConnection();
      const connection = await connectTemporal(target);
      await registerSearchAttributes(connection, target.namespace).finally(() => connection.close());
      say(`Temporal: using the server at ${target.describe()}`);
    } else {
      const port = intOption('port', values.port, 7233);
      const dbFilename = resolve(config.CAMPAIGN_SYNC_DATA_DIR, 'temporal.sqlite');
      server = await startLocalServer({ dbFilename, port, ui: true, uiPort: port + 1000, log: say });
      cleanup.unshift(() => server!.env.teardown());
      address = server.address;
      target = TemporalConnection.plain(address, config.TEMPORAL_NAMESPACE);
      say(
        `Temporal: dev server at ${address} (SQLite ${dbFilename}), Web UI ${server.uiUrl} [CLI from ${server.cli.source}]`,
      );
    }

    // 2. The provider emulators with the deterministic demo data.
    const emulators = await startEmulatorPair({
      dataset,
      eddPort: intOption('edd-port', values['edd-port'], 0),
      mailerlite: {
        port: intOption('mailerlite-port', values['mailerlite-port'], 0),
        rateLimitPerMinute: rateLimit,
      },
    });
    cleanup.unshift(() => emulators.close());
    const { edd, mailerlite } = emulators;
    say(
      `Emulators: EDD ${edd.url}, MailerLite ${mailerlite.url}/api (${dataset.customers.length} customers, seed ${seed})`,
    );

    // 3. A worker, wired exactly as the worker process wires one, pointed at the emulators.
    const nativeConnection = await connectWorker(target);
    cleanup.unshift(() => nativeConnection.close());
    // The activities' own Temporal client (schedules, run descriptions, the health check).
    const activityClient = await connectClient({ connection: target });
    cleanup.unshift(() => activityClient.connection.close());
    const worker = await SyncWorkers.create({
      connection: nativeConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      // The worker spends the emulator's budget as it would the real account's (none: no limit).
      mailerliteRequestsPerMinute: rateLimit > 0 ? Math.max(1, rateLimit - 10) : 0,
      activities: buildActivities({
        config,
        credentials: emulators.credentials,
        logger,
        metrics: createMetrics(),
        temporal: { client: activityClient, namespace: config.TEMPORAL_NAMESPACE },
      }),
    });
    const running = worker.run();
    if (config.HEALTH_SCHEDULE) {
      // Left in place, like the worker process does: 'campaign-sync health' and 'status' read its reports.
      await installHealthSchedule(activityClient, {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        every: config.HEALTH_INTERVAL,
      }).then(
        (r) => say(`Health: schedule ${r.scheduleId} ${r.outcome} (every ${r.every})`),
        (err: unknown) =>
          say(`Health: schedule not installed (${err instanceof Error ? err.message : String(err)})`),
      );
    }

    // 4. One sync, through the same client code as `campaign-sync sync start --wait`.
    const code = await (async () => {
      const client = await connectClient({ connection: target });
      try {
        const input = { campaign, trigger: 'demo' };
        const handle = await startSync(client, config.TEMPORAL_TASK_QUEUE, input).catch(
          async (err: unknown) => {
            if (!(err instanceof SyncAlreadyRunningError && err.runId)) throw err;
            // A run left open by an interrupted demo: its emulators died with that process, so it can
            // never finish against the same data. End it and start afresh.
            say(
              `${err.message}\nThat run is from an interrupted demo; terminating it and starting a new one.`,
            );
            await client.workflow
              .getHandle(err.workflowId, err.runId)
              .terminate('superseded by a new demo run');
            return startSync(client, config.TEMPORAL_TASK_QUEUE, input);
          },
        );
        const link = runUrl(
          uiUrl(config, address, server),
          config.TEMPORAL_NAMESPACE,
          handle.workflowId,
          handle.firstExecutionRunId,
        );
        say(`Sync started: workflow ${handle.workflowId}, run ${handle.firstExecutionRunId}`);
        const summary = await watchSync(handle, (p) => say(formatProgress(p)));
        say('');
        say(formatSummary(summary));
        say('');
        say(`Temporal UI: ${link}`);
        const synced = summary.created + summary.updated + summary.unchanged;
        const ok =
          synced === expected.subscribers.size &&
          summary.invalid === expected.invalidOrders &&
          summary.failed === 0;
        say(
          `${ok ? 'OK' : 'MISMATCH'}: synced ${synced} subscribers = the emulator's ${expected.subscribers.size} valid ` +
            `purchasers of ${album.title}; reported ${summary.invalid} invalid orders of ${expected.invalidOrders} known invalid.`,
        );
        return ok ? 0 : 1;
      } finally {
        await client.connection.close();
      }
    })();

    if (values.keep) {
      keeping = true;
      say('');
      say('Everything keeps running. Try, in another terminal:');
      say(`  temporal workflow list --address ${address}`);
      say(`  temporal workflow show --address ${address} --workflow-id campaign-sync-${campaign}`);
      say(`  TEMPORAL_ADDRESS=${address} npx campaign-sync sync status ${campaign}`);
      say('Press Ctrl-C to stop.');
      // The worker shuts down on SIGINT/SIGTERM by itself; `running` then resolves.
    } else {
      worker.shutdown();
    }
    await running;
    return code;
  } finally {
    for (const step of cleanup) await step().catch(() => undefined);
  }
}

function uiUrl(config: Config, address: string, server: LocalServer | undefined): string {
  return server?.uiUrl ?? uiBaseUrl(address, config.TEMPORAL_UI_URL);
}

main()
  .then((code) => process.exit(code))
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
