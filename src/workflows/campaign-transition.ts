/**
 * Transitions: move subscribers from a SOURCE campaign's tier groups to a DESTINATION campaign's
 * next-tier groups, by BEMA's rules (see src/shared/transition-rules.ts).
 *
 * ## Why two workflows: the locks and continue-as-new
 *
 * A transition must hold both campaigns' locks from start to end, so no sync of either campaign
 * writes while members move. A lock is a child run of `campaignLock` under the campaign's sync
 * workflow ID, tied to its parent by parent close policy TERMINATE, so a lock can never outlive the
 * work it protects. But continue-as-new CLOSES the parent run: the server would then terminate the
 * lock runs, and the next run would have to take the locks again, leaving a window in which a sync
 * could slip in (and the re-take could fail half-way through the transition). Releasing and
 * re-acquiring is therefore not safe.
 *
 * So the parent, {@link campaignTransition}, never continues as new. It takes both locks, prepares
 * the groups, then runs one child, {@link transitionTier}, per source tier, one after another, and
 * releases the locks in a `finally` (they also end with it when it is terminated or times out).
 * Its history stays small and bounded: two lock children, a few activities, at most one child per
 * tier. Each tier child pages through its source group's members with MailerLite's cursor and,
 * when its own history grows past `historyLimit` (or the server suggests it), continues as new at
 * a page boundary carrying its cursor, counts and report lists. A child continuing as new stays
 * the parent's child (the parent waits for the last run of the chain), and the locks, held by the
 * parent, are untouched by it. A tier child refuses to run without a parent: without one it would
 * hold no lock.
 *
 * Idempotency: joining a group a member is already in, and leaving one they are not in, change
 * nothing, and a member already in the destination group is `unchanged` (nothing sent), so a
 * re-run (or a retried batch) makes no further writes.
 */
import {
  ActivityCancellationType,
  ApplicationFailure,
  CancellationScope,
  continueAsNew,
  defineQuery,
  executeChild,
  isCancellation,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { ACTIVITY_RETRY } from './retry';
import type { Activities, GroupChange, GroupChangeOutcome } from '../activities';
import { DEFAULT_PURCHASE_TIER, tierGroupName } from '../shared/campaign';
import { InvalidInputError } from '../shared/errors';
import { mailerliteTaskQueue, transitionWorkflowId } from '../shared/names';
import { describeZodIssues } from '../shared/sync-types';
import {
  planMember,
  purchaseToVerify,
  rulesForTier,
  sourceTiers,
  verdictKey,
  type MemberPlan,
  type PurchaseVerdict,
  type TransitionMember,
} from '../shared/transition-rules';
import {
  addTierCounts,
  emptyTierCounts,
  NOT_ELIGIBLE_COUNT,
  TransitionInputSchema,
  type RuleCounts,
  type TierProgress,
  type TierResult,
  type TierRunInput,
  type TierSummary,
  type TransitionInput,
  type TransitionOptions,
  type TransitionPhase,
  type TransitionProgress,
  type TransitionRecord,
  type TransitionRecords,
  type TransitionSummary,
} from '../shared/transition-types';
import { checkConnectionsWithinBudget, ensureResourcesWithinBudget } from './budgeted-preparation';
import { acquireCampaignLocks } from './campaign-lock';

/** The transition's phase, tiers done and counts of finished tiers. */
export const transitionProgressQuery = defineQuery<TransitionProgress>('progress');
/** A tier run's pages and counts so far. */
export const tierProgressQuery = defineQuery<TierProgress>('progress');

const retry = ACTIVITY_RETRY;

/** Connection checks and group look-ups / provisioning. */
const quick = proxyActivities<Activities>({ startToCloseTimeout: '2m', retry });
/** EDD order look-ups for one page of members. */
const edd = proxyActivities<Activities>({ startToCloseTimeout: '5m', retry });

/** Most group changes in one MailerLite batch. */
const BATCH_SIZE = 50;

/**
 * Moves members of the source campaign's tier groups to the destination campaign's next-tier
 * groups, holding both campaigns' locks throughout. See the module comment for the design.
 */
export async function campaignTransition(rawInput: TransitionInput): Promise<TransitionSummary> {
  const input = parseInput(rawInput);
  const info = workflowInfo();
  const expectedId = transitionWorkflowId(input.source, input.destination);
  if (info.workflowId !== expectedId) {
    throw ApplicationFailure.create({
      type: InvalidInputError.name,
      nonRetryable: true,
      message: `A transition from ${input.source} to ${input.destination} must run with workflow ID ${expectedId}, not ${info.workflowId}.`,
    });
  }
  const startedAt = new Date();
  let updatedAt = startedAt;
  let phase: TransitionPhase = 'starting';
  const tiers = sourceTiers(input.rules);
  const tierSummaries: TierSummary[] = [];
  const totals = emptyTierCounts();
  const byRule: RuleCounts[] = input.rules.map((_, index) => ({ index, moved: 0, unchanged: 0, failed: 0 }));
  const records: TransitionRecords = { moved: [], notEligible: [], skipped: [], failed: [] };
  let currentTier: TransitionProgress['currentTier'];
  let resourcesCreated: string[] = [];
  let resourcesToCreate: string[] = [];

  setHandler(transitionProgressQuery, () => ({
    source: input.source,
    destination: input.destination,
    phase,
    dryRun: input.dryRun,
    tiersDone: tierSummaries.length,
    tiersTotal: tiers.length,
    ...(currentTier ? { currentTier } : {}),
    totals,
    startedAt: startedAt.toISOString(),
    updatedAt: updatedAt.toISOString(),
  }));
  const enter = (next: TransitionPhase) => {
    phase = next;
    updatedAt = new Date();
  };

  enter('locking');
  // Fails at once (CampaignLockedError, not retried) when a sync of either campaign, or another
  // lock holder, is running. Taken in a non-cancellable scope: a cancelled transition must not have
  // its lock runs cancelled with it (they would end at once, while the tier run is still finishing
  // its in-flight writes); the `finally` below releases them once everything else has stopped.
  const locks = await CancellationScope.nonCancellable(() =>
    acquireCampaignLocks([input.source, input.destination], `transition:${info.workflowId}`),
  );
  try {
    // Every MailerLite request within the account's budget, as a sync's (budgeted-preparation.ts).
    const prep = {
      quick,
      mailerlite: proxyActivities<Activities>({
        taskQueue: mailerliteTaskQueue(info.taskQueue),
        startToCloseTimeout: '2m',
        retry,
      }),
    };
    const ensure = (resources: Parameters<typeof quick.ensureCampaignResources>[0] & { dryRun: boolean }) =>
      ensureResourcesWithinBudget(prep, resources);
    enter('checking-connections');
    await checkConnectionsWithinBudget(info.taskQueue);

    enter('preparing');
    const purchaseTier = input.tiers.includes(DEFAULT_PURCHASE_TIER)
      ? DEFAULT_PURCHASE_TIER
      : input.tiers[0]!;
    const destination = await ensure({
      campaign: input.destination,
      tiers: input.tiers,
      purchaseTier,
      dryRun: input.dryRun,
    });
    resourcesCreated = destination.created;
    resourcesToCreate = destination.missing;
    // Look only: a missing source group means nothing to move from that tier.
    const source = await ensure({
      campaign: input.source,
      tiers: input.tiers,
      purchaseTier,
      dryRun: true,
    });

    enter('moving');
    for (const tier of tiers) {
      const sourceGroupId = source.groupIds[tier] ?? '';
      const sourceGroup = tierGroupName(input.source, tier);
      if (sourceGroupId === '') {
        tierSummaries.push({
          tier,
          sourceGroup,
          sourceGroupFound: false,
          pages: 0,
          runs: 0,
          ...emptyTierCounts(),
        });
        updatedAt = new Date();
        continue;
      }
      const workflowId = `${info.workflowId}-tier-${tierGroupName('', tier).slice(1)}`;
      currentTier = { tier, workflowId };
      updatedAt = new Date();
      const result = await executeChild(transitionTier, {
        workflowId,
        taskQueue: info.taskQueue,
        // The tier run must never outlive the parent, which holds the locks.
        parentClosePolicy: ParentClosePolicy.TERMINATE,
        args: [
          {
            source: input.source,
            destination: input.destination,
            tier,
            sourceGroupId,
            purchaseFieldKey: source.purchaseFieldKey,
            rules: rulesForTier(input.rules, tier),
            destinationGroupIds: destination.groupIds,
            removeFromSource: input.removeFromSource,
            dryRun: input.dryRun,
            pageSize: input.pageSize,
            writeLanes: input.writeLanes,
            reportLimit: input.reportLimit,
            historyLimit: input.historyLimit,
          },
        ],
      });
      currentTier = undefined;
      tierSummaries.push({
        tier,
        sourceGroup,
        sourceGroupFound: true,
        pages: result.pages,
        runs: result.runs,
        ...result.counts,
      });
      addTierCounts(totals, result.counts);
      for (const r of result.byRule) {
        const into = byRule[r.index]!;
        into.moved += r.moved;
        into.unchanged += r.unchanged;
        into.failed += r.failed;
      }
      for (const kind of ['moved', 'notEligible', 'skipped', 'failed'] as const) {
        listSome(records[kind], result.records[kind], input.reportLimit);
      }
      updatedAt = new Date();
    }

    enter('completed');
    const finishedAt = new Date();
    const summary: TransitionSummary = {
      source: input.source,
      destination: input.destination,
      status: 'completed',
      dryRun: input.dryRun,
      removeFromSource: input.removeFromSource,
      totals,
      tiers: tierSummaries,
      rules: input.rules.map((rule, i) => ({
        ...rule,
        moved: byRule[i]!.moved,
        unchanged: byRule[i]!.unchanged,
        failed: byRule[i]!.failed,
      })),
      resourcesCreated,
      resourcesToCreate,
      movedRecords: records.moved,
      movedRecordsOmitted: totals.moved - records.moved.length,
      notEligibleRecords: records.notEligible,
      notEligibleRecordsOmitted: totals.notEligible - records.notEligible.length,
      skippedRecords: records.skipped,
      skippedRecordsOmitted: totals.skippedConsent - records.skipped.length,
      failedRecords: records.failed,
      failedRecordsOmitted: totals.failed - records.failed.length,
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationMs: finishedAt.getTime() - startedAt.getTime(),
    };
    log.info('campaign transition completed', {
      source: input.source,
      destination: input.destination,
      dryRun: input.dryRun,
      ...totals,
    });
    return summary;
  } catch (err) {
    enter(isCancellation(err) ? 'cancelled' : 'failed');
    throw err;
  } finally {
    // Also when cancelled: releasing must not be cancelled with the rest. A lock run that ended
    // already (terminated by hand) needs no release: the transition's outcome stands.
    await CancellationScope.nonCancellable(() => locks.release()).catch((err: unknown) =>
      log.warn('releasing a campaign lock failed: the lock run had ended already', {
        locks: locks.campaigns,
        error: err instanceof Error ? err.message : String(err),
      }),
    );
  }
}

/**
 * Moves the members of ONE source tier group, page by page; continues as new when its history is
 * long. Runs only as a child of {@link campaignTransition}, which holds both campaigns' locks.
 */
export async function transitionTier(input: TierRunInput): Promise<TierResult> {
  const info = workflowInfo();
  if (!info.parent) {
    throw ApplicationFailure.create({
      type: InvalidInputError.name,
      nonRetryable: true,
      message:
        'transitionTier runs only as a child of campaignTransition, which holds both campaigns’ locks; start a transition instead.',
    });
  }
  const mailerlite = proxyActivities<Activities>({
    taskQueue: mailerliteTaskQueue(info.taskQueue),
    startToCloseTimeout: '2m',
    retry,
    // When the transition is cancelled, a batch in flight finishes before this run ends, so the
    // parent releases the locks only after the last write.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  const resume = input.resume;
  const counts = resume ? resume.counts : emptyTierCounts();
  const byRule: RuleCounts[] = resume
    ? resume.byRule
    : input.rules.map((r) => ({ index: r.index, moved: 0, unchanged: 0, failed: 0 }));
  const records: TransitionRecords = resume
    ? resume.records
    : { moved: [], notEligible: [], skipped: [], failed: [] };
  let pages = resume?.pages ?? 0;
  const runs = (resume?.continuations ?? 0) + 1;
  setHandler(tierProgressQuery, () => ({ tier: input.tier, pages, runs, counts }));

  const ruleCounts = (index: number) => byRule.find((r) => r.index === index)!;
  const note = (kind: keyof TransitionRecords, record: TransitionRecord) => {
    if (records[kind].length < input.reportLimit) records[kind].push(record);
  };
  const plannedFor = { tierRules: input.rules, destinationGroupIds: input.destinationGroupIds };

  const processPage = async (members: TransitionMember[]) => {
    counts.members += members.length;
    // 1. Which orders EDD must confirm (one look-up per distinct order and email).
    const checks = new Map<string, { email: string; order: number }>();
    for (const m of members) {
      const order = purchaseToVerify(m, input.rules);
      if (order !== undefined) checks.set(verdictKey(m.email, order), { email: m.email, order });
    }
    const verdicts = new Map<string, PurchaseVerdict>();
    if (checks.size > 0) {
      for (const r of await edd.verifyPurchases({ checks: [...checks.values()] })) {
        verdicts.set(verdictKey(r.email, r.order), r.verdict);
      }
    }
    // 2. Plan every member (pure).
    const moves: { member: TransitionMember; plan: Extract<MemberPlan, { kind: 'move' }> }[] = [];
    for (const member of members) {
      const order = purchaseToVerify(member, input.rules);
      const plan = planMember(
        member,
        { ...plannedFor, removeFromSource: input.removeFromSource },
        order === undefined ? undefined : verdicts.get(verdictKey(member.email, order)),
      );
      const base = { subscriberId: member.id, email: member.email, tier: input.tier };
      switch (plan.kind) {
        case 'skipped-consent':
          counts.skippedConsent++;
          note('skipped', { ...base, reason: plan.reason });
          break;
        case 'not-eligible':
          counts.notEligible++;
          counts.notEligibleReasons[NOT_ELIGIBLE_COUNT[plan.reason]]++;
          note('notEligible', { ...base, reason: plan.detail });
          break;
        case 'unchanged':
          counts.unchanged++;
          ruleCounts(plan.rule.index).unchanged++;
          break;
        case 'move':
          moves.push({ member, plan });
          break;
      }
    }
    // 3. Write: join the destination groups first, then leave the source group only where the
    //    join succeeded (or was not needed), so a refused join never loses a member.
    const failures = new Map<string, string>();
    if (!input.dryRun) {
      const joins = moves.filter((m) => m.plan.assign);
      const joinOutcomes = await applyInBatches(
        joins.map((m) => ({ action: 'assign', subscriberId: m.member.id, groupId: m.plan.groupId })),
      );
      joins.forEach((m, i) => {
        const o = joinOutcomes[i]!;
        if (!o.ok) failures.set(m.member.id, o.reason);
      });
      const leaves = moves.filter((m) => m.plan.unassign && !failures.has(m.member.id));
      const leaveOutcomes = await applyInBatches(
        leaves.map((m) => ({ action: 'unassign', subscriberId: m.member.id, groupId: input.sourceGroupId })),
      );
      leaves.forEach((m, i) => {
        const o = leaveOutcomes[i]!;
        if (!o.ok) failures.set(m.member.id, `in ${m.plan.rule.next_tier} now, but ${o.reason}`);
      });
    }
    for (const { member, plan } of moves) {
      const record = {
        subscriberId: member.id,
        email: member.email,
        tier: input.tier,
        nextTier: plan.rule.next_tier,
      };
      const failure = failures.get(member.id);
      if (failure !== undefined) {
        counts.failed++;
        ruleCounts(plan.rule.index).failed++;
        note('failed', { ...record, reason: failure });
      } else {
        counts.moved++;
        ruleCounts(plan.rule.index).moved++;
        note('moved', { ...record, reason: describeMove(plan, input.tier) });
      }
    }
  };

  /** Sends the changes in batches of 50, at most `writeLanes` at a time; outcomes in order. */
  const applyInBatches = async (changes: GroupChange[]): Promise<GroupChangeOutcome[]> => {
    const batches: GroupChange[][] = [];
    for (let i = 0; i < changes.length; i += BATCH_SIZE) batches.push(changes.slice(i, i + BATCH_SIZE));
    const results = new Array<GroupChangeOutcome[]>(batches.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(input.writeLanes, batches.length) }, async () => {
        while (next < batches.length) {
          const index = next++;
          results[index] = await mailerlite.applyGroupChanges({ changes: batches[index]! });
        }
      }),
    );
    return results.flat();
  };

  const historyFull = () => {
    const now = workflowInfo();
    return now.continueAsNewSuggested || now.historyLength >= input.historyLimit;
  };

  let cursor: string | null = resume?.cursor ?? null;
  let pagesThisRun = 0;
  for (;;) {
    if (pagesThisRun > 0 && cursor !== null && historyFull()) {
      // At a page boundary: everything read so far is written and counted.
      log.info('transition tier continues as new', { tier: input.tier, pages });
      return await continueAsNew<typeof transitionTier>({
        ...input,
        resume: { cursor, pages, counts, byRule, records, continuations: runs },
      });
    }
    const page = await mailerlite.listTransitionMembers({
      groupId: input.sourceGroupId,
      cursor,
      limit: input.pageSize,
      purchaseFieldKey: input.purchaseFieldKey,
      groupIds: Object.values(input.destinationGroupIds).filter((id) => id !== ''),
    });
    await processPage(page.members);
    pages++;
    pagesThisRun++;
    // An empty page does not end the walk: the members of the next status may follow.
    if (page.nextCursor === null || page.nextCursor === cursor) break;
    cursor = page.nextCursor;
  }
  return { tier: input.tier, pages, runs, counts, byRule, records };
}

function describeMove(plan: Extract<MemberPlan, { kind: 'move' }>, tier: string): string {
  const how = plan.rule.requires_purchase ? ' (purchase verified)' : '';
  const what = plan.assign
    ? `${tier} → ${plan.rule.next_tier}${how}`
    : `already in ${plan.rule.next_tier}${how}`;
  return plan.unassign ? `${what}; left ${tier}` : what;
}

/** Appends from `more` until `into` holds `limit` records. */
function listSome(into: TransitionRecord[], more: TransitionRecord[], limit: number): void {
  into.push(...more.slice(0, Math.max(0, limit - into.length)));
}

function parseInput(rawInput: TransitionInput): TransitionOptions {
  const parsed = TransitionInputSchema.safeParse(rawInput ?? {});
  if (parsed.success) return parsed.data;
  const issues = describeZodIssues(parsed.error);
  throw ApplicationFailure.create({
    type: InvalidInputError.name,
    nonRetryable: true,
    message: `Invalid transition input: ${issues.join('; ')}`,
    details: [issues],
  });
}
