import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { startSync } from '../../src/client';
import { InvalidInputError } from '../../src/shared/errors';
import { syncWorkflowId, WORKFLOW_TYPES } from '../../src/shared/names';
import type { SyncInput } from '../../src/shared/sync-types';
import { uniqueCampaign } from '../helpers/stack';
import { useIntegrationStack } from '../helpers/integration';
import { withWorker } from '../helpers/temporal';
import { recordCounts } from './support/counts';
import { invalidInputs, type InvalidInput } from './support/invalid-inputs';
import { sleep } from './support/sync';

const { temporal, stack } = useIntegrationStack({ customers: 20 });

/** What is wrong with a refusal's message, or nothing. */
function messageProblems(c: InvalidInput, message: string): string[] {
  const problems = c.names.filter((name) => !message.includes(name)).map((name) => `does not name ${name}`);
  if (c.oneOf && !c.oneOf.some((name) => message.includes(name))) {
    problems.push(`names none of ${c.oneOf.join(', ')}`);
  }
  if (!message.startsWith('Invalid sync input: ')) problems.push('does not say the input is invalid');
  return problems;
}

/** Runs `fn` over the items, `limit` at a time. */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

describe('reliability 5: invalid workflow inputs', () => {
  it('refuses each generated invalid input with a clear message, in the client and in the workflow, leaving nothing running', async () => {
    const started = Date.now();
    const cases = invalidInputs();
    expect(cases.length).toBeGreaterThanOrEqual(500);
    const problems: string[] = [];

    await withWorker(temporal, stack.activities, async (taskQueue) => {
      // 1. Through the client: refused before anything reaches the server.
      for (const c of cases) {
        try {
          await startSync(temporal.client, taskQueue, c.input as SyncInput);
          problems.push(`${c.label}: the client started it`);
        } catch (err) {
          if (!(err instanceof InvalidInputError)) {
            problems.push(`${c.label}: the client threw ${String(err)}`);
            continue;
          }
          for (const p of messageProblems(c, err.message)) problems.push(`${c.label} (client): ${p}`);
        }
      }

      // 2. Straight to the workflow, past the client's check, under the campaign's lock ID: the
      // workflow itself refuses it at once, as a non-retryable InvalidInputError.
      const workflowIds: string[] = [];
      await eachLimited(cases, 16, async (c) => {
        const workflowId = syncWorkflowId(c.campaign ?? uniqueCampaign());
        workflowIds.push(workflowId);
        const handle = await temporal.client.workflow.start(WORKFLOW_TYPES.campaignSync, {
          taskQueue,
          workflowId,
          args: [c.input],
        });
        const outcome = await handle.result().then(
          () => undefined,
          (e: unknown) => e,
        );
        const failure = outcome instanceof WorkflowFailedError ? outcome.cause : undefined;
        if (!(failure instanceof ApplicationFailure)) {
          problems.push(`${c.label} (workflow): not refused (${String(outcome)})`);
          return;
        }
        if (failure.type !== InvalidInputError.name || !failure.nonRetryable) {
          problems.push(
            `${c.label} (workflow): failed as ${failure.type}, retryable ${!failure.nonRetryable}`,
          );
        }
        for (const p of messageProblems(c, failure.message)) problems.push(`${c.label} (workflow): ${p}`);
        // Refused on its first workflow task: started, the task scheduled, started and completed,
        // failed; a forged resume also records its patch marker. No activity ran, no retry.
        const { historyLength } = await handle.describe();
        const most = c.label.startsWith('resume: well formed') ? 7 : 6;
        if (historyLength > most) problems.push(`${c.label} (workflow): ${historyLength} history events`);
      });
      expect(new Set(workflowIds).size).toBe(cases.length);

      // 3. None of them is left running (visibility is eventually consistent: wait for it to agree).
      const query = `TaskQueue = '${taskQueue}'`;
      let closed = 0;
      let running = -1;
      for (let i = 0; i < 100; i++) {
        running = (await temporal.client.workflow.count(`${query} AND ExecutionStatus = 'Running'`)).count;
        closed = (await temporal.client.workflow.count(`${query} AND ExecutionStatus = 'Failed'`)).count;
        if (running === 0 && closed === cases.length) break;
        await sleep(300);
      }
      expect({ running, failed: closed }).toEqual({ running: 0, failed: cases.length });
    });

    expect(problems).toEqual([]);
    process.stderr.write(
      `reliability 5: ${cases.length} invalid inputs, each refused by the client and by the workflow\n`,
    );
    recordCounts({ name: '5 invalid inputs', inputsTried: cases.length, durationMs: Date.now() - started });
  });
});
