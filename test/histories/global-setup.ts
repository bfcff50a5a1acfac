import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { startLocalServer } from '../../dev/temporal/local-server';
import { workflowsPath } from '../../src/workers/create-worker';

/**
 * The integration tests' global setup without Prometheus and Chromium, which recording does not
 * need: a real Temporal dev server and the workflow bundle, through the same environment variables.
 */
export default async function globalSetup(): Promise<void> {
  const log = (m: string) => process.stderr.write(`${m}\n`);
  const server = await startLocalServer({ log });
  (globalThis as { __temporalTestEnv?: unknown }).__temporalTestEnv = server.env;
  const { code } = await bundleWorkflowCode({ workflowsPath: workflowsPath(), logger: quietLogger });
  const bundlePath = join(tmpdir(), `campaign-sync-workflows-${process.pid}.js`);
  writeFileSync(bundlePath, code);
  process.env.CAMPAIGN_SYNC_TEST_TEMPORAL_ADDRESS = server.address;
  process.env.CAMPAIGN_SYNC_TEST_BUNDLE = bundlePath;
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };
