import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { parse, stringify } from 'yaml';
import { alertmanagerCommand } from '../../dev/prometheus/ensure-prometheus';
import { startSync } from '../../src/client';
import { uniqueTaskQueue } from '../helpers/temporal';
import { albums, uniqueCampaign } from '../helpers/stack';
import { useIntegrationStack } from '../helpers/integration';
import { startWorkerProcess } from '../helpers/worker-process';
import { freePort } from '../helpers/ports';

const ROOT = join(__dirname, '..', '..');

const { temporal, stack } = useIntegrationStack({ customers: 50 });

/** One alert as Alertmanager's webhook sends it (payload version 4). */
interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface WebhookPayload {
  version: string;
  receiver: string;
  status: string;
  groupLabels: Record<string, string>;
  alerts: WebhookAlert[];
}

describe('an alert reaches someone', () => {
  it('a failed sync in a real worker reaches a webhook as CampaignSyncFailing, through Prometheus and Alertmanager with the shipped config', async () => {
    const campaign = uniqueCampaign();
    const dir = mkdtempSync(join(tmpdir(), 'alerting-'));
    const [metricsPort, promPort, amPort] = [await freePort(), await freePort(), await freePort()];
    const receiver = await startWebhookReceiver();
    const daemons: Daemon[] = [];
    const taskQueue = uniqueTaskQueue('alerting');
    // A wrong MailerLite token: the sync fails (ProviderAuthError, not retried).
    const worker = await startWorkerProcess(temporal.address, taskQueue, stack, 0, {
      MAILERLITE_API_TOKEN: 'wrong-token',
      METRICS_PORT: String(metricsPort),
      METRICS_HOST: '127.0.0.1',
      WORKFLOW_BUNDLE_PATH: process.env.CAMPAIGN_SYNC_TEST_BUNDLE!,
    });
    try {
      // Alertmanager with the shipped routing; only the receiver's URL and the timings changed.
      const amConfig = shippedAlertmanagerConfig(receiver.url);
      writeFileSync(join(dir, 'alertmanager.yml'), stringify(amConfig));
      daemons.push(
        startDaemon(alertmanagerCommand() ?? 'alertmanager', [
          `--config.file=${join(dir, 'alertmanager.yml')}`,
          `--storage.path=${join(dir, 'alertmanager-data')}`,
          `--web.listen-address=127.0.0.1:${amPort}`,
          // No HA cluster: it would listen on the fixed port 9094 (and wait for peers).
          '--cluster.listen-address=',
        ]),
      );
      // Prometheus with the shipped alert rules, scraping the worker and evaluating every second.
      writeFileSync(
        join(dir, 'prometheus.yml'),
        stringify({
          global: { scrape_interval: '1s', evaluation_interval: '1s' },
          alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${amPort}`] }] }] },
          rule_files: [join(ROOT, 'deploy', 'prometheus', 'alerts.yml')],
          scrape_configs: [
            { job_name: 'campaign-sync-worker', static_configs: [{ targets: [`127.0.0.1:${metricsPort}`] }] },
          ],
        }),
      );
      daemons.push(
        startDaemon('prometheus', [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
          `--web.listen-address=127.0.0.1:${promPort}`,
        ]),
      );
      await waitUntilReady(`http://127.0.0.1:${amPort}/-/ready`, daemons[0]!);
      await waitUntilReady(`http://127.0.0.1:${promPort}/-/ready`, daemons[1]!);

      const handle = await startSync(temporal.client, taskQueue, {
        campaign,
        productId: albums(stack.dataset)[0]!.id,
      });
      const failure = await handle.result().then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(failure).toBeInstanceOf(WorkflowFailedError);

      const delivered = await receiver.waitFor(
        (a) =>
          a.status === 'firing' &&
          a.labels.alertname === 'CampaignSyncFailing' &&
          a.labels.campaign === campaign,
        60_000,
        () => daemons.map((d) => d.output()).join('\n'),
      );
      expect(delivered.payload).toMatchObject({
        version: '4',
        receiver: 'webhook',
        status: 'firing',
        // The shipped route's grouping: one notification per alert and campaign.
        groupLabels: { alertname: 'CampaignSyncFailing', campaign },
      });
      expect(delivered.alert.labels).toEqual({
        alertname: 'CampaignSyncFailing',
        campaign,
        status: 'failed',
        severity: 'warning',
      });
      expect(delivered.alert.annotations).toEqual({
        summary: `Sync of campaign ${campaign} failed in the last hour`,
        description: `See 'campaign-sync sync status ${campaign}' for the reason.`,
      });
    } finally {
      for (const d of daemons) await d.stop();
      await worker.stop();
      await receiver.close();
    }
  });
});

/**
 * deploy/alertmanager/alertmanager.yml with the webhook's URL replaced by the test's receiver and
 * the waits shortened; its routes, grouping and receivers stay as shipped.
 */
function shippedAlertmanagerConfig(url: string): Record<string, unknown> {
  const config = parse(readFileSync(join(ROOT, 'deploy', 'alertmanager', 'alertmanager.yml'), 'utf8')) as {
    route: Record<string, unknown>;
    receivers: { name: string; webhook_configs?: { url: string }[] }[];
  };
  const webhooks = config.receivers.flatMap((r) => r.webhook_configs ?? []);
  expect(webhooks).toHaveLength(1);
  webhooks[0]!.url = url;
  Object.assign(config.route, { group_wait: '1s', group_interval: '1s' });
  return config;
}

interface Daemon {
  output(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

/** A server process (Prometheus, Alertmanager), its output kept for the failure message. */
function startDaemon(command: string, args: string[]): Daemon {
  const child: ChildProcess = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = `$ ${command} ${args.join(' ')}\n`;
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  child.on('error', (err) => (output += `${String(err)}\n`));
  return {
    output: () => output,
    exited: () => child.exitCode !== null || child.signalCode !== null,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function waitUntilReady(url: string, daemon: Daemon): Promise<void> {
  for (let i = 0; i < 300 && !daemon.exited(); i++) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not get ready:\n${daemon.output()}`);
}

/** A local HTTP server that records every webhook Alertmanager POSTs to it. */
async function startWebhookReceiver(): Promise<{
  url: string;
  waitFor(
    match: (alert: WebhookAlert) => boolean,
    timeoutMs: number,
    diagnostics: () => string,
  ): Promise<{ payload: WebhookPayload; alert: WebhookAlert }>;
  close(): Promise<void>;
}> {
  const received: WebhookPayload[] = [];
  const server: Server = createHttpServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      if (req.method === 'POST') received.push(JSON.parse(body) as WebhookPayload);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    async waitFor(match, timeoutMs, diagnostics) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const payload of received) {
          const alert = payload.alerts.find(match);
          if (alert) return { payload, alert };
        }
        if (Date.now() > deadline)
          throw new Error(
            `no matching alert reached the webhook in ${timeoutMs} ms; received:\n` +
              `${JSON.stringify(received, null, 2)}\n${diagnostics()}`,
          );
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
