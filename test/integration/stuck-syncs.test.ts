import { WorkflowFailedError } from '@temporalio/client';
import { EXIT } from '../../src/client/errors';
import type { SystemStatus } from '../../src/client/status';
import { startSync } from '../../src/temporal/sync-start';
import { syncStatus } from '../../src/client/sync-status';
import { syncWorkflowId } from '../../src/shared/names';
import { albums, slowSource, uniqueCampaign } from '../helpers/stack';
import { uniqueTaskQueue, waitForProgress, withWorker } from '../helpers/temporal';
import { runCliCaptured } from '../helpers/cli';
import { useIntegrationStack } from '../helpers/integration';

const { temporal, stack, cli } = useIntegrationStack({ customers: 300, cliEnv: { USER: 'ops' } });

/** A sync of 20-sale pages, started and past its second page (the worker's source is slowed). */
async function syncPastTwoPages(campaign: string, taskQueue: string) {
  const handle = await startSync(temporal.client, taskQueue, {
    campaign,
    productId: Number(productId()),
    pageSize: 20,
  });
  await waitForProgress(handle, (p) => p.pages >= 2);
  return handle;
}

function productId(): string {
  return String(albums(stack.dataset)[0]!.id);
}

describe('a sync started where no worker polls holds nothing forever, and nothing looks healthy meanwhile', () => {
  it('start warns, cancel says why nothing happens, a new start says how to free it, status reports it, --force frees it', async () => {
    const campaign = uniqueCampaign();
    const nobody = uniqueTaskQueue('nobody');

    const started = await cli(['sync', 'start', campaign, '--product-id', productId()], nobody);
    expect(started.code).toBe(EXIT.ok);
    expect(started.out).toMatch(/^Started sync of /);
    expect(started.err).toBe(
      `Warning: no worker polls task queue ${nobody}, so the sync of ${campaign} waits, holding the campaign's lock, ` +
        `until one does: start a worker with TEMPORAL_TASK_QUEUE=${nobody}, or free the lock ` +
        `with 'campaign-sync sync cancel ${campaign} --force'.`,
    );

    // --wait says so while it waits (it is stopped below by the forced cancel).
    const waitingCampaign = uniqueCampaign();
    let saidStillWaiting = false;
    const waiting = runCliCaptured(
      ['sync', 'start', waitingCampaign, '--product-id', productId(), '--progress-interval', '1s', '--wait'],
      {
        address: temporal.address,
        taskQueue: nobody,
        onLine: (stream, line) => {
          if (stream === 'err' && line.startsWith('Still waiting: ')) saidStillWaiting = true;
        },
      },
    );

    const cancel = await cli(['sync', 'cancel', campaign, '--reason', 'started on the wrong queue'], nobody);
    expect(cancel.code).toBe(EXIT.ok);
    expect(cancel.out).toMatch(
      new RegExp(`^Cancellation requested for campaign ${campaign} \\(run [\\w-]+\\): `),
    );
    expect(cancel.err).toContain(
      `Warning: no worker polls task queue ${nobody}, so nothing acts on the cancellation and the run keeps the campaign's lock: start a worker with TEMPORAL_TASK_QUEUE=${nobody}, or free the lock with 'campaign-sync sync cancel ${campaign} --force' (which terminates the run; its partial stats are not recorded).`,
    );
    expect(cancel.err).toContain(`'campaign-sync sync cancel ${campaign} --force'`);

    const again = await cli(['sync', 'start', campaign, '--product-id', productId()], nobody);
    expect(again.code).toBe(EXIT.locked);
    expect(again.err).toContain('Its cancellation was requested but has not taken effect');
    expect(again.err).toContain(`Free the lock with 'campaign-sync sync cancel ${campaign} --force'.`);

    // status (on the deployment's own queue) counts it and says what is wrong.
    const deployment = uniqueTaskQueue();
    const status = await cli(['status', '--json'], deployment);
    const parsed = JSON.parse(status.out) as SystemStatus;
    expect(parsed.running.map((r) => r.campaign)).toContain(campaign);
    expect(parsed.problems.find((p) => p.includes(`campaign ${campaign}`))).toBe(
      `${syncWorkflowId(campaign)} (campaign ${campaign}) runs on task queue ${nobody}, which no worker polls: it holds the ` +
        `campaign's lock and cannot go on or be cancelled; start a worker with TEMPORAL_TASK_QUEUE=${nobody}, ` +
        `or free the lock with 'campaign-sync sync cancel ${campaign} --force'.`,
    );
    expect((await cli(['status'], deployment)).out).toMatch(/PROBLEMS: \d+/);

    const shown = await cli(['sync', 'status', campaign], nobody);
    expect(shown.out).toContain(`WARNING    no worker polls task queue ${nobody}`);
    expect(shown.out).toMatch(
      /cancelled {2}requested of campaign-sync CLI ops@\S+ at \d{4}-\d\d-\d\d \d\d:\d\d \(\d+[smh] ago\): started on the wrong queue; not taken effect yet/,
    );

    const forced = await cli(
      ['sync', 'cancel', campaign, '--force', '--reason', 'no worker on that queue'],
      nobody,
    );
    expect(forced.code).toBe(EXIT.ok);
    expect(forced.out).toMatch(
      new RegExp(`^Terminated the sync of ${campaign} \\(run [\\w-]+\\): the campaign's lock is free\\.`),
    );
    const after = await syncStatus(temporal.client, campaign);
    expect(after.status).toBe('TERMINATED');
    expect(after.termination?.by).toMatch(/^campaign-sync CLI ops@/);
    expect(after.termination?.reason).toBe(
      `Stopped with 'campaign-sync sync cancel ${campaign} --force' by ${after.termination!.by}: no worker on that queue (after a cancellation that had not taken effect)`,
    );
    expect(after.cancellation).toMatchObject({ reason: 'started on the wrong queue' });

    // The lock is free: a new start is taken.
    const restarted = await startSync(temporal.client, nobody, { campaign, productId: Number(productId()) });
    await restarted.terminate('test cleanup');

    // The waiting start says why it is waiting, at every interval; then free it too.
    for (let i = 0; i < 100 && !saidStillWaiting; i++) await new Promise((r) => setTimeout(r, 100));
    expect((await cli(['sync', 'cancel', waitingCampaign, '--force'], nobody)).code).toBe(EXIT.ok);
    const waited = await waiting;
    expect(waited.err).toContain(`Still waiting: no worker polls task queue ${nobody}`);
    expect(waited.code).toBe(EXIT.failed);
  });
});

describe('cancelled and terminated runs show what they did', () => {
  it('a cancelled run: its partial summary, who cancelled it and why', async () => {
    const campaign = uniqueCampaign();
    await withWorker(temporal, slowSource(stack), async (tq) => {
      const handle = await syncPastTwoPages(campaign, tq);
      const cancel = await cli(['sync', 'cancel', campaign, '--reason', 'wrong album'], tq);
      expect(cancel.code).toBe(EXIT.ok);
      expect(cancel.err).toBe('');
      await handle.result().catch((e: unknown) => e);

      const status = await syncStatus(temporal.client, campaign);
      expect(status.status).toBe('CANCELLED');
      expect(status.cancellation).toMatchObject({ reason: 'wrong album' });
      expect(status.cancellation?.by).toMatch(/^campaign-sync CLI ops@/);
      expect(status.partial).toMatchObject({ campaign, status: 'cancelled' });
      expect(status.partial!.pages).toBeGreaterThanOrEqual(2);
      expect(status.partial!.fetched).toBeGreaterThan(0);

      const shown = await cli(['sync', 'status', campaign], tq);
      expect(shown.out).toMatch(
        /cancelled {2}by request of campaign-sync CLI ops@\S+ at \d{4}-\d\d-\d\d \d\d:\d\d \(\d+[smh] ago\): wrong album/,
      );
      expect(shown.out).toContain('What it did before it stopped (recorded by the run):');
      expect(shown.out).toMatch(new RegExp(`Campaign ${campaign} \\(EDD product \\d+\\): cancelled in`));
    });
  });

  it('a terminated run: who stopped it and why, and where it was (replayed from its history)', async () => {
    const campaign = uniqueCampaign();
    await withWorker(temporal, slowSource(stack), async (tq) => {
      const handle = await syncPastTwoPages(campaign, tq);
      const forced = await cli(['sync', 'cancel', campaign, '--force'], tq);
      expect(forced.code).toBe(EXIT.ok);
      const err = await handle.result().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WorkflowFailedError);

      const status = await syncStatus(temporal.client, campaign);
      expect(status.status).toBe('TERMINATED');
      expect(status.termination?.reason).toMatch(
        /^Stopped with 'campaign-sync sync cancel .* --force' by campaign-sync CLI ops@/,
      );
      expect(status.progress?.pages).toBeGreaterThanOrEqual(2);
      const shown = await cli(['sync', 'status', campaign], tq);
      expect(shown.out).toMatch(
        /Where it was when it stopped \(replayed from its history\): \[\S+\] syncing: pages \d+/,
      );
    });
  });
});
