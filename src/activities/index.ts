import { campaignActivities } from './campaign';
import { catalogActivities } from './catalog';
import { connectionActivities } from './connections';
import { destinationIndexActivities } from './destination-index';
import type { ActivityDeps } from './deps';
import { healthActivities } from './health';
import { mailerliteExchangeActivities } from './mailerlite-exchange';
import { mirrorActivities } from './mirror';
import { notifyActivities } from './notify';
import { pageWriteActivities } from './page-writes';
import { provisioningActivities } from './provisioning';
import { reportActivities } from './report';
import { withLiveness, withRetryHints } from './retry-hints';
import { withScheduleToStart } from './schedule-latency';
import { sourceActivities } from './source';
import { statsActivities } from './stats';
import { transitionActivities } from './transition';
import { validatePage, validationActivities } from './validation';
import { watermarkActivities } from './watermark';

export type { ActivityDeps } from './deps';
export type { CampaignResources, GroupMemberCounts, ResolvedCampaign } from './campaign';
export {
  PROCESS_HOST_ID,
  type HeldSalesPage,
  type HeldSource,
  type HeldValidation,
  type IndexPageInput,
  type LookUpListPageInput,
  type IndexPageResult,
  type PlanListPageInput,
  type PlanListPageResult,
  type WriteListBatchesInput,
} from './destination-index';
export type { ConnectionCheck } from './connections';
export type { FetchPurchasersInput, PurchasersPage } from './source';
export type { WritePageInput, WritePageResult, WritePath } from './page-writes';
export type { ValidationInput, ValidationResult } from './validation';
export type {
  GroupChange,
  GroupChangeOutcome,
  PurchaseCheck,
  PurchaseCheckResult,
  TransitionMembersInput,
  TransitionMembersPage,
} from './transition';
export type { MirrorScanInput, RemovalOutcome } from './mirror';
export type { SyncWebhookPayload } from './notify';
export type { CreateOutcome, ExistingCampaignResources } from './provisioning';
export type {
  HealthContext,
  HealthWebhookPayload,
  RecoverStuckSyncInput,
  RecoverStuckSyncResult,
} from './health';

/**
 * Activities that each make exactly one MailerLite request (or, `mailerliteTurn`, hold one
 * request's place for another activity's): they run on the rate-limited task queue.
 */
export const MAILERLITE_QUEUE_ACTIVITIES = [
  'mailerliteExchange',
  'listTransitionMembers',
  'applyGroupChanges',
  'mirrorScanPage',
  'mirrorRemoveMembers',
  'createCampaignGroup',
  'deleteCampaignGroup',
  'createCampaignField',
  'deleteCampaignField',
  'checkMailerLite',
  'checkMailerLiteConnection',
  'mailerliteTurn',
] as const;

/**
 * Activities of a full sync's list path that use the destination index a worker process keeps: they
 * run on that process's own task queue (`hostTaskQueue`), which only it polls.
 */
export const HOST_QUEUE_ACTIVITIES = [
  'openDestinationIndex',
  'readHeldSalesPage',
  'validateHeldSalesPage',
  'indexDestinationPage',
  'planListPage',
  'lookUpListPage',
  'writeListBatches',
  'releaseDestinationIndex',
] as const;

/** Activities that heartbeat with their own progress details (never overwritten by a liveness beat). */
const SELF_HEARTBEATING = new Set(['writeRecordsPage', 'recoverStuckSync']);

const MAILERLITE_QUEUE = new Set<string>(MAILERLITE_QUEUE_ACTIVITIES);

/**
 * Builds every activity of the campaign sync from its dependencies. Those of the main task queue
 * record their schedule-to-start wait for the health check (src/activities/schedule-latency.ts);
 * the MailerLite queue's do not (their waits are the rate limit).
 */
export function createActivities(deps: ActivityDeps) {
  const source = sourceActivities(deps);
  const all = {
    ...connectionActivities(deps),
    ...campaignActivities(deps),
    ...catalogActivities(deps),
    ...source,
    ...watermarkActivities(deps),
    ...validationActivities(deps),
    ...mailerliteExchangeActivities(deps),
    ...pageWriteActivities(deps),
    ...destinationIndexActivities(deps, {
      fetchPage: (input) => source.fetchPurchasersPage(input),
      validate: (campaign, records) => validatePage(deps.logger, campaign, records),
    }),
    ...statsActivities(deps),
    ...transitionActivities(deps),
    ...reportActivities(deps),
    ...mirrorActivities(deps),
    ...provisioningActivities(deps),
    ...healthActivities(deps),
    ...notifyActivities(deps),
  };
  return Object.fromEntries(
    Object.entries(all).map(([name, fn]) => {
      const hinted = withRetryHints(fn as (...a: unknown[]) => Promise<unknown>);
      const live = SELF_HEARTBEATING.has(name) ? hinted : withLiveness(hinted);
      return [name, MAILERLITE_QUEUE.has(name) ? live : withScheduleToStart(live)];
    }),
  ) as typeof all;
}

export type Activities = ReturnType<typeof createActivities>;
