import type { Client, WorkflowHandleWithFirstExecutionRunId } from '@temporalio/client';
import { InvalidInputError } from '../shared/errors';
import { syncRunSummary, syncWorkflowId, WORKFLOW_TYPES } from '../shared/names';
import { CAMPAIGN_CODE, SYNC_TRIGGER } from '../shared/search-attributes';
import { FORGED_RESUME, SyncInputSchema, type SyncInput, type SyncOptions } from '../shared/sync-types';
import { describeZodIssues } from '../shared/schemas';
import { SyncAlreadyRunningError } from './errors';
import { startUnderLock } from './start-under-lock';
import type { campaignSync } from '../workflows/campaign-sync';

export type SyncHandle = WorkflowHandleWithFirstExecutionRunId<typeof campaignSync>;

/**
 * Starts a campaign's sync under the campaign's workflow ID, which is its lock: while a run is
 * open, a second start is refused ({@link SyncAlreadyRunningError} names the run and its start
 * time); once it has closed, a new run may start. The input is checked here first, so a mistake
 * is reported before anything reaches the server.
 */
export async function startSync(client: Client, taskQueue: string, input: SyncInput): Promise<SyncHandle> {
  const options = checkSyncInput(input);
  const workflowId = syncWorkflowId(options.campaign);
  return startUnderLock<typeof campaignSync>(
    client,
    WORKFLOW_TYPES.campaignSync,
    {
      taskQueue,
      workflowId,
      args: [input],
      staticSummary: syncRunSummary(options),
      typedSearchAttributes: [
        { key: CAMPAIGN_CODE, value: options.campaign },
        { key: SYNC_TRIGGER, value: options.trigger },
      ],
    },
    (running) =>
      new SyncAlreadyRunningError(
        options.campaign,
        workflowId,
        running?.runId,
        running?.startTime,
        running?.typedSearchAttributes.get(SYNC_TRIGGER),
        running?.type,
        running
          ? {
              cancelRequested: Boolean(running.raw.workflowExtendedInfo?.cancelRequested),
              taskQueue: running.taskQueue,
            }
          : undefined,
      ),
  );
}

/** The input with defaults applied; an {@link InvalidInputError} naming every bad field otherwise. */
export function checkSyncInput(input: SyncInput): SyncOptions {
  const parsed = SyncInputSchema.safeParse(input);
  if (!parsed.success) {
    const issues = describeZodIssues(parsed.error);
    throw new InvalidInputError(`Invalid sync input: ${issues.join('; ')}`, issues);
  }
  if (parsed.data.resume !== undefined)
    throw new InvalidInputError(`Invalid sync input: ${FORGED_RESUME}`, [FORGED_RESUME]);
  return parsed.data;
}
