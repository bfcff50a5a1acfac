import type { Logger as SdkLogger } from '@temporalio/common';
import {
  bundleWorkflowCode,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import {
  HOST_QUEUE_ACTIVITIES,
  MAILERLITE_QUEUE_ACTIVITIES,
  PROCESS_HOST_ID,
  type Activities,
} from '../activities';
import { bundlerLogger } from '../observability/sdk-logger';
import { hostTaskQueue, mailerliteTaskQueue } from '../shared/names';

export interface SyncWorkerOptions {
  connection: NativeConnection;
  namespace: string;
  /** The main task queue (workflows and most activities). */
  taskQueue: string;
  activities: Activities;
  /**
   * MailerLite requests a minute across every worker: the rate limit of the MailerLite task
   * queue, which the Temporal server enforces for all its pollers. 0 or absent = no limit.
   */
  mailerliteRequestsPerMinute?: number;
  /** A workflow bundle built once (tests, prebuilt images); bundled from source when absent. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** With a payload codec when payload encryption is on (see `dataConverterFor`). */
  dataConverter?: WorkerOptions['dataConverter'];
  /** Grace period for in-flight activities on shutdown. Default 30 s. */
  shutdownGraceTime?: WorkerOptions['shutdownGraceTime'];
  /**
   * Where bundling the workflow code (when no `workflowBundle` is given) logs its one info line,
   * `workflow code bundled`; webpack's report goes to its debug. Default: the Runtime's logger.
   */
  logger?: SdkLogger;
}

/**
 * A campaign-sync worker process polls three task queues: the main one (workflows and activities),
 * the MailerLite one, whose activities each make exactly one API request, so its task-queue rate
 * limit is the account's request budget, shared by every worker, and its own (`hostTaskQueue`),
 * where a full sync's list path uses the destination index this process keeps.
 */
export class SyncWorkers {
  private constructor(
    readonly main: Worker,
    readonly mailerlite: Worker,
    readonly host: Worker,
  ) {}

  private get all(): Worker[] {
    return [this.main, this.mailerlite, this.host];
  }

  static async create(opts: SyncWorkerOptions): Promise<SyncWorkers> {
    const common = {
      connection: opts.connection,
      namespace: opts.namespace,
      shutdownGraceTime: opts.shutdownGraceTime ?? '30s',
      ...(opts.dataConverter ? { dataConverter: opts.dataConverter } : {}),
    };
    const mlNames = new Set<string>(MAILERLITE_QUEUE_ACTIVITIES);
    const hostNames = new Set<string>(HOST_QUEUE_ACTIVITIES);
    const queueOf = (name: string) => (mlNames.has(name) ? 'ml' : hostNames.has(name) ? 'host' : 'main');
    const pick = (wanted: 'main' | 'ml' | 'host') =>
      Object.fromEntries(Object.entries(opts.activities).filter(([name]) => queueOf(name) === wanted));
    const perMinute = opts.mailerliteRequestsPerMinute ?? 0;
    const main = await Worker.create({
      ...common,
      taskQueue: opts.taskQueue,
      activities: pick('main'),
      workflowBundle:
        opts.workflowBundle ?? (await bundleWorkflows(opts.logger ?? Runtime.instance().logger)),
    });
    const mailerlite = await Worker.create({
      ...common,
      taskQueue: mailerliteTaskQueue(opts.taskQueue),
      activities: pick('ml'),
      ...(perMinute > 0 ? { maxTaskQueueActivitiesPerSecond: perMinute / 60 } : {}),
    });
    const host = await Worker.create({
      ...common,
      taskQueue: hostTaskQueue(opts.taskQueue, PROCESS_HOST_ID),
      activities: pick('host'),
    });
    return new SyncWorkers(main, mailerlite, host);
  }

  /** Runs all three until shutdown (SIGINT/SIGTERM, or {@link shutdown}). */
  async run(): Promise<void> {
    await Promise.all(this.all.map((w) => w.run()));
  }

  /** Runs both until `promise` settles, then shuts them down; returns its result. */
  async runUntil<T>(promise: Promise<T>): Promise<T> {
    // All must have shut down before this returns, whether `promise` resolved or rejected.
    const [main] = await Promise.allSettled([
      this.main.runUntil(promise),
      this.mailerlite.runUntil(promise.catch(() => undefined)),
      this.host.runUntil(promise.catch(() => undefined)),
    ]);
    if (main.status === 'rejected') throw main.reason;
    return main.value;
  }

  shutdown(): void {
    for (const worker of this.all) {
      if (worker.getState() === 'RUNNING') worker.shutdown();
    }
  }
}

/**
 * Bundles the workflow code with webpack, as `Worker.create({ workflowsPath })` would, but with the
 * bundler's report (every module, several kilobytes on one line) at debug instead of info: the
 * worker's option has no say over the bundler's logger.
 */
async function bundleWorkflows(logger: SdkLogger): Promise<{ code: string }> {
  const started = performance.now();
  const { code } = await bundleWorkflowCode({
    workflowsPath: workflowsPath(),
    logger: bundlerLogger(logger),
  });
  logger.info('workflow code bundled', {
    sizeMiB: Math.round((Buffer.byteLength(code) / 2 ** 20) * 100) / 100,
    durationMs: Math.round(performance.now() - started),
  });
  return { code };
}

/** The workflows module, next to this file in both the TypeScript sources and the compiled output. */
export function workflowsPath(): string {
  return require.resolve('../workflows');
}

export { NativeConnection, Runtime };
