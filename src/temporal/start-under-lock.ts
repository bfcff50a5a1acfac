import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowIdConflictPolicy,
  WorkflowIdReusePolicy,
  type Client,
  type WorkflowExecutionDescription,
  type WorkflowHandleWithFirstExecutionRunId,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { Workflow } from '@temporalio/common';

/**
 * Starts a workflow whose ID is a lock: FAIL on a running ID is the lock, ALLOW_DUPLICATE lets a
 * new run start after any ending. When the ID is held, `held` turns the holder (described, or
 * undefined when it ended in between) into the error the caller throws, naming who holds it.
 */
export async function startUnderLock<T extends Workflow>(
  client: Client,
  workflowType: string,
  options: Omit<WorkflowStartOptions<T>, 'workflowIdConflictPolicy' | 'workflowIdReusePolicy'>,
  held: (running: WorkflowExecutionDescription | undefined) => Error,
): Promise<WorkflowHandleWithFirstExecutionRunId<T>> {
  try {
    return await client.workflow.start<T>(workflowType, {
      ...options,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    } as WorkflowStartOptions<T>);
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    const running = await client.workflow
      .getHandle(options.workflowId)
      .describe()
      .catch(() => undefined);
    throw held(running);
  }
}
