/**
 * One of the processes of reliability case 4: connects to Temporal, says `ready` on stdout, waits
 * for `go` on stdin, then starts COUNT syncs of one campaign at once through the client
 * (`startSync`) and prints what each start got as one JSON line. Run with `node --import tsx`.
 */
import { createInterface } from 'node:readline';
import { Client, Connection } from '@temporalio/client';
import { startSync, SyncAlreadyRunningError } from '../../../src/client';

export type StartOutcome =
  | { ok: true; runId: string; at: number }
  | { ok: false; refused: true; runId?: string; holder?: string; message: string; at: number }
  | { ok: false; refused: false; error: string; at: number };

async function main(): Promise<void> {
  const env = (name: string) => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set`);
    return value;
  };
  const connection = await Connection.connect({ address: env('TEMPORAL_ADDRESS') });
  const client = new Client({ connection, namespace: 'default' });
  const count = Number(env('COUNT'));
  const input = {
    campaign: env('CAMPAIGN'),
    productId: Number(env('PRODUCT_ID')),
    pageSize: 50,
    trigger: env('TRIGGER'),
  };
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  await new Promise<void>((resolve) => lines.on('line', (line) => line.trim() === 'go' && resolve()));
  lines.close();
  const outcomes = await Promise.all(
    Array.from({ length: count }, async (): Promise<StartOutcome> => {
      try {
        const handle = await startSync(client, env('TASK_QUEUE'), input);
        return { ok: true, runId: handle.firstExecutionRunId, at: Date.now() };
      } catch (err) {
        if (err instanceof SyncAlreadyRunningError) {
          return {
            ok: false,
            refused: true,
            runId: err.runId,
            holder: err.holder,
            message: err.message,
            at: Date.now(),
          };
        }
        return { ok: false, refused: false, error: String(err), at: Date.now() };
      }
    }),
  );
  process.stdout.write(`${JSON.stringify(outcomes)}\n`);
  await connection.close();
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
