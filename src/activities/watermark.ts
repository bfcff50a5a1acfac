import { syncWorkflowId } from '../shared/names';
import type { SyncSummary, Watermark } from '../shared/sync-types';
import type { ActivityDeps } from './deps';

/** Completed runs of a campaign's sync looked at for a watermark, newest first. */
const RUNS_LOOKED_AT = 20;

/**
 * A campaign's watermark lives in Temporal itself, with no datastore of its own: it is the
 * `watermark` of the newest completed run of the campaign's sync (`campaign-sync-<CAMPAIGN>`,
 * whose ID is also its lock) that has one. Failed, cancelled, timed-out and dry runs never set it,
 * so only a run that read all it had to advances it; it survives worker and server restarts with
 * the server's history (and ends with the namespace's retention: a campaign whose last completed
 * run is older gets a full sync).
 */
export function watermarkActivities({ temporal, logger }: ActivityDeps) {
  return {
    async readWatermark(input: { campaign: string }): Promise<Watermark | null> {
      if (!temporal) {
        logger.warn(
          { campaign: input.campaign },
          'no Temporal client on this worker: incremental runs sync in full',
        );
        return null;
      }
      const workflowId = syncWorkflowId(input.campaign);
      const runs: { runId: string; closedAt: string }[] = [];
      const query = `WorkflowId = '${workflowId}' AND ExecutionStatus = 'Completed'`;
      for await (const run of temporal.client.workflow.list({ query, pageSize: RUNS_LOOKED_AT })) {
        if (run.closeTime) runs.push({ runId: run.runId, closedAt: run.closeTime.toISOString() });
        if (runs.length >= RUNS_LOOKED_AT) break;
      }
      runs.sort((a, b) => b.closedAt.localeCompare(a.closedAt));
      for (const { runId } of runs) {
        const summary = await temporal.client.workflow
          .getHandle<() => Promise<SyncSummary>>(workflowId, runId)
          .result();
        if (summary.status === 'completed' && !summary.dryRun && summary.watermark) return summary.watermark;
      }
      return null;
    },
  };
}
