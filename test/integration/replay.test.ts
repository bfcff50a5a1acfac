import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { WORKFLOW_TYPES } from '../../src/shared/names';

/**
 * Replays every history committed under test/histories (recorded by `npm run histories:record`)
 * against today's workflow code, the bundle the global setup built: a change to a workflow that
 * alters the commands it issues (their order, their kind, a step added or left out) fails here.
 * While nothing has been released such a change is fine: re-record the histories with it
 * (docs/development.md). Once a version has shipped, guard the change with `patched()` instead.
 */
const DIR = join(__dirname, '..', 'histories');
const files = readdirSync(DIR)
  .filter((f) => f.endsWith('.history.json'))
  .sort();

function load(file: string) {
  return historyFromJSON(JSON.parse(readFileSync(join(DIR, file), 'utf8')));
}

it('has recorded histories of every workflow type', () => {
  const types = new Set(
    files.map(
      (f) => load(f).events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '(none)',
    ),
  );
  expect([...types].sort()).toEqual(Object.values(WORKFLOW_TYPES).sort());
});

it("replays every committed history against today's workflow code without nondeterminism", async () => {
  const code = readFileSync(process.env.CAMPAIGN_SYNC_TEST_BUNDLE!, 'utf8');
  const replayed: string[] = [];
  const failed: string[] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: { code }, replayName: 'committed histories' },
    files.map((file) => ({ workflowId: file, history: load(file) })),
  )) {
    replayed.push(result.workflowId);
    if (result.error) failed.push(`${result.workflowId}: ${result.error.message}`);
  }
  expect(failed).toEqual([]);
  expect(replayed.sort()).toEqual(files);
});
