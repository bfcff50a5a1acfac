import type { SyncSummary } from '../shared/sync-types';
import type { ActivityDeps } from './deps';

export function statsActivities({ logger, metrics }: ActivityDeps) {
  return {
    /** Records a finished (or cancelled) run in metrics and the log: counts only, no personal data. */
    async recordSyncStats(summary: SyncSummary): Promise<void> {
      // A dry run wrote nothing: it must not count as subscribers processed.
      if (!summary.dryRun) metrics.recordRun(summary);
      const { invalidRecords: _i, failedRecords: _f, ...counts } = summary;
      logger.info({ stats: counts }, 'sync run recorded');
    },
  };
}
