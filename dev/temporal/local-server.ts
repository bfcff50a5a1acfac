import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes';
import { findTemporalCli, type FoundCli } from './find-cli';

/**
 * One partition per task queue. A task queue's rate limit (the MailerLite queue's request budget)
 * is split over its partitions, and with the default four an unevenly spread load gets only part
 * of it (measured: about 80% of the budget with four partitions, all of it with one). A dev server
 * has no load that needs more; a production cluster sets this for the MailerLite queue only.
 */
const ONE_PARTITION = [
  '--dynamic-config-value',
  'matching.numTaskqueueReadPartitions=1',
  '--dynamic-config-value',
  'matching.numTaskqueueWritePartitions=1',
];

/**
 * Eager activity execution: an activity a workflow schedules on its own task queue, when the same
 * worker has a free slot, comes back in the answer to the workflow task that scheduled it, instead
 * of through a poll (measured on a 10,000-purchaser sync: a mean of 16-20 ms from scheduled to
 * started without it). Off by default in the server; production sets it the same way
 * (deploy/temporal-dynamic-config.yaml).
 */
const EAGER_ACTIVITIES = ['--dynamic-config-value', 'system.enableActivityEagerExecution=true'];

export interface LocalServerOptions {
  /** SQLite file for persistence; in memory when absent. Its folder is created. */
  dbFilename?: string;
  /** gRPC port; a free one when absent. */
  port?: number;
  /** Serve the Web UI (on `uiPort`, default port + 1000). */
  ui?: boolean;
  uiPort?: number;
  log?: (message: string) => void;
  /** Extra `temporal server start-dev` arguments. */
  extraArgs?: string[];
}

export interface LocalServer {
  env: TestWorkflowEnvironment;
  address: string;
  uiUrl?: string;
  cli: FoundCli;
}

/**
 * Starts a real Temporal dev server (the `temporal` CLI found or built by {@link findTemporalCli})
 * through the SDK, with the project's search attributes registered.
 */
export async function startLocalServer(opts: LocalServerOptions = {}): Promise<LocalServer> {
  for (const port of [
    opts.port,
    opts.ui ? (opts.uiPort ?? (opts.port !== undefined ? opts.port + 1000 : undefined)) : undefined,
  ]) {
    if (port !== undefined && !(await portIsFree(port))) {
      // The dev server would log the clash and the SDK would then connect to whatever holds the
      // port: say so instead of silently using someone else's server.
      throw new Error(
        `Port ${port} is already in use (another Temporal server, or one left over from an earlier run?). ` +
          `Stop it, choose other ports, or set TEMPORAL_ADDRESS to use the server that is running.`,
      );
    }
  }
  const cli = findTemporalCli({ log: opts.log });
  if (opts.dbFilename) mkdirSync(dirname(opts.dbFilename), { recursive: true });
  const create = () =>
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: cli.executable,
        dbFilename: opts.dbFilename,
        port: opts.port,
        ui: opts.ui ?? false,
        uiPort: opts.uiPort,
        searchAttributes: [...SEARCH_ATTRIBUTES],
        extraArgs: [...ONE_PARTITION, ...EAGER_ACTIVITIES, ...(opts.extraArgs ?? [])],
        log: { format: 'pretty', level: 'warn' },
      },
    });
  let env: TestWorkflowEnvironment;
  try {
    env = await create();
  } catch (err) {
    // The SDK waits only a few seconds for the server; a cold first start (or a SQLite file being
    // migrated) can take longer. One more try covers it.
    opts.log?.(`Temporal dev server did not come up in time (${(err as Error).message}); trying once more.`);
    env = await create();
  }
  const port = Number(env.address.split(':').pop());
  const uiUrl = opts.ui ? `http://localhost:${opts.uiPort ?? port + 1000}` : undefined;
  return { env, address: env.address, uiUrl, cli };
}

/** True when nothing listens on the port (on any local address). */
function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, () => probe.close(() => resolve(true)));
  });
}
