import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { decodeFromPayloadsAtIndex } from '@temporalio/common/lib/internal-non-workflow';
import type { temporal } from '@temporalio/proto';
import { REPORT_ACTIVITY, type MirrorScanResult, type ReportEntriesInput } from '../shared/activity-io';
import { syncWorkflowId, WORKFLOW_TYPES } from '../shared/names';
import type { ReportEntry, ReportKind } from '../shared/sync-types';
import { SyncNotFoundError } from '../temporal/errors';
import { syncProgressQuery } from '../shared/messages';

export interface SyncReport {
  campaign: string;
  workflowId: string;
  /** The runs of the sync, first to latest (continue-as-new makes one sync several runs). */
  runs: string[];
  /** Temporal's status of the latest run: RUNNING while the sync goes on. */
  status: string;
  /** Entries of each kind in the whole sync (before any `kinds` filter); pending removals count as `removed`. */
  totals: Record<ReportKind, number>;
  /**
   * Removals a running mirror sync has planned but not made (it waits for an approval), listed as
   * `removed` entries marked `pending`.
   */
  pendingRemovals: number;
  entries: ReportEntry[];
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/** Closing events and the execution status they mean. */
const CLOSED: [keyof HistoryEvent, string][] = [
  ['workflowExecutionCompletedEventAttributes', 'COMPLETED'],
  ['workflowExecutionFailedEventAttributes', 'FAILED'],
  ['workflowExecutionCanceledEventAttributes', 'CANCELLED'],
  ['workflowExecutionTerminatedEventAttributes', 'TERMINATED'],
  ['workflowExecutionTimedOutEventAttributes', 'TIMED_OUT'],
];

/**
 * The per-record report of a campaign's sync (the latest one, or the one a run ID belongs to):
 * every record that was invalid, refused by MailerLite, skipped, or removed by a mirror sync,
 * with its reasons. The workflow hands these entries to history as it goes, in the input of its
 * `recordReportEntries` activity, so they are read back from the histories of the sync's runs,
 * first to latest, while it runs and after it ends (until the namespace's retention removes them).
 */
export async function syncReport(
  client: Client,
  campaign: string,
  opts: { runId?: string; kinds?: ReportKind[] } = {},
): Promise<SyncReport> {
  const workflowId = syncWorkflowId(campaign);
  const anyRun = opts.runId ?? (await latestSyncRun(client, campaign, workflowId));
  const first = await readHistory(client, workflowId, anyRun, campaign);
  const firstRunId = first[0]?.workflowExecutionStartedEventAttributes?.firstExecutionRunId || anyRun;

  const totals: Record<ReportKind, number> = { invalid: 0, failed: 0, skipped: 0, removed: 0 };
  const entries: ReportEntry[] = [];
  const runs: string[] = [];
  let status = 'RUNNING';
  const wanted = opts.kinds && opts.kinds.length > 0 ? new Set(opts.kinds) : undefined;
  // The mirror step's scans of the latest run: who it would remove, while it waits for an approval.
  let planned: MirrorScanResult['toRemove'] = [];
  const removalsDone = new Set<string>();
  for (let runId: string | undefined = firstRunId; runId;) {
    const events: HistoryEvent[] =
      runId === anyRun ? first : await readHistory(client, workflowId, runId, campaign);
    runs.push(runId);
    runId = undefined;
    status = 'RUNNING';
    planned = [];
    const scans = new Set<string>();
    for (const event of events) {
      if (event.activityTaskScheduledEventAttributes?.activityType?.name === MIRROR_SCAN_ACTIVITY)
        scans.add(String(event.eventId));
      const completed = event.activityTaskCompletedEventAttributes;
      if (completed && scans.has(String(completed.scheduledEventId))) {
        const page = await decodeFromPayloadsAtIndex<MirrorScanResult>(
          client.options.loadedDataConverter,
          0,
          completed.result?.payloads,
        );
        planned.push(...page.toRemove);
      }
      const scheduled = event.activityTaskScheduledEventAttributes;
      if (scheduled?.activityType?.name === REPORT_ACTIVITY) {
        const input = await decodeFromPayloadsAtIndex<ReportEntriesInput>(
          client.options.loadedDataConverter,
          0,
          scheduled.input?.payloads,
        );
        for (const entry of input.entries) {
          totals[entry.kind]++;
          if (entry.subscriberId !== undefined) removalsDone.add(entry.subscriberId);
          if (!wanted || wanted.has(entry.kind)) entries.push(entry);
        }
      }
      const next: string | null | undefined =
        event.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId;
      if (next) {
        runId = next;
        status = 'CONTINUED_AS_NEW';
      }
      for (const [key, name] of CLOSED) if (event[key]) status = name;
    }
  }
  // A mirror sync waiting for an approval has planned its removals (its scans' results) and made
  // none: list them, so they can be reviewed in full before `sync approve`.
  const pending = status === 'RUNNING' ? planned.filter((m) => !removalsDone.has(m.subscriberId)) : [];
  totals.removed += pending.length;
  if (pending.length > 0 && (!wanted || wanted.has('removed'))) {
    const progress = await client
      .withDeadline(Date.now() + 5000, () =>
        client.workflow.getHandle(workflowId, runs.at(-1)).query(syncProgressQuery),
      )
      .catch(() => undefined);
    const reason =
      progress?.phase === 'awaiting-approval'
        ? `pending: no longer a purchaser of the album in EDD; removed once approved ('campaign-sync sync approve ${campaign} --count ${pending.length}')`
        : 'pending: no longer a purchaser of the album in EDD; not removed yet';
    for (const { subscriberId, email } of pending)
      entries.push({ kind: 'removed', subscriberId, email, pending: true, reasons: [reason] });
  }
  return { campaign, workflowId, runs, status, totals, pendingRemovals: pending.length, entries };
}

/** The mirror step's activity that reads a page of the purchase group and returns who to remove. */
const MIRROR_SCAN_ACTIVITY = 'mirrorScanPage';

async function latestSyncRun(client: Client, campaign: string, workflowId: string): Promise<string> {
  try {
    const description = await client.workflow.getHandle(workflowId).describe();
    if (description.type === WORKFLOW_TYPES.campaignSync) return description.runId;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  // The latest run under the ID holds the lock for another workflow (a transition): take the
  // latest sync instead.
  const query = `WorkflowId = '${workflowId}' AND WorkflowType = '${WORKFLOW_TYPES.campaignSync}'`;
  let latest: { runId: string; startTime: Date } | undefined;
  for await (const run of client.workflow.list({ query })) {
    if (!latest || run.startTime > latest.startTime) latest = run;
  }
  if (!latest) throw new SyncNotFoundError(campaign);
  return latest.runId;
}

async function readHistory(
  client: Client,
  workflowId: string,
  runId: string,
  campaign: string,
): Promise<HistoryEvent[]> {
  try {
    return await readRunHistory(client, workflowId, runId);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || (err as { code?: number }).code === GRPC_NOT_FOUND)
      throw new SyncNotFoundError(campaign, runId);
    throw err;
  }
}

/** gRPC's NOT_FOUND status: the raw history call's answer for an unknown run. */
const GRPC_NOT_FOUND = 5;

/**
 * Events read per request: a run's history can near 4 MB, and its events carry whole pages of
 * records (a source page, a lane's share of writes), so 100 of them once made one answer of 4.5 MB.
 */
const HISTORY_PAGE_EVENTS = 20;

/**
 * Every event of one run's history, read in pages of {@link HISTORY_PAGE_EVENTS} so that a large
 * history (a sync continues as new near 4 MB) never exceeds one gRPC message.
 */
export async function readRunHistory(
  client: Client,
  workflowId: string,
  runId: string,
): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      maximumPageSize: HISTORY_PAGE_EVENTS,
      ...(nextPageToken ? { nextPageToken } : {}),
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken && page.nextPageToken.length > 0 ? page.nextPageToken : undefined;
  } while (nextPageToken);
  return events;
}
