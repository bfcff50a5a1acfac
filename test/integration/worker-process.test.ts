import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectedSync } from '../../dev/expected-sync';
import { startSync } from '../../src/client';
import { fieldKey, purchaseFieldName } from '../../src/shared/campaign';
import type { SyncProgress } from '../../src/shared/sync-types';
import { uniqueTaskQueue } from '../helpers/temporal';
import { albums, mailerliteSubscribers, setFaults, uniqueCampaign } from '../helpers/stack';
import { eventually } from '../helpers/eventually';
import { useIntegrationStack } from '../helpers/integration';
import { startWorkerProcess } from '../helpers/worker-process';
import { freePort } from '../helpers/ports';

const { temporal, stack } = useIntegrationStack({ customers: 2000, per: 'test' });

/** The campaign's state in MailerLite equals the expected sync, subscriber by subscriber. */
async function expectExactState(campaign: string, productId: number): Promise<number> {
  const expected = expectedSync(stack.dataset, productId);
  const key = fieldKey(purchaseFieldName(campaign));
  const subscribers = await mailerliteSubscribers(stack.mailerlite);
  const emails = subscribers.map((s) => s.email.toLowerCase());
  expect(new Set(emails).size).toBe(emails.length);
  expect(emails.sort()).toEqual([...expected.subscribers.keys()].sort());
  for (const s of subscribers) {
    expect(Number(s.fields[key])).toBe(expected.subscribers.get(s.email.toLowerCase())!.orderId);
  }
  return subscribers.length;
}

describe('the worker as its own process', () => {
  it('drains on SIGTERM (exit 0) mid-sync, and a new worker finishes the sync with nothing lost or doubled', async () => {
    const campaign = uniqueCampaign();
    const product = albums(stack.dataset)[0]!;
    const taskQueue = uniqueTaskQueue('sigterm');
    // Slow MailerLite a little, so the sync is surely mid-way when the signal comes.
    await setFaults(stack.mailerlite, { latencyMs: 40 });
    const first = await startWorkerProcess(temporal.address, taskQueue, stack, 0, {
      SHUTDOWN_GRACE_SECONDS: '10',
    });
    const handle = await startSync(temporal.client, taskQueue, {
      campaign,
      productId: product.id,
      pageSize: 50,
      // Writes counted page by page (the list path counts ~1,000 records at a time, and its lost
      // worker is tested in list-path.test.ts).
      destinationRead: 'per-buyer',
    });
    let progress: SyncProgress | undefined;
    for (let i = 0; i < 600 && (progress?.created ?? 0) < 100; i++) {
      progress = await handle.query<SyncProgress>('progress').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(progress?.created).toBeGreaterThanOrEqual(100);

    const stoppedAt = Date.now();
    const code = await first.stop();
    expect(code).toBe(0);
    // It stopped within its grace period, and the sync is still running (waiting for a worker).
    expect(Date.now() - stoppedAt).toBeLessThan(15_000);
    expect(first.output()).toMatch(/"msg":"worker stopped"/);
    expect((await handle.describe()).status.name).toBe('RUNNING');

    const second = await startWorkerProcess(temporal.address, taskQueue, stack, 0);
    try {
      const summary = await handle.result();
      const expected = expectedSync(stack.dataset, product.id);
      expect(summary).toMatchObject({
        status: 'completed',
        created: expected.subscribers.size,
        invalid: expected.invalidOrders,
        failed: 0,
      });
      expect(await expectExactState(campaign, product.id)).toBe(expected.subscribers.size);
    } finally {
      await second.stop();
    }
  });

  it('serves its metrics and the SDK metrics to a real Prometheus, matching what the run did', async () => {
    const campaign = uniqueCampaign();
    const product = albums(stack.dataset)[0]!;
    const taskQueue = uniqueTaskQueue('metrics');
    const [metricsPort, sdkPort, promPort] = [await freePort(), await freePort(), await freePort()];
    const worker = await startWorkerProcess(temporal.address, taskQueue, stack, 0, {
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
      SDK_METRICS_ADDRESS: `127.0.0.1:${sdkPort}`,
      // As in the worker image: the workflow bundle built ahead, no bundling at start.
      WORKFLOW_BUNDLE_PATH: process.env.CAMPAIGN_SYNC_TEST_BUNDLE!,
    });
    const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
    writeFileSync(
      join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        'scrape_configs:',
        '  - job_name: campaign-sync-worker',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${metricsPort}']`,
      ].join('\n'),
    );
    const prometheus = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${promPort}`,
      ],
      { stdio: 'ignore' },
    );
    try {
      const summary = await (
        await startSync(temporal.client, taskQueue, { campaign, productId: product.id })
      ).result();
      expect(summary.created).toBeGreaterThan(100);

      const query = async (q: string): Promise<number | undefined> => {
        const res = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=${encodeURIComponent(q)}`);
        const body = (await res.json()) as { data?: { result: { value: [number, string] }[] } };
        const value = body.data?.result[0]?.value[1];
        return value === undefined ? undefined : Number(value);
      };
      /** The query's value once `until` accepts it (Prometheus scrapes every second). */
      const scraped = (q: string, until: (v: number) => boolean) =>
        eventually(q, () => query(q).catch(() => undefined), { until, timeoutMs: 60_000 });
      const sub = (outcome: string) =>
        `campaign_sync_subscribers_total{campaign="${campaign}",outcome="${outcome}"}`;
      expect(await scraped(sub('created'), (v) => v === summary.created)).toBe(summary.created);
      expect(await query(sub('invalid'))).toBe(summary.invalid);
      expect(await query(sub('superseded'))).toBe(summary.superseded);
      expect(await query(`campaign_sync_runs_total{campaign="${campaign}",status="completed"}`)).toBe(1);
      // Batches went to MailerLite: at least one request per 50 subscribers created.
      const batches = await query(
        'sum(campaign_sync_provider_requests_total{provider="mailerlite",endpoint="/batch"})',
      );
      expect(batches).toBeGreaterThanOrEqual(summary.created / 50);
      // The Temporal SDK's own metrics come through the same endpoint.
      expect(await scraped('count({__name__=~"temporal_.+"})', (v) => v > 0)).toBeGreaterThan(0);
    } finally {
      await stopProcess(prometheus);
      await worker.stop();
    }
  });
});

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
