import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import { syncWorkflowId, WORKFLOW_TYPES } from '../shared/names';
import { SYNC_MODE, SYNC_TRIGGER } from '../shared/search-attributes';
import type { SyncSummary } from '../shared/sync-types';
import { markStatus, type Emphasis } from './present';
import { whenAndAge } from '../shared/when';
import { failureMessage, readStops } from './sync-status';

/** One sync of a campaign: its first run and the runs it continued as, as one. */
export interface SyncHistoryEntry {
  /** The sync's first run (what `sync report --run` takes). */
  runId: string;
  /** Temporal's status of its last run: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT. */
  status: string;
  /** Who started it (`cli`, `schedule:<id>`, `sync-all:<id>`, ...), and its mode, when recorded. */
  trigger?: string;
  mode?: string;
  startedAt: Date;
  closedAt?: Date;
  durationMs?: number;
  /** Temporal runs it took (continue-as-new). */
  runs: number;
  /** A completed sync's summary; what a failed, timed-out or cancelled one recorded before it stopped. */
  summary?: SyncSummary;
  /** Why a failed sync failed. */
  failure?: string;
}

/** Runs of the campaign's workflow listed at most (each sync is one or more runs). */
const RUNS_LISTED = 1000;

/**
 * The campaign's last `last` syncs, newest first, from Temporal's visibility and each sync's result
 * (or, for one that did not complete, the summary it recorded and its failure).
 */
export async function syncHistory(
  client: Client,
  campaign: string,
  last: number,
  /** `results: false`: the runs alone, without reading each one's result. */
  opts: { results?: boolean } = {},
): Promise<SyncHistoryEntry[]> {
  const workflowId = syncWorkflowId(campaign);
  // Newest first: a run that continued as new comes after (older than) the run it continued as.
  const chains: WorkflowExecutionInfo[][] = [];
  let listed = 0;
  // Syncs only: a campaign create or a transition holds the same workflow ID (the lock) as a
  // `campaignLock` run.
  const query = `WorkflowId = '${workflowId}' AND WorkflowType = '${WORKFLOW_TYPES.campaignSync}'`;
  for await (const run of client.workflow.list({ query })) {
    if (++listed > RUNS_LISTED) break;
    const continued = run.status.name === 'CONTINUED_AS_NEW';
    const chain = chains.at(-1);
    if (continued && chain) chain.push(run);
    else if (!continued) {
      if (chains.length === last) break;
      chains.push([run]);
    }
  }
  return Promise.all(chains.map((chain) => entryOf(client, workflowId, chain, opts.results ?? true)));
}

async function entryOf(
  client: Client,
  workflowId: string,
  chain: WorkflowExecutionInfo[],
  results: boolean,
): Promise<SyncHistoryEntry> {
  const lastRun = chain[0]!;
  const first = chain.at(-1)!;
  const status = lastRun.status.name;
  const trigger = first.typedSearchAttributes.get(SYNC_TRIGGER);
  const mode = first.typedSearchAttributes.get(SYNC_MODE);
  const entry: SyncHistoryEntry = {
    runId: first.runId,
    status,
    ...(trigger ? { trigger } : {}),
    ...(mode ? { mode } : {}),
    startedAt: first.startTime,
    ...(lastRun.closeTime
      ? { closedAt: lastRun.closeTime, durationMs: lastRun.closeTime.getTime() - first.startTime.getTime() }
      : {}),
    runs: chain.length,
  };
  const handle = client.workflow.getHandle(workflowId, lastRun.runId, { followRuns: false });
  if (!results) return entry;
  if (status === 'COMPLETED') {
    entry.summary = (await handle.result()) as SyncSummary;
  } else if (status !== 'RUNNING') {
    if (status === 'FAILED') entry.failure = await handle.result().then(() => undefined, failureMessage);
    const { partial } = await readStops(client, workflowId, lastRun.runId, status);
    if (partial) entry.summary = partial;
  }
  return entry;
}

function duration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3_600_000)} h ${Math.round((ms % 3_600_000) / 60_000)} min`;
}

/**
 * The history as lines, one per sync: when, result, who started it, mode, duration, counts (or the
 * failure). `emphasis` marks results that did not complete (a terminal's bold red; none in a pipe).
 */
export function formatSyncHistory(
  campaign: string,
  entries: SyncHistoryEntry[],
  opts: { now?: Date; emphasis?: Emphasis } = {},
): string {
  if (entries.length === 0) return `Campaign ${campaign} has no sync in Temporal's history.`;
  const mark = opts.emphasis ?? ((t: string) => t);
  const lines = [`Syncs of ${campaign}, newest first:`];
  for (const e of entries) {
    const result = markStatus(e.status, mark);
    const parts = [
      whenAndAge(e.startedAt, opts.now),
      result.padEnd(10),
      `by ${e.trigger ?? 'unknown'}`,
      ...(e.mode ? [e.mode] : []),
      ...(e.durationMs !== undefined ? [duration(e.durationMs)] : ['running']),
      ...(e.runs > 1 ? [`${e.runs} runs`] : []),
    ];
    lines.push(`  ${parts.join('  ')}`);
    const s = e.summary;
    if (s) {
      lines.push(
        `      fetched ${s.fetched}, invalid ${s.invalid}, created ${s.created}, updated ${s.updated}, ` +
          `unchanged ${s.unchanged}, skipped ${s.skipped}, failed ${s.failed}` +
          (s.removed > 0 ? `, removed ${s.removed}` : '') +
          (s.dryRun ? ' (dry run: nothing written)' : ''),
      );
    }
    if (e.failure) lines.push(`      ${e.failure}`);
    lines.push(`      run ${e.runId}`);
  }
  return lines.join('\n');
}
