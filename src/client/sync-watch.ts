import type { WorkflowHandle } from '@temporalio/client';
import type { SyncProgress, SyncSummary } from '../shared/sync-types';

/**
 * Waits for a sync's result, reporting its progress (from the `progress` query) whenever it
 * changes. The query is only read, so watching never affects the run.
 */
export async function watchSync(
  handle: WorkflowHandle,
  onProgress: (progress: SyncProgress) => void,
  intervalMs = 1000,
): Promise<SyncSummary> {
  let last = '';
  let finished = false;
  const poll = async () => {
    while (!finished) {
      const progress = await handle.query<SyncProgress>('progress').catch(() => undefined);
      if (progress && !finished) {
        const key = JSON.stringify({ ...progress, updatedAt: undefined });
        if (key !== last) {
          last = key;
          onProgress(progress);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  };
  const polling = poll();
  try {
    return (await handle.result()) as SyncSummary;
  } finally {
    finished = true;
    await polling;
  }
}
