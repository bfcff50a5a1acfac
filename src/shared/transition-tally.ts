/**
 * A transition's books, as pure functions: a tier run's counts, per-rule counts and report lists
 * of one page (planned, then written), a tier's result added to the transition's, and the summary.
 * The workflows (src/workflows/campaign-transition.ts) call the activities and keep the state.
 */
import {
  planMember,
  purchaseToVerify,
  verdictKey,
  type IndexedRule,
  type MemberPlan,
  type PurchaseVerdict,
  type TransitionMember,
} from './transition-rules';
import { listedRecords } from './sync-types';
import {
  addTierCounts,
  emptyTierCounts,
  NOT_ELIGIBLE_COUNT,
  type RuleCounts,
  type TierCounts,
  type TierResult,
  type TierRunInput,
  type TierSummary,
  type TransitionOptions,
  type TransitionRecord,
  type TransitionRecords,
  type TransitionSummary,
} from './transition-types';

/** A run's counts, per-rule counts and report lists (at most `reportLimit` of each kind). */
export interface TransitionTally {
  counts: TierCounts;
  byRule: RuleCounts[];
  records: TransitionRecords;
}

export function emptyTally(rules: { index: number }[]): TransitionTally {
  return {
    counts: emptyTierCounts(),
    byRule: rules.map(({ index }) => ({ index, moved: 0, unchanged: 0, failed: 0 })),
    records: { moved: [], notEligible: [], skipped: [], failed: [] },
  };
}

/** A member the plan moves. */
export interface PlannedMove {
  member: TransitionMember;
  plan: Extract<MemberPlan, { kind: 'move' }>;
}

/** The orders EDD must confirm for a page (one look-up per distinct order and email). */
export function purchasesToVerify(
  members: TransitionMember[],
  rules: IndexedRule[],
): { email: string; order: number }[] {
  const checks = new Map<string, { email: string; order: number }>();
  for (const m of members) {
    const order = purchaseToVerify(m, rules);
    if (order !== undefined) checks.set(verdictKey(m.email, order), { email: m.email, order });
  }
  return [...checks.values()];
}

/**
 * Plans every member of a page (counted already in `members`) and counts those it leaves as they
 * are (no consent, not eligible, already moved); returns the moves to write.
 */
export function planPage(
  tally: TransitionTally,
  input: Pick<TierRunInput, 'tier' | 'rules' | 'destinationGroupIds' | 'removeFromSource' | 'reportLimit'>,
  members: TransitionMember[],
  verdicts: Map<string, PurchaseVerdict>,
): PlannedMove[] {
  const { counts } = tally;
  const context = {
    tierRules: input.rules,
    destinationGroupIds: input.destinationGroupIds,
    removeFromSource: input.removeFromSource,
  };
  const moves: PlannedMove[] = [];
  for (const member of members) {
    const order = purchaseToVerify(member, input.rules);
    const plan = planMember(
      member,
      context,
      order === undefined ? undefined : verdicts.get(verdictKey(member.email, order)),
    );
    const base = { subscriberId: member.id, email: member.email, tier: input.tier };
    switch (plan.kind) {
      case 'skipped-consent':
        counts.skippedConsent++;
        note(tally, input.reportLimit, 'skipped', { ...base, reason: plan.reason });
        break;
      case 'not-eligible':
        counts.notEligible++;
        counts.notEligibleReasons[NOT_ELIGIBLE_COUNT[plan.reason]]++;
        note(tally, input.reportLimit, 'notEligible', { ...base, reason: plan.detail });
        break;
      case 'unchanged':
        counts.unchanged++;
        ruleCounts(tally, plan.rule.index).unchanged++;
        break;
      case 'move':
        moves.push({ member, plan });
        break;
    }
  }
  return moves;
}

/** Counts the moves written: failed (with the reason, by subscriber ID) or moved. */
export function tallyMoves(
  tally: TransitionTally,
  input: Pick<TierRunInput, 'tier' | 'reportLimit'>,
  moves: PlannedMove[],
  failures: Map<string, string>,
): void {
  for (const { member, plan } of moves) {
    const record = {
      subscriberId: member.id,
      email: member.email,
      tier: input.tier,
      nextTier: plan.rule.next_tier,
    };
    const failure = failures.get(member.id);
    if (failure !== undefined) {
      tally.counts.failed++;
      ruleCounts(tally, plan.rule.index).failed++;
      note(tally, input.reportLimit, 'failed', { ...record, reason: failure });
    } else {
      tally.counts.moved++;
      ruleCounts(tally, plan.rule.index).moved++;
      note(tally, input.reportLimit, 'moved', { ...record, reason: describeMove(plan, input.tier) });
    }
  }
}

/** Adds a finished tier's result to the transition's books. */
export function addTierResult(tally: TransitionTally, result: TierResult, reportLimit: number): void {
  addTierCounts(tally.counts, result.counts);
  for (const r of result.byRule) {
    const into = tally.byRule[r.index]!;
    into.moved += r.moved;
    into.unchanged += r.unchanged;
    into.failed += r.failed;
  }
  for (const kind of ['moved', 'notEligible', 'skipped', 'failed'] as const) {
    const into = tally.records[kind];
    into.push(...result.records[kind].slice(0, Math.max(0, reportLimit - into.length)));
  }
}

/** A tier's line in the summary. */
export function tierSummary(tier: string, sourceGroup: string, result?: TierResult): TierSummary {
  if (!result) return { tier, sourceGroup, sourceGroupFound: false, pages: 0, runs: 0, ...emptyTierCounts() };
  return {
    tier,
    sourceGroup,
    sourceGroupFound: true,
    pages: result.pages,
    runs: result.runs,
    ...result.counts,
  };
}

/** The transition's summary from its books. */
export function transitionSummary(
  input: TransitionOptions,
  tally: TransitionTally,
  tiers: TierSummary[],
  resources: { created: string[]; missing: string[] },
  startedAt: Date,
  finishedAt: Date,
): TransitionSummary {
  const { counts: totals, byRule, records } = tally;
  return {
    source: input.source,
    destination: input.destination,
    status: 'completed',
    dryRun: input.dryRun,
    removeFromSource: input.removeFromSource,
    totals,
    tiers,
    rules: input.rules.map((rule, i) => ({
      ...rule,
      moved: byRule[i]!.moved,
      unchanged: byRule[i]!.unchanged,
      failed: byRule[i]!.failed,
    })),
    resourcesCreated: resources.created,
    resourcesToCreate: resources.missing,
    ...listedRecords('moved', records.moved, totals.moved),
    ...listedRecords('notEligible', records.notEligible, totals.notEligible),
    ...listedRecords('skipped', records.skipped, totals.skippedConsent),
    ...listedRecords('failed', records.failed, totals.failed),
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
  };
}

function ruleCounts(tally: TransitionTally, index: number): RuleCounts {
  return tally.byRule.find((r) => r.index === index)!;
}

function note(
  tally: TransitionTally,
  limit: number,
  kind: keyof TransitionRecords,
  record: TransitionRecord,
): void {
  if (tally.records[kind].length < limit) tally.records[kind].push(record);
}

function describeMove(plan: PlannedMove['plan'], tier: string): string {
  const how = plan.rule.requires_purchase ? ' (purchase verified)' : '';
  const what = plan.assign
    ? `${tier} → ${plan.rule.next_tier}${how}`
    : `already in ${plan.rule.next_tier}${how}`;
  return plan.unassign ? `${what}; left ${tier}` : what;
}
