/**
 * Every signal, query and update a workflow handles, defined once: the workflows set their
 * handlers with these, and the CLI (and the worker's health checks) send them with the same
 * definitions, so a name or a shape cannot drift between the two sides.
 *
 * `define*` only builds a definition (a name and a type); it runs no workflow code, so the CLI
 * may import this module as samples' `shared.ts` modules are imported.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SyncAllProgress } from './sync-all';
import type { SyncProgress } from './sync-types';
import type { TierProgress, TransitionProgress } from './transition-types';

/** `campaignSync`'s progress: counts so far, phase, pages, and a mirror's pending removals. */
export const syncProgressQuery = defineQuery<SyncProgress>('progress');

/** `syncAllCampaigns`' progress: each campaign's outcome so far. */
export const syncAllProgressQuery = defineQuery<SyncAllProgress>('progress');

/** `campaignTransition`'s progress, and each `transitionTier` child's. */
export const transitionProgressQuery = defineQuery<TransitionProgress>('progress');
export const tierProgressQuery = defineQuery<TierProgress>('progress');

/** A `campaignLock` run: the campaign it holds, and who holds it. */
export interface CampaignLockInput {
  campaign: string;
  /** Who holds the lock, e.g. `transition:campaign-transition-2024_A_B-2025_C_D`. */
  holder: string;
}

/** Who holds the lock (answered while it is held). */
export const lockHolderQuery = defineQuery<CampaignLockInput>('holder');
/** Ends a `campaignLock` run, freeing the campaign. */
export const releaseLockSignal = defineSignal('release');

/** An approval or a refusal of a mirror sync's pending removals. */
export interface RemovalDecision {
  /** Who decides (recorded in the summary). */
  by?: string;
  /**
   * The number of removals being approved, as shown by `sync status`: when given, it must equal
   * the pending count, so an approval never covers more than its sender saw.
   */
  count?: number;
}

export interface RemovalDecisionResult {
  approved: boolean;
  toRemove: number;
  groupMembers: number;
}

/** From the Temporal UI ("Send a signal"), with `{}` or `{"by": "...", "count": N}` as input. */
export const approveRemovalsSignal = defineSignal<[RemovalDecision?]>('approveRemovals');
export const rejectRemovalsSignal = defineSignal<[RemovalDecision?]>('rejectRemovals');
/** From the CLI (`sync approve` / `sync reject`): refused at once when no approval is awaited. */
export const decideRemovalsUpdate = defineUpdate<
  RemovalDecisionResult,
  [RemovalDecision & { approve: boolean }]
>('decideRemovals');
