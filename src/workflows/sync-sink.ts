import { condition } from '@temporalio/workflow';
import { WriteStream } from '../shared/write-stream';
import type { SourceRecord } from '../shared/sync-types';
import { chooseDestinationRead, type HeldRecords, type ListPathSink } from './list-path';
import { PageWrites, type RecordSink } from './page-writes';
import { activityPages, type PageSource } from './sales-pages';
import { mailerliteActivities, pageWriter, quick, source } from './sync-activities';
import type { SyncDestination } from './sync-preparation';
import type { SyncRun } from './sync-run';

/**
 * Where a sync's valid records go: with no MailerLite budget configured, each page is written by
 * one activity (the direct path, `PageWrites`); otherwise every request is its own activity on the
 * rate-limited queue (`WriteStream`). A dry run always streams, so what it plans for a buyer on one
 * page is seen on the next. The source reads the next pages while the sink writes the last ones;
 * the sink pushes back when two pages are waiting, so memory and history stay bounded whatever the
 * campaign's size.
 */
/** Pages in flight when their records pass through the workflow: the one handed over and the next. */
const RECORDS_READ_AHEAD = 2;

/** Pages in flight on the list path, whose records stay on the worker that reads them. */
const HELD_READ_AHEAD = 8;

/**
 * Where a sync's source pages are read and where their valid records go: `pages` and `sink` keep
 * the records in the same place (the workflow, or on the list path the worker that read them).
 */
export interface Feed<V> {
  pages: PageSource<V>;
  /** Source pages read at once: the one being handed over and those after it. */
  readAhead: number;
  sink: RecordSink<V>;
  /** What of a page's valid records is written (an incremental run's already-seen orders are not). */
  fresh(valid: V): V;
}

export type SyncFeed =
  | ({ kind: 'records' } & Feed<SourceRecord[]>)
  | ({ kind: 'held'; listPath: ListPathSink } & Feed<HeldRecords>);

export async function openSink(run: SyncRun, resources: SyncDestination): Promise<SyncFeed> {
  const { input, productId, info } = run;
  const writeOptions = {
    groupId: resources.purchaseGroupId,
    purchaseFieldKey: resources.purchaseFieldKey,
    fieldKeys: ['name', 'last_name', resources.purchaseFieldKey],
    // Mirror writes as upsert does; its removals come after the last page.
    mode: input.mode === 'update-only' ? ('update-only' as const) : ('upsert' as const),
    // An incremental run's few buyers in one lane: its batches are full, so k new buyers cost
    // about k/25 requests rather than a part-filled batch or two in each lane.
    lanes: run.incrementalFrom ? 1 : input.writeLanes,
    batchSize: input.batchSize,
    waitFor: condition,
  };
  const direct = !input.dryRun && (await quick.describeWritePath()).path === 'direct';
  run.writePath = direct ? 'direct' : 'budgeted';
  // A full sync reads MailerLite with cursor lists when that costs fewer requests than reading
  // each buyer (list-path.ts); incremental, dry and update-only runs read each buyer (the lists
  // do not show an active subscriber outside the group, whom update-only must tell from a new one).
  const listPath =
    input.incremental || input.dryRun || input.mode === 'update-only'
      ? undefined
      : await chooseDestinationRead(
          {
            syncKey: `${info.workflowId}/${info.runId}`,
            campaign: input.campaign,
            pageSize: input.pageSize,
            ...(input.storePass !== undefined ? { storePass: input.storePass } : {}),
            taskQueue: info.taskQueue,
            productId,
            resources,
            mode: writeOptions.mode,
            lanes: input.writeLanes,
            batchSize: input.batchSize,
            direct,
            waitFor: condition,
            way: input.destinationRead,
            ...(run.resume?.listPath ? { carried: run.resume.listPath } : {}),
          },
          run.tally,
        );
  run.destinationRead = listPath?.choice;
  if (listPath?.sink) {
    const sink = listPath.sink;
    // Thin pages (orders only) in history, and a step on the worker's own queue waits for matching
    // (no eager dispatch as on the workflow's queue): more pages in flight hide that wait.
    return {
      kind: 'held',
      pages: sink.pages(),
      readAhead: HELD_READ_AHEAD,
      sink,
      listPath: sink,
      fresh: (held) => held,
    };
  }
  const records = (sink: RecordSink): SyncFeed => ({
    kind: 'records',
    pages: activityPages(input.campaign),
    readAhead: RECORDS_READ_AHEAD,
    sink,
    fresh: (valid) => run.freshOf(valid),
  });
  if (direct) {
    const sink = new PageWrites(
      {
        ...writeOptions,
        campaign: input.campaign,
        productId,
        reportLimit: input.reportLimit,
        write: pageWriter.writeRecordsPage,
      },
      run.tally,
    );
    return records(sink);
  }
  const sink = new WriteStream(
    {
      ...writeOptions,
      dryRun: input.dryRun,
      fieldsMayBeMissing: resources.missing.length > 0,
      sampleSize: input.sampleSize,
      maxQueued: 2 * input.pageSize,
      exchange: mailerliteActivities(run.info.taskQueue).mailerliteExchange,
      checkHeld: (checks) => source.checkHeldOrders({ productId, checks }),
    },
    run.tally,
  );
  return records(sink);
}
