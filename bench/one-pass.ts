import { randomUUID } from 'node:crypto';
import { DefaultLogger } from '@temporalio/worker';
import { startSync } from '../src/client';
import { startSyncAll } from '../src/client/sync-all';
import { Runtime } from '../src/workers';
import { startLocalServer, type LocalServer } from '../dev/temporal/local-server';
import { startRig } from './incremental';

export interface OnePassResult {
  campaigns: number;
  pageSize: number;
  /** Sales list reads (pages, seams, the connection check) of one campaign's full sync. */
  onePass: number;
  /** The same, of a full `sync all` of every campaign of the store. */
  syncAll: number;
  completed: number;
}

/**
 * Figure 10: the EDD sales list reads of a full `sync all` of the demo store's campaigns, against
 * those of one campaign's full sync (one pass over the store's sales). Counted by the EDD emulator
 * (`salesReads.list`: reads of the list, apart from look-ups of one order or email).
 */
export async function measureOnePass(opts: {
  server: LocalServer;
  customers: number;
  pageSize: number;
}): Promise<OnePassResult> {
  const rig = await startRig(opts.server, {
    customers: opts.customers,
    taskQueue: 'bench-one-pass',
    budget: 60_000,
  });
  const listReads = async () =>
    (
      (await (await fetch(`${rig.emulators.edd.url}/_admin/stats`)).json()) as {
        salesReads: { list: number };
      }
    ).salesReads.list;
  try {
    return await rig.run(async () => {
      const before = await listReads();
      await (
        await startSync(rig.client, rig.taskQueue, {
          campaign: rig.album.campaign,
          productId: rig.album.id,
          pageSize: opts.pageSize,
          trigger: 'bench',
        })
      ).result();
      const onePass = (await listReads()) - before;
      const start = await listReads();
      const summary = await (
        await startSyncAll(
          rig.client,
          rig.taskQueue,
          { sync: { pageSize: opts.pageSize } },
          { workflowId: `bench-sync-all-${randomUUID()}` },
        )
      ).result();
      return {
        campaigns: summary.total,
        pageSize: opts.pageSize,
        onePass,
        syncAll: (await listReads()) - start,
        completed: summary.completed,
      };
    });
  } finally {
    await rig.close();
  }
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const server = await startLocalServer();
  try {
    console.table([await measureOnePass({ server, customers: 3000, pageSize: 100 })]);
  } finally {
    await server.env.teardown();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
