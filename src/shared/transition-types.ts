import { z } from 'zod';
import { DEFAULT_TIERS, tierGroupName } from './campaign';
import { campaignCodeSchema, labelSchema, MAX_TIER_LENGTH, tiersSchema } from './schemas';
import {
  DEFAULT_TRANSITION_RULES,
  unreachableRules,
  type IndexedRule,
  type NotEligibleReason,
  type TransitionRule,
} from './transition-rules';

export const TransitionRuleSchema = z
  .object({
    current_tier: labelSchema('current_tier', MAX_TIER_LENGTH, 'current_tier is required: the source tier'),
    next_tier: labelSchema('next_tier', MAX_TIER_LENGTH, 'next_tier is required: the destination tier'),
    requires_purchase: z.boolean({ error: 'requires_purchase is required: true or false' }),
  })
  .strict();

/**
 * Input of the campaign-transition workflow. Unknown keys are refused, so a misspelt option fails
 * loudly instead of being ignored.
 */
export const TransitionInputSchema = z
  .object({
    /** Campaign whose tier groups members are moved from. */
    source: campaignCodeSchema('source'),
    /** Campaign whose next-tier groups members are moved to; not the source. */
    destination: campaignCodeSchema('destination'),
    /** Ordered rules; for a member the first matching rule of its tier wins. Default: BEMA's progression. */
    rules: z
      .array(TransitionRuleSchema)
      .min(1)
      .max(100)
      .default(() => DEFAULT_TRANSITION_RULES.map((r) => ({ ...r }))),
    /** Tiers the campaigns have; every rule's tiers must be among them. Default: BEMA's eight. */
    tiers: tiersSchema().default(() => [...DEFAULT_TIERS]),
    /** Also take a moved member out of the source tier group. Default false (BEMA keeps them). */
    removeFromSource: z.boolean().default(false),
    /** Compute every decision and count, write nothing (not even the destination's groups). */
    dryRun: z.boolean().default(false),
    /**
     * Members read per page of a source group (one MailerLite request each). Default 500, at most
     * 1000; the worker's MAILERLITE_LIST_LIMIT caps it.
     */
    pageSize: z.number().int().min(1).max(1000).default(500),
    /** MailerLite batches of one page sent side by side. Default 4. */
    writeLanes: z.number().int().min(1).max(8).default(4),
    /** Records of each kind (moved, not eligible, skipped, failed) the summary lists. Default 100. */
    reportLimit: z.number().int().min(0).max(1000).default(100),
    /**
     * History events after which a tier's run continues as new at a page boundary (the parent,
     * which holds the locks, never does). Default 10,000; `continueAsNewSuggested` is followed too.
     */
    historyLimit: z.number().int().min(200).max(40_000).default(10_000),
    /** Who started the transition (`cli`, `ui`, ...). Default `manual`. */
    trigger: labelSchema('trigger', 200).default('manual'),
  })
  .strict()
  .superRefine((input, ctx) => {
    if (input.source === input.destination) {
      ctx.addIssue({
        code: 'custom',
        path: ['destination'],
        message: 'destination must differ from source: a transition moves members to another campaign',
      });
    }
    const groupNames = input.tiers.map((t) => tierGroupName('', t));
    groupNames.forEach((name, i) => {
      if (groupNames.indexOf(name) !== i) {
        ctx.addIssue({
          code: 'custom',
          path: ['tiers', i],
          message: `tier '${input.tiers[i]}' gives the same group name as '${input.tiers[groupNames.indexOf(name)]}'`,
        });
      }
    });
    input.rules.forEach((rule, i) => {
      for (const key of ['current_tier', 'next_tier'] as const) {
        if (!input.tiers.includes(rule[key])) {
          ctx.addIssue({
            code: 'custom',
            path: ['rules', i, key],
            message: `'${rule[key]}' is not one of the tiers (${input.tiers.join(', ')})`,
          });
        }
      }
    });
    for (const [i, message] of unreachableRules(input.rules)) {
      ctx.addIssue({ code: 'custom', path: ['rules', i], message });
    }
  });

/** What a caller passes (defaults may be left out). */
export type TransitionInput = z.input<typeof TransitionInputSchema>;
/** The input after defaults are applied. */
export type TransitionOptions = z.output<typeof TransitionInputSchema>;

/** Counts of members, per tier and in total. Every member read is counted exactly once. */
export interface TransitionCounts {
  /** Members read from the source tier groups. */
  members: number;
  /** Moved to the destination group (or would be, in a dry run). */
  moved: number;
  /** Already in the destination group: nothing written. */
  unchanged: number;
  /** Matched no rule of their tier (see `notEligibleReasons`). */
  notEligible: number;
  /** Unsubscribed, bounced or junk: never touched. */
  skippedConsent: number;
  /** MailerLite refused a write (listed with the reason). */
  failed: number;
}

/** Why members were not eligible. */
export interface NotEligibleCounts {
  /** Empty purchase field, or not an order number. */
  noPurchase: number;
  /** EDD has no such order of the subscriber's email. */
  orderNotFound: number;
  /** The order's email is not the subscriber's. */
  emailMismatch: number;
  /** The order is on hold: the member waits (not moved by any rule of the tier). */
  orderOnHold: number;
  /** The order is revoked, refunded, pending or unfinished: not a purchase. */
  orderNotAPurchase: number;
}

/** The count each reason adds to. */
export const NOT_ELIGIBLE_COUNT: Readonly<Record<NotEligibleReason, keyof NotEligibleCounts>> = {
  'no-purchase': 'noPurchase',
  'order-not-found': 'orderNotFound',
  'email-mismatch': 'emailMismatch',
  'order-on-hold': 'orderOnHold',
  'order-not-a-purchase': 'orderNotAPurchase',
};

export interface TierCounts extends TransitionCounts {
  notEligibleReasons: NotEligibleCounts;
}

/** Per-rule counts: the rule that decided each moved, unchanged or failed member. */
export interface RuleCounts {
  index: number;
  moved: number;
  unchanged: number;
  failed: number;
}

/** One member in a summary list, with why it is there. */
export interface TransitionRecord {
  subscriberId: string;
  email: string;
  /** The source tier. */
  tier: string;
  /** The destination tier, for moved and failed members. */
  nextTier?: string;
  reason: string;
}

export interface TransitionRecords {
  moved: TransitionRecord[];
  notEligible: TransitionRecord[];
  skipped: TransitionRecord[];
  failed: TransitionRecord[];
}

export function emptyTierCounts(): TierCounts {
  return {
    members: 0,
    moved: 0,
    unchanged: 0,
    notEligible: 0,
    skippedConsent: 0,
    failed: 0,
    notEligibleReasons: {
      noPurchase: 0,
      orderNotFound: 0,
      emailMismatch: 0,
      orderOnHold: 0,
      orderNotAPurchase: 0,
    },
  };
}

export function addTierCounts(into: TierCounts, from: TierCounts): void {
  for (const key of ['members', 'moved', 'unchanged', 'notEligible', 'skippedConsent', 'failed'] as const) {
    into[key] += from[key];
  }
  for (const key of Object.values(NOT_ELIGIBLE_COUNT)) {
    into.notEligibleReasons[key] += from.notEligibleReasons[key];
  }
}

/** What the parent hands a tier's child run: everything it needs to move that tier's members. */
export interface TierRunInput {
  source: string;
  destination: string;
  tier: string;
  sourceGroupId: string;
  /** Key of the source campaign's purchase field in subscribers' `fields`. */
  purchaseFieldKey: string;
  /** The rules of this tier, in order, with their positions in the transition's rules. */
  rules: IndexedRule[];
  /** Destination group ID by tier ('' for one that does not exist: a dry run). */
  destinationGroupIds: Record<string, string>;
  removeFromSource: boolean;
  dryRun: boolean;
  pageSize: number;
  writeLanes: number;
  reportLimit: number;
  historyLimit: number;
  /** Set by the run itself when it continues as new: where to go on, and what it has counted. */
  resume?: TierResume;
}

export interface TierResume {
  cursor: string;
  pages: number;
  counts: TierCounts;
  byRule: RuleCounts[];
  records: TransitionRecords;
  /** Runs of this tier before this one. */
  continuations: number;
}

/** What a tier's run returns. */
export interface TierResult {
  tier: string;
  pages: number;
  /** Temporal runs the tier took (continue-as-new keeps each run's history bounded). */
  runs: number;
  counts: TierCounts;
  byRule: RuleCounts[];
  /** At most `reportLimit` of each kind. */
  records: TransitionRecords;
}

/** Answer of a tier run's `progress` query. */
export interface TierProgress {
  tier: string;
  pages: number;
  runs: number;
  counts: TierCounts;
}

export type TransitionPhase =
  | 'starting'
  | 'locking'
  | 'checking-connections'
  | 'preparing'
  | 'moving'
  | 'completed'
  | 'cancelled'
  | 'failed';

/** Answer of the transition's `progress` query. */
export interface TransitionProgress {
  source: string;
  destination: string;
  phase: TransitionPhase;
  dryRun: boolean;
  /** Source tiers finished, of `tiersTotal`. */
  tiersDone: number;
  tiersTotal: number;
  /** The tier being moved now, and the child run's workflow ID (query it for live page counts). */
  currentTier?: { tier: string; workflowId: string };
  /** Counts of the finished tiers. */
  totals: TierCounts;
  startedAt: string;
  updatedAt: string;
}

/** One source tier in the summary. */
export interface TierSummary extends TierCounts {
  tier: string;
  sourceGroup: string;
  /** False when the source campaign has no group for the tier: nothing to move from it. */
  sourceGroupFound: boolean;
  pages: number;
  runs: number;
}

/** One rule in the summary, with the members it decided. */
export interface RuleSummary extends TransitionRule {
  moved: number;
  unchanged: number;
  failed: number;
}

/** What a finished transition returns. */
export interface TransitionSummary {
  source: string;
  destination: string;
  status: 'completed';
  /** True when nothing was written: `moved` then counts what a real run would move. */
  dryRun: boolean;
  removeFromSource: boolean;
  totals: TierCounts;
  tiers: TierSummary[];
  rules: RuleSummary[];
  /** Destination groups and fields this run created. */
  resourcesCreated: string[];
  /** A dry run's destination groups and fields a real run would create. */
  resourcesToCreate: string[];
  /** Members moved (or that would be), at most `reportLimit`. */
  movedRecords: TransitionRecord[];
  movedRecordsOmitted: number;
  notEligibleRecords: TransitionRecord[];
  notEligibleRecordsOmitted: number;
  /** Members not touched to keep consent, with the reason. */
  skippedRecords: TransitionRecord[];
  skippedRecordsOmitted: number;
  failedRecords: TransitionRecord[];
  failedRecordsOmitted: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
}
