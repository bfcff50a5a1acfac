import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { WorkflowNotFoundError, type Client, type WorkflowExecutionDescription } from '@temporalio/client';
import { SYNC_ALL_WORKFLOW_ID } from '../shared/names';
import type { SyncAllCampaignResult, SyncAllProgress, SyncAllSummary } from '../shared/sync-all';
import { act, type CliContext } from './cli-context';
import { text } from './cli-values';
import { EXIT } from './errors';
import { formatHolder } from './schedule-command';
import { markStatus, plain, runHeaderLines, type Emphasis, type RunHeader } from './present';
import { whenAndAge } from '../shared/when';
import { valueOption } from './sync-options';
import { cliIdentity, failureMessage, readStops, type StopInfo } from './sync-status';
import { workerPolls } from './worker-presence';
import { syncAllProgressQuery } from '../shared/messages';

/** No `sync all` was ever started (or retention has removed its history). */
export class SyncAllNotFoundError extends Error {
  constructor() {
    super(`No sync of all campaigns was found. Start one with 'campaign-sync sync all'.`);
    this.name = 'SyncAllNotFoundError';
  }
}

/** The latest `sync all` is not running, so there is nothing to cancel. */
export class SyncAllNotRunningError extends Error {
  constructor(readonly status: string) {
    super(
      `No sync of all campaigns is running to cancel (the latest is ${status}; ` +
        `'campaign-sync sync all status' shows it).`,
    );
    this.name = 'SyncAllNotRunningError';
  }
}

/** The latest `sync all` run: its state and each campaign's outcome so far. */
export interface SyncAllStatus extends RunHeader {
  /** Where it is (running), or where it was when it stopped (replayed by a worker). */
  progress?: SyncAllProgress;
  /** A completed run's summary. */
  summary?: SyncAllSummary;
  /** Each campaign's outcome: from the summary, or from the progress. */
  campaigns: SyncAllCampaignResult[];
  failure?: string;
  cancellation?: StopInfo;
  termination?: StopInfo;
}

async function describeSyncAll(client: Client, workflowId: string): Promise<WorkflowExecutionDescription> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new SyncAllNotFoundError();
    throw err;
  }
}

/** The latest run of `sync all` (`workflowId` is for tests sharing a server). */
export async function syncAllStatus(
  client: Client,
  workflowId = SYNC_ALL_WORKFLOW_ID,
): Promise<SyncAllStatus> {
  const d = await describeSyncAll(client, workflowId);
  const name = d.status.name;
  const run = client.workflow.getHandle(workflowId, d.runId);
  const status: SyncAllStatus = {
    workflowId,
    runId: d.runId,
    status: name,
    startedAt: d.startTime,
    ...(d.closeTime ? { closedAt: d.closeTime } : {}),
    taskQueue: d.taskQueue,
    campaigns: [],
  };
  const query = () =>
    client.withDeadline(Date.now() + 5000, () => run.query(syncAllProgressQuery)).catch(() => undefined);
  if (name === 'RUNNING') {
    status.workerPolling = await workerPolls(client, d.taskQueue);
    // Without a worker the query would wait for one; there is nothing to answer it.
    const progress = status.workerPolling ? await query() : undefined;
    if (progress) status.progress = progress;
    if (d.raw.workflowExtendedInfo?.cancelRequested) {
      const stops = await readStops(client, workflowId, d.runId, name);
      status.cancellation = stops.cancellation ?? {};
    }
  } else if (name === 'COMPLETED') {
    status.summary = (await run.result()) as SyncAllSummary;
  } else {
    if (name === 'FAILED') status.failure = await run.result().then(() => undefined, failureMessage);
    const stops = await readStops(client, workflowId, d.runId, name);
    if (stops.cancellation) status.cancellation = stops.cancellation;
    if (stops.termination) status.termination = stops.termination;
    // Where it was when it stopped: a worker replays its history to answer.
    const progress = await query();
    if (progress) status.progress = progress;
  }
  status.campaigns = status.summary?.campaigns ?? status.progress?.campaigns ?? [];
  return status;
}

/** Exit 1 when the run did not complete, or a campaign's sync in it failed. */
export function syncAllStatusExit(s: SyncAllStatus): number {
  const ok = s.status === 'RUNNING' || s.status === 'COMPLETED';
  return ok && !s.campaigns.some((c) => c.status === 'failed') ? EXIT.ok : EXIT.failed;
}

/** One campaign's line in a `sync all` summary or status. */
export function formatSyncAllCampaign(
  c: SyncAllCampaignResult,
  opts: { now?: Date; emphasis?: Emphasis } = {},
): string {
  const shown = c.status === 'pending' ? 'pending (not started)' : c.status;
  let line = `  ${c.campaign.padEnd(16)} ${markStatus(shown, opts.emphasis ?? plain)}`;
  if (c.status === 'running' && c.startedAt) line += ` since ${whenAndAge(c.startedAt, opts.now)}`;
  if (c.status === 'completed' && c.counts)
    line += `: fetched ${c.counts.fetched}, created ${c.counts.created}, updated ${c.counts.updated}, unchanged ${c.counts.unchanged}, failed ${c.counts.failed}`;
  if (c.status === 'skipped' && c.holder) line += `: ${formatHolder(c.holder)}`;
  if (c.error) line += `: ${c.error}`;
  return line;
}

/** `sync all status` for people: the run, where it is, and each campaign. */
export function formatSyncAllStatus(
  s: SyncAllStatus,
  opts: { now?: Date; emphasis?: Emphasis } = {},
): string {
  const when = (at: Date) => whenAndAge(at, opts.now);
  const lines = runHeaderLines('Sync of all campaigns', s, opts);
  const c = s.cancellation;
  if (c)
    lines.push(
      `  cancelled  ${s.status === 'CANCELLED' ? 'by request' : 'requested, not taken effect yet'}${c.by ? ` of ${c.by}` : ''}` +
        `${c.at ? ` at ${when(c.at)}` : ''}${c.reason ? `: ${c.reason}` : ''}`,
    );
  const t = s.termination;
  if (t)
    lines.push(
      `  terminated ${t.by ? `by ${t.by}` : ''}${t.at ? ` at ${when(t.at)}` : ''}${t.reason ? `: ${t.reason}` : ''}`,
    );
  if (s.failure) lines.push(`  failure    ${s.failure}`);
  const counts = s.summary ?? s.progress;
  if (counts) {
    const done = counts.completed + counts.skipped + counts.failed + counts.cancelled;
    lines.push(
      `  campaigns  ${done}/${counts.total} done: completed ${counts.completed}, skipped ${counts.skipped} (locked), ` +
        `failed ${counts.failed}, cancelled ${counts.cancelled}` +
        (s.progress && s.status === 'RUNNING'
          ? `; running ${s.progress.running.length ? s.progress.running.join(', ') : 'none'} (at most ${s.progress.concurrency})`
          : ''),
    );
    const tt = counts.totals;
    lines.push(
      `  totals     fetched ${tt.fetched}, created ${tt.created}, updated ${tt.updated}, unchanged ${tt.unchanged}, failed ${tt.failed}`,
    );
  } else if (s.status !== 'COMPLETED') lines.push(`  campaigns  not known (no worker answered for the run)`);
  if (s.progress?.phase === 'discovering' && s.status === 'RUNNING')
    lines.push('  (listing the campaigns to sync)');
  if (s.campaigns.length > 0) {
    lines.push('By campaign:');
    for (const campaign of s.campaigns) lines.push(formatSyncAllCampaign(campaign, opts));
  }
  if (s.campaigns.some((x) => x.status === 'failed'))
    lines.push("A failed campaign's details: campaign-sync sync status <campaign>");
  return lines.join('\n');
}

export interface SyncAllCancelOutcome {
  workflowId: string;
  runId: string;
  taskQueue: string;
  alreadyRequested: boolean;
  workerPolling: boolean;
  /** The campaign syncs it runs now: cancelled with it. */
  running: string[];
  /** Campaigns it has not started: not synced. */
  notStarted: string[];
}

/**
 * Asks the running `sync all` to cancel, recording who and why. The run cancels the campaign syncs
 * it runs (each stops after its activities in flight, keeps what it wrote and records what it did),
 * starts no other, and ends CANCELLED once they have ended.
 */
export async function cancelSyncAll(
  client: Client,
  opts: { by: string; reason?: string; workflowId?: string },
): Promise<SyncAllCancelOutcome> {
  const workflowId = opts.workflowId ?? SYNC_ALL_WORKFLOW_ID;
  const d = await describeSyncAll(client, workflowId);
  if (d.status.name !== 'RUNNING') throw new SyncAllNotRunningError(d.status.name);
  const workerPolling = await workerPolls(client, d.taskQueue);
  const progress = workerPolling
    ? await client
        .withDeadline(Date.now() + 5000, () =>
          client.workflow.getHandle(workflowId, d.runId).query(syncAllProgressQuery),
        )
        .catch(() => undefined)
    : undefined;
  const reason = opts.reason?.trim();
  await client.workflowService.requestCancelWorkflowExecution({
    namespace: client.options.namespace,
    workflowExecution: { workflowId, runId: d.runId },
    identity: opts.by,
    requestId: randomUUID(),
    reason: reason ?? `cancelled with 'campaign-sync sync all cancel'`,
  });
  const campaigns = progress?.campaigns ?? [];
  return {
    workflowId,
    runId: d.runId,
    taskQueue: d.taskQueue,
    alreadyRequested: Boolean(d.raw.workflowExtendedInfo?.cancelRequested),
    workerPolling,
    running: campaigns.filter((c) => c.status === 'running').map((c) => c.campaign),
    notStarted: campaigns.filter((c) => c.status === 'pending').map((c) => c.campaign),
  };
}

/** What `sync all cancel` says: what happens to the run and to the campaign syncs it started. */
export function formatSyncAllCancel(o: SyncAllCancelOutcome): { text: string; warn?: boolean }[] {
  const list = (names: string[]) =>
    names.length > 5 ? `${names.slice(0, 5).join(', ')} and ${names.length - 5} more` : names.join(', ');
  const lines: { text: string; warn?: boolean }[] = [
    {
      text:
        `Cancellation requested for the sync of all campaigns (run ${o.runId})${o.alreadyRequested ? ', again' : ''}. ` +
        (o.running.length > 0
          ? `The campaign syncs it runs are cancelled with it (${list(o.running)}): each stops after its activities ` +
            `in flight, keeps what it wrote and records what it did. `
          : 'Any campaign sync it runs is cancelled with it: it stops after its activities in flight, keeps what it ' +
            'wrote and records what it did. ') +
        (o.notStarted.length > 0
          ? `${o.notStarted.length} campaign${o.notStarted.length === 1 ? ' it has not started is' : 's it has not started are'} ` +
            `not synced (${list(o.notStarted)}). `
          : '') +
        `Syncs it completed stay completed. It ends CANCELLED once its syncs have stopped; ` +
        `'campaign-sync sync all status' shows each campaign's outcome.`,
    },
  ];
  if (!o.workerPolling)
    lines.push({
      warn: true,
      text:
        `Warning: no worker polls task queue ${o.taskQueue}, so nothing acts on the cancellation yet: ` +
        `start a worker on that task queue.`,
    });
  return lines;
}

/** `sync all status` and `sync all cancel`, under `sync all`. */
export function registerSyncAllSubcommands(all: Command, ctx: CliContext): void {
  const { out } = ctx;
  all
    .command('status')
    .description(
      'the latest sync of all campaigns: where it is, and each campaign done, running, skipped, failed, ' +
        'cancelled or not started',
    )
    .option('--json', 'print it as JSON')
    .addHelpText(
      'after',
      `
Exit codes: 0 running or completed with no campaign failed; 1 it failed, was cancelled, terminated
or timed out, or a campaign's sync in it failed; 4 no sync of all campaigns was ever started.`,
    )
    .action(
      act(ctx, async () => {
        const status = await syncAllStatus(await ctx.connect());
        out.result(status, formatSyncAllStatus(status, { emphasis: ctx.emphasis }));
        return syncAllStatusExit(status);
      }),
    );
  all
    .command('cancel')
    .description(
      'cancel the running sync of all campaigns: the campaign syncs it runs are cancelled with it (each keeps ' +
        'what it wrote and records what it did), those not started are not synced',
    )
    .addOption(valueOption('--reason <text>', 'why (recorded with the run)', text('--reason')))
    .option('--json', 'print the outcome as JSON')
    .addHelpText(
      'after',
      `
Exit codes: 0 cancellation requested; 4 no sync of all campaigns is running; 2 invalid input.`,
    )
    .action(
      act(ctx, async (opts: { reason?: string }) => {
        const outcome = await cancelSyncAll(await ctx.connect(), {
          by: cliIdentity(ctx.env.USER),
          ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
        });
        for (const line of formatSyncAllCancel(outcome)) (line.warn ? out.err : out.out)(line.text);
        out.result(outcome);
        return EXIT.ok;
      }),
    );
}
