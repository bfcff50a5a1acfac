import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes';
import { findTemporalCli, type FoundCli } from './find-cli';

export interface LocalServerOptions {
  /** SQLite file for persistence; in memory when absent. Its folder is created. */
  dbFilename?: string;
  /** gRPC port; a free one when absent. */
  port?: number;
  /** Serve the Web UI (on `uiPort`, default port + 1000). */
  ui?: boolean;
  uiPort?: number;
  log?: (message: string) => void;
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
