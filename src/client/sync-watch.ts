import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import type { SyncProgress, SyncSummary } from '../shared/sync-types';

export interface WatchOptions {
  /** How often progress is read. Default 1 s. */
  intervalMs?: number;
  /**
   * Called at each interval when the progress query got no answer (no worker has taken the run
   * up, or none polls its queue): the CLI then says why it is still waiting.
   */
  onNoAnswer?: () => Promise<void> | void;
}

/**
 * Waits for a sync's result, reporting its progress (from the `progress` query) whenever it
 * changes. The query is only read, so watching never affects the run. It returns as soon as the
 * run ends, not at the next interval.
 */
export async function watchSync(
  handle: WorkflowHandle,
  onProgress: (progress: SyncProgress) => void,
  opts: WatchOptions = {},
): Promise<SyncSummary> {
  const intervalMs = opts.intervalMs ?? 1000;
  const done = new AbortController();
  let last = '';
  const poll = async () => {
    while (!done.signal.aborted) {
      // A query waits for a worker to answer it; never longer than an interval, and not past the end.
      const progress = await handle.client
        .withAbortSignal(
          AbortSignal.any([done.signal, AbortSignal.timeout(Math.max(1000, intervalMs))]),
          () => handle.query<SyncProgress>('progress'),
        )
        .catch(() => undefined);
      if (done.signal.aborted) return;
      if (progress) {
        const key = JSON.stringify({ ...progress, updatedAt: undefined });
        if (key !== last) {
          last = key;
          onProgress(progress);
        }
      } else {
        await Promise.resolve(opts.onNoAnswer?.()).catch(() => undefined);
      }
      await sleep(intervalMs, undefined, { signal: done.signal }).catch(() => undefined);
    }
  };
  const polling = poll();
  try {
    return (await handle.result()) as SyncSummary;
  } finally {
    done.abort();
    await polling;
  }
}
