import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal as proto } from '@temporalio/proto';
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

/** A recorded run: its workflow ID (a workflow may check its own) and its history. */
function load(file: string) {
  const json = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as {
    workflowId: string;
    history: Record<string, unknown>;
  };
  return { workflowId: json.workflowId, history: proto.api.history.v1.History.fromObject(json.history) };
}

it('has recorded histories of every workflow type', () => {
  const types = new Set(
    files.map(
      (f) =>
        load(f).history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name ?? '(none)',
    ),
  );
  expect([...types].sort()).toEqual(Object.values(WORKFLOW_TYPES).sort());
});

it("replays every committed history against today's workflow code without nondeterminism", async () => {
  const code = readFileSync(process.env.CAMPAIGN_SYNC_TEST_BUNDLE!, 'utf8');
  const replayed: string[] = [];
  const failed: string[] = [];
  const runs = files.map((file) => ({ file, ...load(file) }));
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: { code }, replayName: 'committed histories' },
    runs,
  )) {
    // Results come in the order the histories were given (one replay at a time).
    const run = runs[replayed.length];
    const file = run?.workflowId === result.workflowId ? run.file : result.workflowId;
    replayed.push(file);
    if (result.error) failed.push(`${file}: ${result.error.message}`);
  }
  expect(failed).toEqual([]);
  expect(replayed.sort()).toEqual(files);
});
