import { parseArgs } from 'node:util';
import { DefaultLogger } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { startSync } from '../src/client';
import { syncWorkflowId } from '../src/shared/names';
import type { SyncSummary } from '../src/shared/sync-types';
import { Runtime } from '../src/workers';
import { expectedSync } from '../dev/expected-sync';
import { startLocalServer, type LocalServer } from '../dev/temporal/local-server';
import { startRig } from './incremental';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

export interface HistoryBytesRow {
  activity: string;
  calls: number;
  'input bytes': number;
  'result bytes': number;
}

export interface HistoryBytesResult {
  customers: number;
  buyers: number;
  way: string;
  runs: number;
  /** Bytes of every payload in the sync's histories (inputs, results, the workflow's own). */
  totalBytes: number;
  /** How many times buyers' emails appear in the histories, per valid buyer. */
  emailsPerBuyer: number;
  rows: HistoryBytesRow[];
}

const payloadBytes = (payloads: temporal.api.common.v1.IPayloads | null | undefined): number =>
  (payloads?.payloads ?? []).reduce((n, p) => n + (p.data?.length ?? 0), 0);

/**
 * Point 5 of issue 17, measured: what a full sync's pages put in workflow history. Runs one full
 * sync of a demo store (the list path when it is the cheaper way) and sums, per activity type, the
 * bytes of its inputs and results in every run of the sync's chain, and counts how often the
 * buyers' emails appear there (a page's records pass as the fetch's result, the validation's
 * input and the write or plan's input).
 */
export async function measureHistoryBytes(opts: {
  server: LocalServer;
  customers: number;
}): Promise<HistoryBytesResult> {
  const rig = await startRig(opts.server, {
    customers: opts.customers,
    taskQueue: 'bench-history-bytes',
    budget: 60_000,
  });
  try {
    return await rig.run(async () => {
      const handle = await startSync(rig.client, rig.taskQueue, {
        campaign: rig.album.campaign,
        productId: rig.album.id,
        trigger: 'bench',
      });
      const summary: SyncSummary = await handle.result();
      const emails = [...expectedSync(rig.dataset, rig.album.id).subscribers.keys()];
      const rows = new Map<string, HistoryBytesRow>();
      let totalBytes = 0;
      let emailHits = 0;
      let runs = 0;
      for (let runId: string | undefined = handle.firstExecutionRunId; runId;) {
        runs++;
        const events: HistoryEvent[] =
          (await rig.client.workflow.getHandle(syncWorkflowId(rig.album.campaign), runId).fetchHistory())
            .events ?? [];
        const typeOf = new Map<string, string>();
        const row = (type: string) => {
          let r = rows.get(type);
          if (!r) rows.set(type, (r = { activity: type, calls: 0, 'input bytes': 0, 'result bytes': 0 }));
          return r;
        };
        let text = '';
        for (const e of events) {
          const scheduled = e.activityTaskScheduledEventAttributes;
          if (scheduled) {
            const type = scheduled.activityType?.name ?? '?';
            typeOf.set(String(e.eventId), type);
            const bytes = payloadBytes(scheduled.input);
            row(type).calls++;
            row(type)['input bytes'] += bytes;
            totalBytes += bytes;
            for (const p of scheduled.input?.payloads ?? []) text += Buffer.from(p.data ?? []).toString();
          }
          const completed = e.activityTaskCompletedEventAttributes;
          if (completed) {
            const type = typeOf.get(String(completed.scheduledEventId)) ?? '?';
            const bytes = payloadBytes(completed.result);
            row(type)['result bytes'] += bytes;
            totalBytes += bytes;
            for (const p of completed.result?.payloads ?? []) text += Buffer.from(p.data ?? []).toString();
          }
          totalBytes += payloadBytes(e.workflowExecutionStartedEventAttributes?.input);
          totalBytes += payloadBytes(e.workflowExecutionCompletedEventAttributes?.result);
          totalBytes += payloadBytes(e.workflowExecutionContinuedAsNewEventAttributes?.input);
        }
        const lower = text.toLowerCase();
        for (const email of emails) {
          for (let at = lower.indexOf(email); at >= 0; at = lower.indexOf(email, at + email.length))
            emailHits++;
        }
        runId =
          events.find((e) => e.workflowExecutionContinuedAsNewEventAttributes)
            ?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
      }
      return {
        customers: opts.customers,
        buyers: emails.length,
        way: summary.destinationRead?.way ?? 'per-buyer',
        runs,
        totalBytes,
        emailsPerBuyer: Math.round((emailHits / Math.max(1, emails.length)) * 100) / 100,
        rows: [...rows.values()].sort(
          (a, b) => b['input bytes'] + b['result bytes'] - a['input bytes'] - a['result bytes'],
        ),
      };
    });
  } finally {
    await rig.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { customers: { type: 'string', default: '20000' } } });
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const server = await startLocalServer();
  try {
    const result = await measureHistoryBytes({ server, customers: Number(values.customers) });
    console.log(
      `history of a full sync: ${result.customers} customers, ${result.buyers} buyers, way ${result.way}, ` +
        `${result.runs} runs, ${(result.totalBytes / 1e6).toFixed(2)} MB of payloads, ` +
        `each buyer's email ${result.emailsPerBuyer} times`,
    );
    console.table(result.rows.slice(0, 10));
  } finally {
    await server.env.teardown();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
