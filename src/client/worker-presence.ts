import type { Client } from '@temporalio/client';
import { unpolledAdvice } from '../shared/health';
import { queuesWithoutWorkflowPollers } from '../temporal/system';

/**
 * Whether any worker polls a task queue's workflow tasks (Temporal lists the pollers it saw in the
 * last minutes). A run on a queue nobody polls does nothing, and cannot act on a cancellation.
 */
export async function workerPolls(client: Client, taskQueue: string): Promise<boolean> {
  return (await queuesWithoutWorkflowPollers(client, [taskQueue])).size === 0;
}

/** The warning `sync start` gives when no worker polls its queue; undefined when one does. */
export async function noWorkerWarning(
  client: Client,
  taskQueue: string,
  campaign: string,
): Promise<string | undefined> {
  if (await workerPolls(client, taskQueue).catch(() => true)) return undefined;
  return (
    `no worker polls task queue ${taskQueue}, so the sync of ${campaign} waits, holding the campaign's lock, ` +
    `until one does: ${unpolledAdvice(campaign, taskQueue)}.`
  );
}
