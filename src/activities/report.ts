import type { ActivityDeps } from './deps';
import { type ReportEntriesInput } from '../shared/activity-io';

/** Input of {@link reportActivities}' `recordReportEntries`, as `sync report` reads it from history. */
export function reportActivities({ logger }: ActivityDeps) {
  return {
    /**
     * Hands a sync's per-record report entries (invalid, refused, skipped, removed records with
     * their reasons) over to the run's history: the entries are this activity's input, so each is
     * written once, in the history of the run that met it, which continue-as-new keeps bounded.
     * `sync report` reads them back from there while the run goes on and after it ends, so no
     * second store has to be kept. The log gets counts only: emails are personal data.
     */
    async recordReportEntries(input: ReportEntriesInput): Promise<{ recorded: number }> {
      const byKind: Record<string, number> = {};
      for (const entry of input.entries) byKind[entry.kind] = (byKind[entry.kind] ?? 0) + 1;
      logger.info({ campaign: input.campaign, entries: byKind }, 'per-record report entries');
      return { recorded: input.entries.length };
    },
  };
}
