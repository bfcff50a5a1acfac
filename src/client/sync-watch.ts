import { setTimeout as sleep } from 'node:timers/promises';
import type { WorkflowHandle } from '@temporalio/client';
import type { SyncProgress, SyncSummary } from '../shared/sync-types';
import { syncProgressQuery } from '../shared/messages';

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
 * A signal that aborts after `ms`, or when `parent` does; `clear` stops its timer. Not
 * `AbortSignal.any([parent, AbortSignal.timeout(ms)])`: on Node 20 the timeout signal is held only
 * weakly, so a garbage collection before it fires leaves the combined signal never aborting (a
 * query then hung for as long as the server kept it, and `--wait` fell silent).
 */
export function abortAfter(ms: number, parent?: AbortSignal): { signal: AbortSignal; clear: () => void } {
  const controller = new AbortController();
  const clear = () => {
    clearTimeout(timer);
    parent?.removeEventListener('abort', abort);
  };
  const abort = () => {
    clear();
    controller.abort(parent?.aborted ? parent.reason : new Error(`timed out after ${ms} ms`));
  };
  const timer = setTimeout(abort, ms);
  parent?.addEventListener('abort', abort, { once: true });
  if (parent?.aborted) abort();
  return { signal: controller.signal, clear };
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
      const deadline = abortAfter(Math.max(1000, intervalMs), done.signal);
      const progress = await handle.client
        .withAbortSignal(deadline.signal, () => handle.query(syncProgressQuery))
        .catch(() => undefined)
        .finally(deadline.clear);
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
