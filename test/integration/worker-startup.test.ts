import { randomBytes } from 'node:crypto';
import type { ConnectionLike } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { temporal as proto } from '@temporalio/proto';
import { DEMO_EDD_PUBLIC_KEY, DEMO_EDD_SECRET_KEY, DEMO_MAILERLITE_TOKEN } from '../../dev/emulators';
import { startSync } from '../../src/client';
import { eddToken } from '../../src/config';
import { syncWorkflowId, WORKFLOW_TYPES } from '../../src/shared/names';
import { SEARCH_ATTRIBUTES } from '../../src/shared/search-attributes';
import { uniqueTaskQueue } from '../helpers/temporal';
import { albums, uniqueCampaign } from '../helpers/stack';
import { useIntegrationStack } from '../helpers/integration';
import { spawnWorkerProcess, startWorkerProcess } from '../helpers/worker-process';
import { freePort as closedPort } from '../helpers/ports';

const { temporal, stack } = useIntegrationStack({ customers: 50 });

const KEYWORD = proto.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
const TEXT = proto.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT;

/**
 * A new namespace on the test dev server with only `attributes` registered, once the server
 * answers for it (a new namespace reaches the frontend's cache within seconds).
 */
async function namespaceWith(
  connection: ConnectionLike,
  attributes: Record<string, proto.api.enums.v1.IndexedValueType>,
): Promise<string> {
  const namespace = `startup-${randomBytes(4).toString('hex')}`;
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: msToTs('1 day'),
  });
  const until = Date.now() + 60_000;
  let added = Object.keys(attributes).length === 0;
  for (;;) {
    try {
      if (!added) {
        await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: attributes });
        added = true;
      }
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
      const names = Object.keys(customAttributes ?? {});
      if (Object.keys(attributes).every((name) => names.includes(name))) return namespace;
    } catch (err) {
      if (Date.now() > until) throw err;
    }
    if (Date.now() > until) throw new Error(`namespace ${namespace} did not get its search attributes`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A worker process on `namespace`, which should refuse to start: its exit code and output. */
async function refusedStart(namespace: string): Promise<{ code: number | null; output: string }> {
  const worker = spawnWorkerProcess(temporal.address, uniqueTaskQueue('startup'), stack, 0, {
    TEMPORAL_NAMESPACE: namespace,
  });
  const timer = setTimeout(() => worker.kill(), 90_000);
  try {
    const code = await worker.exited;
    return { code, output: worker.output() };
  } finally {
    clearTimeout(timer);
  }
}

/** The JSON log lines of a worker's output (other lines, e.g. an uncaught error, skipped). */
function logLines(output: string): Record<string, unknown>[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

interface LoggedError {
  type?: string;
  message?: string;
  stack?: string;
  code?: string;
  cause?: LoggedError;
}

describe('the worker refuses to start without its search attributes', () => {
  it('names all five and the commands that register them, in a namespace that has none (exit 1, before polling)', async () => {
    const namespace = await namespaceWith(temporal.client.connection, {});
    const { code, output } = await refusedStart(namespace);
    expect(code).toBe(1);
    expect(output).toContain(
      `Temporal namespace '${namespace}' lacks the search attributes CampaignCode, SyncTrigger, SyncMode, SyncStatus, HealthStatus`,
    );
    for (const key of SEARCH_ATTRIBUTES) {
      expect(output).toContain(
        `temporal operator search-attribute create --address ${temporal.address} --namespace ${namespace} --name ${key.name} --type Keyword`,
      );
    }
    // It stopped before bundling the workflow code and before polling.
    expect(output).not.toMatch(/workflow code bundled|worker started|Worker state changed/);
  });

  it('names only the one missing when the others are registered', async () => {
    const namespace = await namespaceWith(
      temporal.client.connection,
      Object.fromEntries(
        SEARCH_ATTRIBUTES.filter((key) => key.name !== 'SyncStatus').map((key) => [key.name, KEYWORD]),
      ),
    );
    const { code, output } = await refusedStart(namespace);
    expect(code).toBe(1);
    expect(output).toContain(
      `Temporal namespace '${namespace}' lacks the search attributes SyncStatus, which`,
    );
    expect(output).toContain(`--namespace ${namespace} --name SyncStatus --type Keyword`);
    expect(output.match(/search-attribute create/g)).toHaveLength(1);
    for (const name of ['CampaignCode', 'SyncTrigger', 'SyncMode', 'HealthStatus'])
      expect(output).not.toContain(name);
  });

  it('names one registered with another type, and the commands that replace it', async () => {
    const namespace = await namespaceWith(temporal.client.connection, {
      ...Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, KEYWORD])),
      SyncMode: TEXT,
    });
    const { code, output } = await refusedStart(namespace);
    expect(code).toBe(1);
    expect(output).toContain(
      `Temporal namespace '${namespace}' has search attributes of the wrong type: SyncMode is Text, the workflows need Keyword.`,
    );
    expect(output).toContain(
      `temporal operator search-attribute remove --address ${temporal.address} --namespace ${namespace} --name SyncMode --yes`,
    );
    expect(output).toContain(`--namespace ${namespace} --name SyncMode --type Keyword`);
    expect(output).not.toContain('lacks');
  });
});

describe("the worker's logs", () => {
  it('keep the cause of an activity failing on an unreachable EDD and of a failed workflow, with no {} errors, no secrets and no webpack report', async () => {
    const port = await closedPort();
    const taskQueue = uniqueTaskQueue('logs');
    // Bundling at start (no WORKFLOW_BUNDLE_PATH), as `npm run worker` does.
    const worker = await startWorkerProcess(temporal.address, taskQueue, stack, 0, {
      EDD_BASE_URL: `http://127.0.0.1:${port}`,
    });
    const campaign = uniqueCampaign();
    const invalid = uniqueCampaign();
    try {
      await startSync(temporal.client, taskQueue, { campaign, productId: albums(stack.dataset)[0]!.id });
      expect(await worker.waitForOutput('"msg":"Activity failed"', 60_000)).toBe(true);
      // A workflow that fails at once (input straight to the workflow, past the client's check).
      const failed = await temporal.client.workflow.start(WORKFLOW_TYPES.campaignSync, {
        taskQueue,
        workflowId: syncWorkflowId(invalid),
        args: [{ campaign: invalid, pageSize: 5000 }],
      });
      await expect(failed.result()).rejects.toThrow();
      expect(await worker.waitForOutput('"msg":"Workflow failed"', 30_000)).toBe(true);
    } finally {
      await temporal.client.workflow
        .getHandle(syncWorkflowId(campaign))
        .terminate('test over')
        .catch(() => undefined);
      expect(await worker.stop()).toBe(0);
    }
    const output = worker.output();
    const lines = logLines(output);

    // The connection check is the first activity to meet the closed port: its failure says where,
    // why (Node's own words) and what to set. (A cause chain's logging is unit-tested.)
    const activityFailed = lines.find((l) => l.msg === 'Activity failed')!;
    expect(activityFailed.level).toBe(40);
    const error = activityFailed.error as LoggedError;
    expect(error.type).toBe('ProviderUnreachableError');
    expect(error.message).toMatch(
      new RegExp(
        `^EDD at http://127\\.0\\.0\\.1:${port} could not be reached from worker \\d+@\\S+ ` +
          `\\(edd GET /customers: connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\)\\. Check EDD_BASE_URL`,
      ),
    );
    expect(error.stack).toMatch(/^ProviderUnreachableError: EDD at/);

    const workflowFailed = lines.find((l) => l.msg === 'Workflow failed')!;
    expect((workflowFailed.error as LoggedError).message).toMatch(/^Invalid sync input: pageSize/);

    expect(output).not.toMatch(/"(error|err|failure|cause)":\{\}/);
    for (const secret of [
      DEMO_EDD_PUBLIC_KEY,
      DEMO_EDD_SECRET_KEY,
      eddToken(DEMO_EDD_SECRET_KEY, DEMO_EDD_PUBLIC_KEY),
      DEMO_MAILERLITE_TOKEN,
    ]) {
      expect(output).not.toContain(secret);
    }

    // One short line for the bundle at info; webpack's report of every module is not at info.
    expect(output).not.toMatch(/asset workflow-bundle|orphan modules|modules by path/);
    const bundled = lines.filter((l) => l.msg === 'workflow code bundled');
    expect(bundled).toHaveLength(1);
    expect(bundled[0]!.level).toBe(30);
    expect(bundled[0]!.sizeMiB).toBeGreaterThan(0.5);
    expect(bundled[0]!.durationMs).toBeGreaterThan(0);
    expect(Math.max(...output.split('\n').map((l) => l.length))).toBeLessThan(8_000);
  });

  it('are human-readable lines with LOG_PRETTY=true', async () => {
    const worker = await startWorkerProcess(
      temporal.address,
      uniqueTaskQueue('pretty'),
      stack,
      0,
      { LOG_PRETTY: 'true', WORKFLOW_BUNDLE_PATH: process.env.CAMPAIGN_SYNC_TEST_BUNDLE! },
      /\bINFO\b.*: worker started/,
    );
    expect(await worker.stop()).toBe(0);
    const output = worker.output();
    expect(output).toMatch(/\bINFO\b.*: worker stopped/);
    expect(output).toMatch(/^\s+taskQueue: "pretty-/m);
    expect(output).not.toMatch(/^\{"level"/m);
  });
});
