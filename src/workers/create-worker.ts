import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Activities } from '../activities';

export interface SyncWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: Activities;
  /** A workflow bundle built once (tests, prebuilt images); bundled from source when absent. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Grace period for in-flight activities on shutdown. Default 30 s. */
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
}

/** The one place a campaign-sync worker is put together, for the worker process, the demo and tests. */
export function createSyncWorker(opts: SyncWorkerOptions): Promise<Worker> {
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: opts.taskQueue,
    activities: opts.activities,
    ...(opts.workflowBundle ? { workflowBundle: opts.workflowBundle } : { workflowsPath: workflowsPath() }),
    shutdownGraceTime: opts.shutdownGraceTime ?? '30s',
  });
}

/** The workflows module, next to this file in both the TypeScript sources and the compiled output. */
export function workflowsPath(): string {
  return require.resolve('../workflows');
}

export { NativeConnection, Runtime };
