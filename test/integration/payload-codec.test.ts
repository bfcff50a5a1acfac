import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { temporal as proto } from '@temporalio/proto';
import { expectedSync } from '../../dev/expected-sync';
import { startSync } from '../../src/client';
import { connectClient } from '../../src/temporal/connection';
import { syncReport } from '../../src/client/sync-report';
import { startCodecServer } from '../../src/codec/codec-server';
import { dataConverterFor, loadConfig } from '../../src/config';
import { syncWorkflowId } from '../../src/shared/names';
import { SyncWorkers } from '../../src/workers/create-worker';
import { uniqueTaskQueue } from '../helpers/temporal';
import { albums, uniqueCampaign } from '../helpers/stack';
import { useIntegrationStack } from '../helpers/integration';

const { temporal, stack } = useIntegrationStack({ customers: 2000 });

const converter = dataConverterFor(
  loadConfig({ PAYLOAD_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}` }),
)!;

/** Runs one sync of a fresh campaign, with or without the codec on both sides; returns the raw history. */
async function syncAndReadRawHistory(withCodec: boolean) {
  const campaign = uniqueCampaign();
  const product = albums(stack.dataset)[0]!;
  const taskQueue = uniqueTaskQueue('codec');
  const workers = await SyncWorkers.create({
    connection: temporal.nativeConnection,
    namespace: 'default',
    taskQueue,
    activities: stack.activities,
    workflowBundle: { code: readFileSync(process.env.CAMPAIGN_SYNC_TEST_BUNDLE!, 'utf8') },
    shutdownGraceTime: '2s',
    ...(withCodec ? { dataConverter: converter } : {}),
  });
  const client = withCodec
    ? await connectClient({ address: temporal.address, namespace: 'default', dataConverter: converter })
    : temporal.client;
  try {
    const summary = await workers.runUntil(
      (async () =>
        (
          await startSync(client, taskQueue, {
            campaign,
            productId: product.id,
            destinationRead: 'per-buyer',
          })
        ).result())(),
    );
    // Read with a client that has NO codec: what the server stores.
    const raw = await temporal.client.workflow.getHandle(syncWorkflowId(campaign)).fetchHistory();
    const bytes = Buffer.from(proto.api.history.v1.History.encode(raw).finish()).toString('latin1');
    return { campaign, summary, raw, bytes, client };
  } finally {
    if (withCodec) await client.connection.close();
  }
}

describe('payload encryption', () => {
  const emails = () => [...expectedSync(stack.dataset, albums(stack.dataset)[0]!.id).subscribers.keys()];

  it('stores no subscriber email in history when the codec is on, and still works end to end', async () => {
    // Control: without the codec the history holds the emails in clear, so the check below can fail.
    // Both syncs read MailerLite per buyer, whose pages pass through history (the list path keeps
    // its records on the worker that reads them: docs/write-strategy.md).
    const plain = await syncAndReadRawHistory(false);
    expect(emails().filter((e) => plain.bytes.toLowerCase().includes(e)).length).toBeGreaterThan(100);

    const campaign = uniqueCampaign();
    const product = albums(stack.dataset)[0]!;
    const taskQueue = uniqueTaskQueue('codec');
    const workers = await SyncWorkers.create({
      connection: temporal.nativeConnection,
      namespace: 'default',
      taskQueue,
      activities: stack.activities,
      workflowBundle: { code: readFileSync(process.env.CAMPAIGN_SYNC_TEST_BUNDLE!, 'utf8') },
      shutdownGraceTime: '2s',
      dataConverter: converter,
    });
    const client = await connectClient({
      address: temporal.address,
      namespace: 'default',
      dataConverter: converter,
    });
    try {
      const summary = await workers.runUntil(
        (async () =>
          (
            await startSync(client, taskQueue, {
              campaign,
              productId: product.id,
              destinationRead: 'per-buyer',
            })
          ).result())(),
      );
      const expected = expectedSync(stack.dataset, product.id);
      // The control run created them already (same emulator, another campaign): now they are updated.
      expect(summary.created + summary.updated).toBe(expected.subscribers.size);
      expect(summary.updated).toBeGreaterThan(0);

      const raw = await temporal.client.workflow.getHandle(syncWorkflowId(campaign)).fetchHistory();
      const bytes = Buffer.from(proto.api.history.v1.History.encode(raw).finish())
        .toString('latin1')
        .toLowerCase();
      expect(emails().filter((e) => bytes.includes(e))).toEqual([]);
      expect(bytes).toContain('binary/encrypted');

      // With the codec, the per-record report decodes from that history.
      const report = await syncReport(client, campaign);
      expect(report.totals.invalid).toBe(expected.invalidOrders);

      // The codec server decodes a stored payload for the UI, only for allowed callers.
      const started = raw.events!.find((e) => e.workflowExecutionStartedEventAttributes)!;
      const payload = started.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
      const server = await startCodecServer({
        codec: converter.payloadCodecs![0]!,
        origins: ['http://localhost:8233'],
        token: 'ui-secret',
      });
      try {
        const body = JSON.stringify({
          payloads: [
            {
              metadata: Object.fromEntries(
                Object.entries(payload.metadata ?? {}).map(([k, v]) => [
                  k,
                  Buffer.from(v).toString('base64'),
                ]),
              ),
              data: Buffer.from(payload.data!).toString('base64'),
            },
          ],
        });
        const denied = await fetch(`${server.url}/decode`, { method: 'POST', body });
        expect(denied.status).toBe(401);
        const res = await fetch(`${server.url}/decode`, {
          method: 'POST',
          body,
          headers: { Authorization: 'Bearer ui-secret', Origin: 'http://localhost:8233' },
        });
        expect(res.status).toBe(200);
        expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:8233');
        const decoded = (await res.json()) as { payloads: { data: string }[] };
        expect(JSON.parse(Buffer.from(decoded.payloads[0]!.data, 'base64').toString())).toMatchObject({
          campaign,
          productId: product.id,
        });
        const preflight = await fetch(`${server.url}/decode`, {
          method: 'OPTIONS',
          headers: { Origin: 'http://evil.example' },
        });
        expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
      } finally {
        await server.close();
      }
    } finally {
      await client.connection.close();
    }
  });
});
