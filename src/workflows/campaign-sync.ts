import {
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { InvalidInputError, NON_RETRYABLE_ERROR_TYPES } from '../shared/errors';
import { mailerliteTaskQueue, syncWorkflowId } from '../shared/names';
import { WriteStream } from './write-pipeline';
import { CAMPAIGN_CODE, SYNC_TRIGGER } from '../shared/search-attributes';
import {
  describeZodIssues,
  emptyCounts,
  SyncInputSchema,
  type FailedRecordReport,
  type InvalidRecordReport,
  type SyncInput,
  type SyncOptions,
  type SyncPhase,
  type SyncProgress,
  type SyncResume,
  type SyncSummary,
} from '../shared/sync-types';

/** The current phase and counts of a running sync. */
export const progressQuery = defineQuery<SyncProgress>('progress');

const retry: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  maximumAttempts: 10,
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};

/** Short calls: connection checks, look-ups, provisioning, validation, stats. */
const quick = proxyActivities<Activities>({ startToCloseTimeout: '2m', retry });

/** One page of EDD sales plus its customers' look-ups. */
const source = proxyActivities<Activities>({ startToCloseTimeout: '5m', retry });

/**
 * Syncs one campaign: checks both connections, makes sure the campaign's MailerLite groups and
 * purchase field exist, then pages through the album's EDD purchasers, validating every record and
 * writing the valid ones, and records the run's stats. Only page numbers and per-page records pass
 * through history, never the whole dataset.
 */
export async function campaignSync(rawInput: SyncInput): Promise<SyncSummary> {
  const input = parseInput(rawInput);
  const info = workflowInfo();
  const expectedId = syncWorkflowId(input.campaign);
  if (info.workflowId !== expectedId) {
    // The workflow ID is the campaign's lock; a run under any other ID would not hold it.
    throw ApplicationFailure.create({
      type: InvalidInputError.name,
      nonRetryable: true,
      message: `A sync of campaign ${input.campaign} must run with workflow ID ${expectedId} (the campaign's lock), not ${info.workflowId}.`,
    });
  }
  // One MailerLite request per activity, on the task queue whose rate limit is the account's budget.
  // Two minutes covers the HTTP timeout (30 s) twice plus a Retry-After waited out in place (10 s).
  const mailerlite = proxyActivities<Activities>({
    taskQueue: mailerliteTaskQueue(info.taskQueue),
    startToCloseTimeout: '2m',
    retry,
  });
  if (info.typedSearchAttributes.get(CAMPAIGN_CODE) === undefined) {
    upsertSearchAttributes([
      { key: CAMPAIGN_CODE, value: input.campaign },
      { key: SYNC_TRIGGER, value: input.trigger },
    ]);
  }

  // A continued run picks up the cursor and the stats of the runs before it.
  const resume = input.resume;
  const startedAt = resume ? new Date(resume.startedAt) : new Date();
  const counts = resume ? { ...resume.counts } : emptyCounts();
  const invalidRecords: InvalidRecordReport[] = resume ? [...resume.invalidRecords] : [];
  const failedRecords: FailedRecordReport[] = resume ? [...resume.failedRecords] : [];
  const skippedRecords: FailedRecordReport[] = resume ? [...resume.skippedRecords] : [];
  const samples = resume ? { ...resume.samples } : { created: [], updated: [] };
  let resourcesToCreate: string[] = [];
  let phase: SyncPhase = 'starting';
  let pages = resume?.pages ?? 0;
  let productId = resume?.productId ?? input.productId ?? 0;
  let updatedAt = startedAt;

  setHandler(progressQuery, () => ({
    campaign: input.campaign,
    phase,
    pages,
    ...counts,
    startedAt: startedAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
  }));
  const enter = (next: SyncPhase) => {
    phase = next;
    updatedAt = new Date();
  };

  const summarize = (status: SyncSummary['status']): SyncSummary => {
    const finishedAt = new Date();
    return {
      campaign: input.campaign,
      productId,
      status,
      pages,
      runs: (resume?.continuations ?? 0) + 1,
      dryRun: input.dryRun,
      samples,
      resourcesToCreate,
      ...counts,
      invalidRecords,
      invalidRecordsOmitted: counts.invalid - invalidRecords.length,
      failedRecords,
      failedRecordsOmitted: counts.failed - failedRecords.length,
      skippedRecords,
      skippedRecordsOmitted: counts.skipped - skippedRecords.length,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
    };
  };

  try {
    enter('checking-connections');
    await quick.checkConnections();

    enter('preparing');
    if (!resume) {
      const product = await quick.resolveCampaign({ campaign: input.campaign, productId: input.productId });
      productId = product.productId;
    }
    const resources = await quick.ensureCampaignResources({
      campaign: input.campaign,
      tiers: input.tiers,
      purchaseTier: input.purchaseTier,
      dryRun: input.dryRun,
    });
    resourcesToCreate = resources.missing;

    enter('syncing');
    // The source reads the next page while the stream writes the last ones; the stream pushes back
    // when two pages are waiting, so memory and history stay bounded whatever the campaign's size.
    const stream = new WriteStream(
      {
        groupId: resources.purchaseGroupId,
        purchaseFieldKey: resources.purchaseFieldKey,
        fieldKeys: ['name', 'last_name', resources.purchaseFieldKey],
        mode: input.mode,
        lanes: input.writeLanes,
        dryRun: input.dryRun,
        sampleSize: input.sampleSize,
        maxQueued: 2 * input.pageSize,
        exchange: mailerlite.mailerliteExchange,
        waitFor: condition,
      },
      { counts, failures: failedRecords, skips: skippedRecords, samples, reportLimit: input.reportLimit },
    );
    // Where to continue as new: set at a page boundary once history is long enough.
    let continueAt: number | undefined;
    const historyFull = () => {
      const now = workflowInfo();
      return now.continueAsNewSuggested || now.historyLength >= input.historyLimit;
    };
    const reading = async () => {
      try {
        for (let page = resume?.page ?? 1; input.maxPages === undefined || page <= input.maxPages; page++) {
          if (historyFull()) {
            continueAt = page;
            break;
          }
          const batch = await source.fetchPurchasersPage({ productId, page, pageSize: input.pageSize });
          counts.fetched += batch.records.length;
          if (batch.records.length > 0) {
            const { valid, invalid } = await quick.validateRecords({
              campaign: input.campaign,
              records: batch.records,
            });
            counts.valid += valid.length;
            counts.invalid += invalid.length;
            invalidRecords.push(...invalid.slice(0, input.reportLimit - invalidRecords.length));
            await stream.push(valid);
          }
          pages++;
          updatedAt = new Date();
          if (batch.done) break;
        }
      } finally {
        stream.close();
      }
    };
    await Promise.all([reading(), stream.run()]);

    if (continueAt !== undefined) {
      // Everything queued has been written; the next run starts at this page with these stats,
      // under the same workflow ID, so the campaign's lock is held throughout.
      const next: SyncResume = {
        page: continueAt,
        pages,
        counts: { ...counts },
        invalidRecords,
        failedRecords,
        skippedRecords,
        samples,
        startedAt: startedAt.toISOString(),
        productId,
        continuations: (resume?.continuations ?? 0) + 1,
      };
      log.info('campaign sync continues as new', { campaign: input.campaign, page: continueAt });
      return await continueAsNew<typeof campaignSync>({ ...input, resume: next });
    }

    enter('recording');
    const summary = summarize('completed');
    await quick.recordSyncStats(summary);
    enter('completed');
    log.info('campaign sync completed', { campaign: input.campaign, pages, ...counts });
    return summary;
  } catch (err) {
    if (isCancellation(err)) {
      // Keep what was written, record the partial stats, then end as cancelled (freeing the lock).
      enter('cancelled');
      await CancellationScope.nonCancellable(() => quick.recordSyncStats(summarize('cancelled')));
    } else {
      enter('failed');
    }
    throw err;
  }
}

function parseInput(rawInput: SyncInput): SyncOptions {
  const parsed = SyncInputSchema.safeParse(rawInput ?? {});
  if (parsed.success) return parsed.data;
  const issues = describeZodIssues(parsed.error);
  throw ApplicationFailure.create({
    type: InvalidInputError.name,
    nonRetryable: true,
    message: `Invalid sync input: ${issues.join('; ')}`,
    details: [issues],
  });
}
