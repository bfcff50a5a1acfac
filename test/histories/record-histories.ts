/**
 * Records the workflow histories the replay test (test/integration/replay.test.ts) replays:
 * `npm run histories:record`. Each workflow type runs through representative paths against a
 * real dev server and the emulators (demo data only; no secrets reach a history), and each run's
 * history is written as JSON to test/histories/<name>.history.json. Re-record after changing what a
 * workflow does, while nothing has been released (docs/development.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal as proto } from '@temporalio/proto';
import { startSync } from '../../src/client';
import { createCampaign } from '../../src/client/campaign-create';
import { decideRemovals } from '../../src/client/sync-approve';
import { startSyncAll } from '../../src/client/sync-all';
import { startTransition } from '../../src/client/transition';
import { tierGroupName } from '../../src/shared/campaign';
import {
  createWorkflowId,
  manualHealthWorkflowId,
  syncWorkflowId,
  transitionWorkflowId,
  WORKFLOW_TYPES,
} from '../../src/shared/names';
import type { CampaignCreateInput } from '../../src/shared/provisioning';
import type { SyncProgress } from '../../src/shared/sync-types';
import { useIntegrationStack } from '../helpers/integration';
import { mailerliteGet, setFaults } from '../helpers/stack';
import { withWorker } from '../helpers/temporal';

const OUT = join(__dirname);

// One of the demo store's albums: `album(n)` (the data set of 120 customers has four).
const { temporal, stack, album } = useIntegrationStack({ customers: 120, seed: 19, temporal: true });
beforeAll(() => {
  mkdirSync(OUT, { recursive: true });
});

/** Writes the history of every run of a workflow (its first run and each it continued as). */
async function record(name: string, workflowId: string, firstRunId?: string): Promise<void> {
  let runId = firstRunId;
  for (let n = 1; ; n++) {
    const history = await temporal.client.workflow.getHandle(workflowId, runId).fetchHistory();
    const file = n === 1 ? `${name}.history.json` : `${name}.run${n}.history.json`;
    // The workflow ID (a workflow may check its own, and history does not hold it), and
    // protobufjs's JSON of the history (enums by name, 64-bit numbers as strings, bytes base64),
    // which the replay test reads back with `History.fromObject`.
    const json = { workflowId, history: proto.api.history.v1.History.fromObject(history).toJSON() };
    writeFileSync(join(OUT, file), `${JSON.stringify(json)}\n`);
    const next = history.events?.find((e) => e.workflowExecutionContinuedAsNewEventAttributes)
      ?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
    if (!next) return;
    runId = next;
  }
}

/** The run ID of the latest run under a workflow ID (e.g. a lock run a create or transition took). */
async function latestRunId(workflowId: string): Promise<string> {
  return (await temporal.client.workflow.getHandle(workflowId).describe()).runId;
}

async function ml<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${stack.mailerlite.url}/api${path}`, {
    method,
    headers: { Authorization: `Bearer ${stack.mailerliteToken}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

async function groupId(name: string): Promise<string> {
  const page = await mailerliteGet<{ data: { id: string; name: string }[] }>(
    stack.mailerlite,
    `/groups?limit=100&filter[name]=${encodeURIComponent(name)}`,
  );
  const group = page.data.find((g) => g.name === name);
  if (!group) throw new Error(`group ${name} is missing`);
  return group.id;
}

async function waitForPhase(campaign: string, phase: SyncProgress['phase']): Promise<void> {
  const handle = temporal.client.workflow.getHandle(syncWorkflowId(campaign));
  for (let i = 0; i < 600; i++) {
    const p = await handle.query<SyncProgress>('progress').catch(() => undefined);
    if (p?.phase === phase) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the sync of ${campaign} never reached phase ${phase}`);
}

it('records campaignSync (records path, list path, mirror with approval) and campaignLock', async () => {
  await withWorker(temporal, stack.activities, async (tq) => {
    const a = album(0);
    const records = await startSync(temporal.client, tq, {
      campaign: '2099_REC_A',
      productId: a.id,
      destinationRead: 'per-buyer',
      pageSize: 25,
    });
    await records.result();
    await record('campaignSync-records', records.workflowId, records.firstExecutionRunId);

    const list = await startSync(temporal.client, tq, {
      campaign: '2099_REC_A',
      productId: a.id,
      destinationRead: 'lists',
      pageSize: 25,
    });
    await list.result();
    await record('campaignSync-lists', list.workflowId, list.firstExecutionRunId);

    // A mirror sync waits for an approval to remove the strangers, then removes them.
    const group = await groupId(tierGroupName('2099_REC_A', 'Bronze Purchase'));
    for (let i = 0; i < 5; i++)
      await ml('POST', '/subscribers', { email: `stranger${i}@example.org`, groups: [group] });
    const mirror = await startSync(temporal.client, tq, {
      campaign: '2099_REC_A',
      productId: a.id,
      mode: 'mirror',
      maxRemovalShare: 0.01,
      pageSize: 25,
    });
    await waitForPhase('2099_REC_A', 'awaiting-approval');
    await decideRemovals(temporal.client, '2099_REC_A', { approve: true, count: 5, by: 'recorder' });
    await mirror.result();
    await record('campaignSync-mirror-approved', mirror.workflowId, mirror.firstExecutionRunId);

    // An incremental sync after the full ones: it reads from the watermark.
    const incremental = await startSync(temporal.client, tq, {
      campaign: '2099_REC_A',
      productId: a.id,
      incremental: true,
      pageSize: 25,
    });
    await incremental.result();
    await record('campaignSync-incremental', incremental.workflowId, incremental.firstExecutionRunId);
  });
});

it('records campaignCreate (created, then undone) with its campaignLock', async () => {
  await withWorker(temporal, stack.activities, async (tq) => {
    const create = (input: CampaignCreateInput) => createCampaign(temporal.client, tq, input);
    const campaign = album(0).campaign;
    await create({ campaign, schedule: { every: '1h' } });
    await record('campaignCreate-created', createWorkflowId(campaign));
    await record(
      'campaignLock-create',
      syncWorkflowId(campaign),
      await latestRunId(syncWorkflowId(campaign)),
    );

    await setFaults(stack.mailerlite, {
      routeFaults: [{ method: 'POST', path: '/api/fields', status: 422, message: 'The type is invalid.' }],
    });
    await expect(create({ campaign: '2099_REC_D', custom: true })).rejects.toThrow();
    await fetch(`${stack.mailerlite.url}/_admin/faults`, { method: 'DELETE' });
    await record('campaignCreate-undone', createWorkflowId('2099_REC_D'));
  });
});

it('records syncAllCampaigns and scheduledCampaignSync', async () => {
  await withWorker(temporal, stack.activities, async (tq) => {
    const all = await startSyncAll(
      temporal.client,
      tq,
      {
        campaigns: [
          { campaign: '2099_REC_E', productId: album(1).id },
          { campaign: '2099_REC_F', productId: album(2).id },
        ],
        sync: { pageSize: 25 },
      },
      { workflowId: 'record-sync-all' },
    );
    await all.result();
    await record('syncAllCampaigns', all.workflowId, all.firstExecutionRunId);

    const launcher = await temporal.client.workflow.start(WORKFLOW_TYPES.scheduledCampaignSync, {
      taskQueue: tq,
      workflowId: 'record-scheduled-launch',
      args: [{ campaign: '2099_REC_E', productId: album(1).id, pageSize: 25, trigger: 'schedule:record' }],
    });
    await launcher.result();
    await record('scheduledCampaignSync', launcher.workflowId, launcher.firstExecutionRunId);
  });
});

it('records scheduledSyncAll (the schedule of all campaigns launching a sync all)', async () => {
  await withWorker(temporal, stack.activities, async (tq) => {
    const launcher = await temporal.client.workflow.start(WORKFLOW_TYPES.scheduledSyncAll, {
      taskQueue: tq,
      workflowId: 'record-scheduled-sync-all',
      args: [
        {
          campaigns: [{ campaign: '2099_REC_G', productId: album(1).id }],
          sync: { pageSize: 25 },
          lockWorkflowId: 'record-scheduled-sync-all-lock',
        },
      ],
    });
    await launcher.result();
    await record('scheduledSyncAll', launcher.workflowId, launcher.firstExecutionRunId);
  });
});

it('records campaignTransition and its transitionTier and campaignLock children', async () => {
  await withWorker(temporal, stack.activities, async (tq) => {
    // The source's buyers, with their purchase, in its Opt-In group: the transition verifies
    // their purchases in EDD and moves them to the destination's Gold group.
    const source = await startSync(temporal.client, tq, {
      campaign: '2099_REC_S',
      productId: album(3).id,
      purchaseTier: 'Opt-In',
    });
    await source.result();
    const handle = await startTransition(temporal.client, tq, {
      source: '2099_REC_S',
      destination: '2099_REC_T',
      pageSize: 5,
    });
    await handle.result();
    const id = transitionWorkflowId('2099_REC_S', '2099_REC_T');
    await record('campaignTransition', id, handle.firstExecutionRunId);
    await record('transitionTier-opt-in', `${id}-tier-${tierGroupName('', 'Opt-In').slice(1)}`);
    await record('campaignLock-transition', syncWorkflowId('2099_REC_T'));
  });
});

it('records systemHealth', async () => {
  await withWorker(temporal, stack.activities, async (tq) => {
    const workflowId = manualHealthWorkflowId(tq, new Date());
    const handle = await temporal.client.workflow.start(WORKFLOW_TYPES.systemHealth, {
      taskQueue: tq,
      workflowId,
      args: [{ campaignPrefix: '2099_REC_', trigger: 'record' }],
    });
    await handle.result();
    await record('systemHealth', workflowId, handle.firstExecutionRunId);
  });
});

it('records listCampaigns', async () => {
  await withWorker(temporal, stack.activities, async (tq) => {
    const handle = await temporal.client.workflow.start(WORKFLOW_TYPES.listCampaigns, {
      taskQueue: tq,
      workflowId: 'record-campaign-list',
      args: [],
    });
    await handle.result();
    await record('listCampaigns', handle.workflowId, handle.firstExecutionRunId);
  });
});
