import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { syncWorkflowId } from '../../src/shared/names';
import type { SyncSummary } from '../../src/shared/sync-types';
import { setFaults } from '../helpers/stack';
import { useIntegrationStack } from '../helpers/integration';
import { withWorker } from '../helpers/temporal';
import { faultCounts, recordCounts } from './support/counts';
import type { StartOutcome } from './support/start-many';
import { compareMailerLiteState, seededCase } from './support/state';
import { expectCompleteSummary, sleep } from './support/sync';

const ROOT = join(__dirname, '..', '..');
const PROCESSES = 5;
const STARTS_EACH = 10;

const { temporal, stack } = useIntegrationStack({ customers: 2000 });

interface Starter {
  child: ChildProcess;
  ready: Promise<void>;
  outcomes: Promise<StartOutcome[]>;
}

/** A process that starts STARTS_EACH syncs of the campaign at once when told `go`. */
function starter(env: Record<string, string>): Starter {
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'support', 'start-many.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready\n')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`starter exited (${code}) before ready: ${err}`)));
  });
  const outcomes = new Promise<StartOutcome[]>((resolve, reject) =>
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('['));
      if (code === 0 && line) resolve(JSON.parse(line) as StartOutcome[]);
      else reject(new Error(`starter exited ${code}: ${err}`));
    }),
  );
  return { child, ready, outcomes };
}

describe('reliability 4: fifty concurrent starts of one campaign from several processes', () => {
  it('runs exactly one sync; every other start is refused naming the holder', async () => {
    const started = Date.now();
    const { campaign, product, truth, expected, seeded } = await seededCase(stack);
    // Slow enough that the winner's run is surely still going while the others try.
    await setFaults(stack.mailerlite, { latencyMs: { min: 20, max: 80 }, seed: 404 });

    const { outcomes, summary } = await withWorker(temporal, stack.activities, async (taskQueue) => {
      const starters = Array.from({ length: PROCESSES }, (_, i) =>
        starter({
          TEMPORAL_ADDRESS: temporal.address,
          TASK_QUEUE: taskQueue,
          CAMPAIGN: campaign,
          PRODUCT_ID: String(product.id),
          COUNT: String(STARTS_EACH),
          TRIGGER: `process-${i}`,
        }),
      );
      try {
        await Promise.all(starters.map((s) => s.ready));
        // All processes connected: fire every start at once.
        for (const s of starters) s.child.stdin!.end('go\n');
        const all = (await Promise.all(starters.map((s) => s.outcomes))).map((list, i) =>
          list.map((o) => ({ ...o, process: i })),
        );
        const winners = all.flat().filter((o) => o.ok);
        expect(winners).toHaveLength(1);
        const handle = temporal.client.workflow.getHandle(syncWorkflowId(campaign), winners[0]!.runId);
        return { outcomes: all.flat(), summary: (await handle.result()) as SyncSummary };
      } finally {
        for (const s of starters) if (s.child.exitCode === null) s.child.kill('SIGKILL');
      }
    });

    expect(outcomes).toHaveLength(PROCESSES * STARTS_EACH);
    const winner = outcomes.find((o) => o.ok)!;
    const refused = outcomes.filter((o) => !o.ok);
    // Every other start was refused, naming the one run that holds the lock and who started it.
    const problems = refused.flatMap((o) => {
      if (!('refused' in o) || !o.refused) return [`process ${o.process}: ${JSON.stringify(o)}`];
      const issues: string[] = [];
      if (o.runId !== winner.runId) issues.push(`names run ${o.runId}, not ${winner.runId}`);
      if (o.holder !== `process-${winner.process}`) issues.push(`names holder ${o.holder}`);
      if (!o.message.includes(`run ${winner.runId}`)) issues.push(`message without the run: ${o.message}`);
      if (!o.message.includes(`started by process-${winner.process}`)) issues.push(`message: ${o.message}`);
      return issues.map((i) => `process ${o.process}: ${i}`);
    });
    expect(problems).toEqual([]);
    expect(refused).toHaveLength(PROCESSES * STARTS_EACH - 1);

    // Exactly one run of the campaign's sync was ever started (visibility catches up: wait for it).
    const query = `WorkflowId = '${syncWorkflowId(campaign)}'`;
    let runs = 0;
    for (let i = 0; i < 50 && runs === 0; i++) {
      runs = (await temporal.client.workflow.count(query)).count;
      if (runs === 0) await sleep(200);
    }
    expect(runs).toBe(1);

    await setFaults(stack.mailerlite, {});
    expectCompleteSummary(summary, truth, expected, seeded);
    const compared = await compareMailerLiteState({ stack, campaign, expected, seeded, summary });
    const faults = await faultCounts(stack.edd, stack.mailerlite);
    process.stderr.write(
      `reliability 4: ${outcomes.length} starts from ${PROCESSES} processes; 1 ran (process ${winner.process}), ` +
        `${refused.length} refused naming run ${winner.runId}\n`,
    );
    recordCounts({
      name: '4 concurrent starts',
      recordsCompared: compared,
      faultsInjected: faults.total,
      requestsDelayed: faults.delayed,
      startsRefused: refused.length,
      durationMs: Date.now() - started,
    });
  });
});
