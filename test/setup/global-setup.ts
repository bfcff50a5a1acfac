import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startLocalServer } from '../../dev/temporal/local-server';
import { workflowsPath } from '../../src/workers/create-worker';
import { registerSearchAttributes } from '../../dev/temporal/search-attributes';
import { ensurePrometheus } from '../../dev/prometheus/ensure-prometheus';
import { ensureChromium } from '../../dev/browser/ensure-chromium';

/**
 * Once per test run: a real Temporal dev server (or the one TEMPORAL_ADDRESS names) and the
 * workflow bundle, shared by every test file through environment variables.
 */
export default async function globalSetup(): Promise<void> {
  const log = (m: string) => process.stderr.write(`${m}\n`);
  ensurePrometheus(log);
  // Before any test starts: installing Debian's Chromium can take longer than a test's timeout.
  ensureChromium(log);
  let address = process.env.TEMPORAL_ADDRESS;
  if (address) {
    const connection = await Connection.connect({ address });
    try {
      await registerSearchAttributes(connection, process.env.TEMPORAL_NAMESPACE ?? 'default');
    } finally {
      await connection.close();
    }
  } else {
    const server = await startLocalServer({ log });
    (globalThis as { __temporalTestEnv?: unknown }).__temporalTestEnv = server.env;
    address = server.address;
    log(
      `Temporal dev server for tests at ${address} (${server.cli.source}: ${server.cli.path ?? 'download'})`,
    );
  }
  const { code } = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quietLogger });
  const bundlePath = join(tmpdir(), `campaign-sync-workflows-${process.pid}.js`);
  writeFileSync(bundlePath, code);
  process.env.CAMPAIGN_SYNC_TEST_TEMPORAL_ADDRESS = address;
  process.env.CAMPAIGN_SYNC_TEST_BUNDLE = bundlePath;
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };
