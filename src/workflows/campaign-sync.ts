import { continueAsNew, log, setHandler, workflowInfo } from '@temporalio/workflow';
import { syncProgressQuery } from '../shared/messages';
import { parseDuration } from '../shared/duration';
import { dateMinus, pastLookback } from '../shared/lookback';
import { syncWorkflowId } from '../shared/names';
import {
  FORGED_RESUME,
  SyncInputSchema,
  type SyncInput,
  type SyncOptions,
  type SyncSummary,
} from '../shared/sync-types';
import { SalesPages, type PageJoin } from './sales-pages';
import { mailerliteActivities } from './sync-activities';
import { prepare, type SyncDestination } from './sync-preparation';
import { SyncRun } from './sync-run';
import { openSink, type Feed } from './sync-sink';
import { invalidInput, parseWorkflowInput } from './input';

/**
 * Syncs one campaign: checks both connections, makes sure the campaign's MailerLite groups and
 * purchase field exist, then pages through the album's EDD purchasers, validating every record and
 * writing the valid ones, removes former buyers in mirror mode, and records the run's stats. Only
 * page numbers and per-page records pass through history, never the whole dataset; a long sync
 * continues as new at a page boundary, under the same workflow ID (the campaign's lock).
 */
export async function campaignSync(rawInput: SyncInput): Promise<SyncSummary> {
  const input = parseInput(rawInput);
  const run = new SyncRun(input);
  setHandler(syncProgressQuery, () => run.progress());
  run.start();
  try {
    const destination = await prepare(run);
    run.enter('syncing');
    const feed = await openSink(run, destination);
    const { continueAt, readToEnd } =
      feed.kind === 'held' ? await readAndWrite(run, feed) : await readAndWrite(run, feed);
    const listPath = feed.kind === 'held' ? feed.listPath : undefined;
    await run.flushReport();
    if (run.timedOut) throw run.timeoutFailure();
    if (continueAt !== undefined) {
      // Everything queued has been written; the next run starts at this page with these stats,
      // under the same workflow ID, so the campaign's lock is held throughout.
      log.info('campaign sync continues as new', { campaign: input.campaign, page: continueAt.page });
      const resume = run.resumeAt(continueAt.page, await continueAt.join, listPath?.handover());
      return await continueAsNew<typeof campaignSync>({ ...input, resume });
    }
    await removeFormerBuyers(run, destination, readToEnd);
    await listPath?.release();
    return await run.complete();
  } catch (err) {
    return await run.fail(err);
  }
}

/**
 * Reads the album's purchasers page by page (read ahead, handed over in order) and pushes each
 * page's valid, unseen records into the sink while it writes the pages before. Stops at the end of
 * the list, at an incremental run's lookback, at `maxPages`, at the overall timeout (`timedOut`),
 * or where history is long enough to continue as new (`continueAt`).
 */
async function readAndWrite<V>(
  run: SyncRun,
  feed: Feed<V>,
): Promise<{ continueAt?: { page: number; join: Promise<PageJoin | undefined> }; readToEnd: boolean }> {
  const { input, resume, incrementalFrom } = run;
  // Orders dated before this, once `lookbackOrders` orders past the watermark are read, end an
  // incremental run's reading.
  const cutoff = incrementalFrom ? dateMinus(incrementalFrom.date, input.lookback) : undefined;
  const { sink } = feed;
  const pages = new SalesPages({
    campaign: input.campaign,
    source: feed.pages,
    productId: run.productId,
    pageSize: input.pageSize,
    readAhead: feed.readAhead,
    ...(incrementalFrom ? { watermarkDate: incrementalFrom.date } : {}),
    ...(input.storePass !== undefined ? { storePass: input.storePass } : {}),
    ...(input.maxPages !== undefined ? { lastPage: input.maxPages } : {}),
    ...(resume?.tail
      ? {
          before: { page: resume.page - 1, join: { tail: resume.tail, orderIds: resume.tailOrderIds ?? [] } },
        }
      : {}),
  });
  let continueAt: { page: number; join: Promise<PageJoin | undefined> } | undefined;
  let readToEnd = false;
  const reading = async () => {
    try {
      for (let page = resume?.page ?? 1; input.maxPages === undefined || page <= input.maxPages; page++) {
        if (run.deadline !== undefined && Date.now() >= run.deadline) {
          run.timedOut = true;
          return;
        }
        if (run.historyFull()) {
          continueAt = { page, join: pages.joinOf(page - 1) };
          return;
        }
        const { page: batch, valid, validCount, invalid } = await pages.take(page);
        run.takePage(batch, validCount, invalid);
        if (validCount > 0) await sink.push(feed.fresh(valid));
        await run.betweenPages();
        if (batch.done) {
          readToEnd = run.readAll = true;
          return;
        }
        if (cutoff !== undefined && pastLookback(input, run.readPast, batch, cutoff)) {
          // Back past the watermark by the lookback: older orders were read by earlier runs.
          run.readAll = true;
          return;
        }
      }
    } finally {
      sink.close();
    }
  };
  await Promise.all([reading(), sink.run()]);
  return { ...(continueAt ? { continueAt } : {}), readToEnd };
}

/**
 * Mirror mode, once every page is written: removes from the purchase group the members who are no
 * longer buyers, waiting for a person's approval above `maxRemovalShare` (see mirror-step.ts).
 * Absence proves nothing unless the source was read to its end.
 */
async function removeFormerBuyers(
  run: SyncRun,
  destination: SyncDestination,
  readToEnd: boolean,
): Promise<void> {
  const { mirror, input, info } = run;
  if (!mirror) return;
  if (!readToEnd) {
    mirror.skip('not run: the source was not read to its end (--max-pages), so absence proves nothing');
    return;
  }
  const mailerlite = mailerliteActivities(info.taskQueue);
  run.enter('mirroring');
  await mirror.run({
    campaign: input.campaign,
    productId: run.productId,
    groupId: destination.purchaseGroupId,
    sourceKey: `${info.workflowId}/${info.firstExecutionRunId}`,
    maxRemovalShare: input.maxRemovalShare,
    approvalTimeoutMs: parseDuration(input.approvalTimeout),
    approvalTimeout: input.approvalTimeout,
    deadline: run.deadline,
    dryRun: input.dryRun || destination.purchaseGroupId === '',
    sampleSize: input.sampleSize,
    lanes: input.writeLanes,
    scan: mailerlite.mirrorScanPage,
    remove: mailerlite.mirrorRemoveMembers,
    report: (more) => run.entries.push(...more),
    counts: run.counts,
    onWaiting: (waiting) => run.enter(waiting ? 'awaiting-approval' : 'mirroring'),
    notifyWaiting: (m) =>
      run.notify('approval-waiting', {
        removals: {
          pending: m.toRemove,
          groupMembers: m.groupMembers,
          maxRemovalShare: input.maxRemovalShare,
          ...(m.approvalDeadline ? { approvalDeadline: m.approvalDeadline } : {}),
        },
      }),
  });
  await run.flushReport();
}

/**
 * The input, checked: its schema, a `resume` only in a run continued as new (a forged cursor and
 * stats would skip pages and report counts never made), and the workflow ID, which is the
 * campaign's lock (a run under any other ID would not hold it).
 */
function parseInput(rawInput: SyncInput): SyncOptions {
  const input: SyncOptions = parseWorkflowInput(SyncInputSchema, rawInput, 'sync');
  const info = workflowInfo();
  if (input.resume && !info.continuedFromExecutionRunId) {
    throw invalidInput(`Invalid sync input: ${FORGED_RESUME}`, [FORGED_RESUME]);
  }
  // A pass over the store is `sync all`'s to give (its syncs skip the connection checks it made).
  if (input.storePass !== undefined && input.storePass !== `sync-all:${info.parent?.runId ?? ''}`) {
    throw invalidInput(
      'Invalid sync input: storePass is set by sync all for the syncs it starts (sync-all:<its run ID>); a start must leave it out',
      ['storePass: is set by sync all for the syncs it starts; a start must leave it out'],
    );
  }
  const expectedId = syncWorkflowId(input.campaign);
  if (info.workflowId !== expectedId) {
    throw invalidInput(
      `A sync of campaign ${input.campaign} must run with workflow ID ${expectedId} (the campaign's lock), not ${info.workflowId}.`,
    );
  }
  return input;
}
