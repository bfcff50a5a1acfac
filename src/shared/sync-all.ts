import { z } from 'zod';
import { CAMPAIGN_CODE_PATTERN } from './campaign';
import type { LockHolder } from './provisioning';
import {
  emptyCounts,
  listedRecords,
  type SyncCounts,
  type SyncInput,
  type SyncOptions,
  type SyncSummary,
} from './sync-types';

/**
 * The most campaigns one `sync all` run takes. Each campaign costs its run about ten history
 * events (the child's start, its close, the workflow tasks between, a lock-holder look-up when
 * it is skipped), so 500 campaigns stay near 5,000 events: below Temporal's 10,240-event warning
 * without continuing as new. A larger catalogue is synced by several runs, each given a list.
 */
export const SYNC_ALL_MAX_CAMPAIGNS = 500;

/** The most child syncs a `sync all` runs at once (far below Temporal's 2,000 pending children). */
export const SYNC_ALL_MAX_CONCURRENCY = 20;

/** Sync options `sync all` sets itself for each campaign, so they may not be given. */
export const SYNC_ALL_RESERVED_KEYS = ['campaign', 'productId', 'trigger', 'resume'] as const;

const campaignCode = z
  .string()
  .regex(
    CAMPAIGN_CODE_PATTERN,
    'campaign must be a code like 2024_ETB_NBL: a 4-digit year, then upper-case parts joined by _',
  );

/** One campaign to sync: its code, and its EDD product when the code alone does not find it. */
const TargetSchema = z.union([
  campaignCode,
  z.object({ campaign: campaignCode, productId: z.number().int().positive().optional() }).strict(),
]);

/**
 * Input of the `syncAllCampaigns` workflow. Unknown keys are refused.
 */
export const SyncAllInputSchema = z
  .object({
    /**
     * The campaigns to sync. Default: every campaign EDD's album products give (the
     * `listCampaigns` activity), each with its product ID.
     */
    campaigns: z.array(TargetSchema).min(1).max(SYNC_ALL_MAX_CAMPAIGNS).optional(),
    /** Child syncs running at once. Default 2. */
    concurrency: z.number().int().min(1).max(SYNC_ALL_MAX_CONCURRENCY).default(2),
    /** Options of every campaign's sync (as `campaignSync` takes them), e.g. `{ mode: 'update-only', dryRun: true }`. */
    sync: z.record(z.string(), z.unknown()).default({}),
    /** Who started the run (`cli`, ...). Default `manual`. */
    trigger: z.string().trim().min(1).max(200).default('manual'),
  })
  .strict()
  .superRefine((input, ctx) => {
    for (const key of SYNC_ALL_RESERVED_KEYS) {
      if (key in input.sync)
        ctx.addIssue({
          code: 'custom',
          path: ['sync', key],
          message: 'is set by sync all for each campaign and may not be given',
        });
    }
    const codes = (input.campaigns ?? []).map((t) => (typeof t === 'string' ? t : t.campaign));
    const dup = codes.find((code, i) => codes.indexOf(code) !== i);
    if (dup) ctx.addIssue({ code: 'custom', path: ['campaigns'], message: `${dup} is listed twice` });
  });

export type SyncAllInput = z.input<typeof SyncAllInputSchema>;
export type SyncAllOptions = z.output<typeof SyncAllInputSchema>;

/** A campaign `sync all` syncs. */
export interface SyncAllTarget {
  campaign: string;
  productId?: number;
}

export function syncAllTargets(campaigns: SyncAllOptions['campaigns']): SyncAllTarget[] | undefined {
  return campaigns?.map((t) => (typeof t === 'string' ? { campaign: t } : t));
}

/** The trigger (`SyncTrigger`) of the syncs a `sync all` run starts: `sync-all:<its workflow ID>`. */
export function syncAllTrigger(workflowId: string): string {
  return `sync-all:${workflowId}`;
}

/** The input of one campaign's child sync. */
export function childSyncInput(
  options: SyncAllOptions,
  target: SyncAllTarget,
  workflowId: string,
): SyncInput {
  return {
    ...(options.sync as Partial<SyncInput>),
    campaign: target.campaign,
    ...(target.productId !== undefined ? { productId: target.productId } : {}),
    trigger: syncAllTrigger(workflowId),
  };
}

export type SyncAllCampaignStatus = 'pending' | 'running' | 'completed' | 'skipped' | 'failed' | 'cancelled';

/** One campaign's outcome in a `sync all` run. */
export interface SyncAllCampaignResult {
  campaign: string;
  productId?: number;
  /** `campaign-sync-<CODE>`. */
  workflowId: string;
  status: SyncAllCampaignStatus;
  /** The child sync's first run (absent when it was skipped or not started). */
  runId?: string;
  startedAt?: string;
  finishedAt?: string;
  /** A completed sync's counts (its summary without the record lists; `sync report` has those). */
  counts?: SyncCounts;
  pages?: number;
  runs?: number;
  durationMs?: number;
  /** Skipped: the run that held the campaign's lock. */
  holder?: LockHolder;
  /** Failed or cancelled: why. */
  error?: string;
}

export interface SyncAllProgress {
  phase: 'discovering' | 'syncing' | 'completed';
  concurrency: number;
  total: number;
  /** Campaigns finished (completed, skipped, failed or cancelled). */
  done: number;
  /** Campaigns whose sync runs now. */
  running: string[];
  /** The most child syncs that ran at once so far (never above `concurrency`). */
  maxConcurrent: number;
  completed: number;
  skipped: number;
  failed: number;
  cancelled: number;
  /** Counts of the completed syncs, added up. */
  totals: SyncCounts;
  startedAt: string;
  /** Each campaign's outcome so far (`pending` until its sync starts), in the order they are synced. */
  campaigns: SyncAllCampaignResult[];
}

/** What `syncAllCampaigns` returns. */
export interface SyncAllSummary extends Omit<SyncAllProgress, 'phase' | 'running' | 'done'> {
  mode: SyncOptions['mode'];
  dryRun: boolean;
  campaigns: SyncAllCampaignResult[];
  finishedAt: string;
  durationMs: number;
}

/** How many campaigns of a `sync all` run ended each way so far. */
export function tallyCampaigns(results: SyncAllCampaignResult[]) {
  const count = (status: SyncAllCampaignStatus) => results.filter((r) => r.status === status).length;
  return {
    completed: count('completed'),
    skipped: count('skipped'),
    failed: count('failed'),
    cancelled: count('cancelled'),
  };
}

/** A `sync all` run's progress from its campaigns' outcomes so far. */
export function syncAllProgress(
  state: Pick<SyncAllProgress, 'phase' | 'concurrency' | 'maxConcurrent' | 'startedAt' | 'totals'> & {
    results: SyncAllCampaignResult[];
    running: Iterable<string>;
  },
): SyncAllProgress {
  const t = tallyCampaigns(state.results);
  return {
    phase: state.phase,
    concurrency: state.concurrency,
    total: state.results.length,
    done: t.completed + t.skipped + t.failed + t.cancelled,
    running: [...state.running],
    maxConcurrent: state.maxConcurrent,
    ...t,
    totals: { ...state.totals },
    startedAt: state.startedAt,
    campaigns: state.results.map((r) => ({ ...r })),
  };
}

/** A completed child sync's outcome in a `sync all` result, its counts added to `totals`. */
export function recordCompleted(
  result: SyncAllCampaignResult,
  summary: SyncSummary,
  totals: SyncCounts,
): void {
  const counts = emptyCounts();
  for (const key of Object.keys(counts) as (keyof SyncCounts)[]) counts[key] = summary[key];
  result.status = 'completed';
  result.counts = counts;
  result.pages = summary.pages;
  result.runs = summary.runs;
  result.durationMs = summary.durationMs;
  for (const key of Object.keys(totals) as (keyof SyncCounts)[]) totals[key] += summary[key];
}

/** The failed-run stats a campaign's sync would have recorded, had it started. */
export function unstartedSyncStats(input: SyncInput, startTime: Date, now: Date): SyncSummary {
  return {
    campaign: input.campaign,
    productId: input.productId ?? 0,
    status: 'failed',
    pages: 0,
    runs: 1,
    dryRun: input.dryRun ?? false,
    samples: { created: [], updated: [] },
    resourcesToCreate: [],
    mode: input.mode ?? 'upsert',
    ...emptyCounts(),
    ...listedRecords('invalid', [], 0),
    ...listedRecords('failed', [], 0),
    ...listedRecords('skipped', [], 0),
    startedAt: startTime.toISOString(),
    finishedAt: now.toISOString(),
    durationMs: now.getTime() - startTime.getTime(),
  };
}
