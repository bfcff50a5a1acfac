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
  CancellationScope,
  continueAsNew,
  executeChild,
  isCancellation,
  log,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { tierProgressQuery, transitionProgressQuery } from '../shared/messages';
import { ACTIVITY_RETRY } from './retry';
import type { Activities, CampaignResources, GroupChange, GroupChangeOutcome } from '../activities';
import { DEFAULT_PURCHASE_TIER, tierGroupName } from '../shared/campaign';
import { mailerliteTaskQueue, transitionWorkflowId } from '../shared/names';
import {
  rulesForTier,
  sourceTiers,
  verdictKey,
  type PurchaseVerdict,
  type TransitionMember,
} from '../shared/transition-rules';
import {
  addTierResult,
  emptyTally,
  planPage,
  purchasesToVerify,
  tallyMoves,
  tierSummary,
  transitionSummary,
  type PlannedMove,
  type TransitionTally,
} from '../shared/transition-tally';
import {
  TransitionInputSchema,
  type TierProgress,
  type TierResult,
  type TierRunInput,
  type TierSummary,
  type TransitionInput,
  type TransitionOptions,
  type TransitionPhase,
  type TransitionProgress,
  type TransitionSummary,
} from '../shared/transition-types';
import { checkConnectionsWithinBudget, ensureResourcesWithinBudget } from './budgeted-preparation';
import { acquireCampaignLocks } from './campaign-lock';
import { invalidInput, parseWorkflowInput } from './input';

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
  const input: TransitionOptions = parseWorkflowInput(TransitionInputSchema, rawInput, 'transition');
  const info = workflowInfo();
  const expectedId = transitionWorkflowId(input.source, input.destination);
  if (info.workflowId !== expectedId) {
    throw invalidInput(
      `A transition from ${input.source} to ${input.destination} must run with workflow ID ${expectedId}, not ${info.workflowId}.`,
    );
  }
  const run = new TransitionRun(input);
  setHandler(transitionProgressQuery, () => run.progress());

  run.enter('locking');
  // Fails at once (CampaignLockedError, not retried) when a sync of either campaign, or another
  // lock holder, is running. Taken in a non-cancellable scope: a cancelled transition must not have
  // its lock runs cancelled with it (they would end at once, while the tier run is still finishing
  // its in-flight writes); the `finally` below releases them once everything else has stopped.
  const locks = await CancellationScope.nonCancellable(() =>
    acquireCampaignLocks([input.source, input.destination], `transition:${info.workflowId}`),
  );
  try {
    // Every MailerLite request within the account's budget, as a sync's (budgeted-preparation.ts).
    run.enter('checking-connections');
    await checkConnectionsWithinBudget(info.taskQueue);
    run.enter('preparing');
    const groups = await prepareGroups(input, info.taskQueue);
    run.resources = { created: groups.destination.created, missing: groups.destination.missing };
    run.enter('moving');
    for (const tier of run.tiers) await run.moveTier(tier, groups);
    run.enter('completed');
    const summary = run.summary();
    log.info('campaign transition completed', {
      source: input.source,
      destination: input.destination,
      dryRun: input.dryRun,
      ...summary.totals,
    });
    return summary;
  } catch (err) {
    run.enter(isCancellation(err) ? 'cancelled' : 'failed');
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

/** The destination's groups (created when missing, unless a dry run) and the source's (looked up). */
async function prepareGroups(
  input: TransitionOptions,
  taskQueue: string,
): Promise<{ source: CampaignResources; destination: CampaignResources }> {
  const prep = {
    quick,
    mailerlite: proxyActivities<Activities>({
      taskQueue: mailerliteTaskQueue(taskQueue),
      startToCloseTimeout: '2m',
      retry,
    }),
  };
  const purchaseTier = input.tiers.includes(DEFAULT_PURCHASE_TIER) ? DEFAULT_PURCHASE_TIER : input.tiers[0]!;
  const campaign = { tiers: input.tiers, purchaseTier };
  const destination = await ensureResourcesWithinBudget(prep, {
    ...campaign,
    campaign: input.destination,
    dryRun: input.dryRun,
  });
  // Look only: a missing source group means nothing to move from that tier.
  const source = await ensureResourcesWithinBudget(prep, {
    ...campaign,
    campaign: input.source,
    dryRun: true,
  });
  return { source, destination };
}

/** A transition's state: its phase, the tier running, the tiers done and their books. */
class TransitionRun {
  readonly startedAt = new Date();
  private updatedAt = this.startedAt;
  private phase: TransitionPhase = 'starting';
  readonly tiers: string[];
  private readonly tierSummaries: TierSummary[] = [];
  private readonly tally: TransitionTally;
  private currentTier: TransitionProgress['currentTier'];
  resources = { created: [] as string[], missing: [] as string[] };

  constructor(readonly input: TransitionOptions) {
    this.tiers = sourceTiers(input.rules);
    this.tally = emptyTally(input.rules.map((_, index) => ({ index })));
  }

  enter(phase: TransitionPhase): void {
    this.phase = phase;
    this.updatedAt = new Date();
  }

  progress(): TransitionProgress {
    const { input } = this;
    return {
      source: input.source,
      destination: input.destination,
      phase: this.phase,
      dryRun: input.dryRun,
      tiersDone: this.tierSummaries.length,
      tiersTotal: this.tiers.length,
      ...(this.currentTier ? { currentTier: this.currentTier } : {}),
      totals: this.tally.counts,
      startedAt: this.startedAt.toISOString(),
      updatedAt: this.updatedAt.toISOString(),
    };
  }

  /** Runs one source tier's child run (none when the source has no group for the tier). */
  async moveTier(
    tier: string,
    groups: { source: CampaignResources; destination: CampaignResources },
  ): Promise<void> {
    const { input } = this;
    const info = workflowInfo();
    const sourceGroupId = groups.source.groupIds[tier] ?? '';
    const sourceGroup = tierGroupName(input.source, tier);
    if (sourceGroupId === '') {
      this.tierSummaries.push(tierSummary(tier, sourceGroup));
      this.updatedAt = new Date();
      return;
    }
    const workflowId = `${info.workflowId}-tier-${tierGroupName('', tier).slice(1)}`;
    this.currentTier = { tier, workflowId };
    this.updatedAt = new Date();
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
          purchaseFieldKey: groups.source.purchaseFieldKey,
          rules: rulesForTier(input.rules, tier),
          destinationGroupIds: groups.destination.groupIds,
          removeFromSource: input.removeFromSource,
          dryRun: input.dryRun,
          pageSize: input.pageSize,
          writeLanes: input.writeLanes,
          reportLimit: input.reportLimit,
          historyLimit: input.historyLimit,
        },
      ],
    });
    this.currentTier = undefined;
    this.tierSummaries.push(tierSummary(tier, sourceGroup, result));
    addTierResult(this.tally, result, input.reportLimit);
    this.updatedAt = new Date();
  }

  summary(): TransitionSummary {
    return transitionSummary(
      this.input,
      this.tally,
      this.tierSummaries,
      this.resources,
      this.startedAt,
      new Date(),
    );
  }
}

/**
 * Moves the members of ONE source tier group, page by page; continues as new when its history is
 * long. Runs only as a child of {@link campaignTransition}, which holds both campaigns' locks.
 */
export async function transitionTier(input: TierRunInput): Promise<TierResult> {
  if (!workflowInfo().parent) {
    throw invalidInput(
      'transitionTier runs only as a child of campaignTransition, which holds both campaigns’ locks; start a transition instead.',
    );
  }
  const run = new TierRun(input);
  setHandler(tierProgressQuery, () => run.progress());
  let cursor: string | null = input.resume?.cursor ?? null;
  let pagesThisRun = 0;
  for (;;) {
    if (pagesThisRun > 0 && cursor !== null && historyFull(input.historyLimit)) {
      // At a page boundary: everything read so far is written and counted.
      log.info('transition tier continues as new', { tier: input.tier, pages: run.pages });
      return await continueAsNew<typeof transitionTier>({ ...input, resume: run.resume(cursor) });
    }
    const page = await run.mailerlite.listTransitionMembers({
      groupId: input.sourceGroupId,
      cursor,
      limit: input.pageSize,
      purchaseFieldKey: input.purchaseFieldKey,
      groupIds: Object.values(input.destinationGroupIds).filter((id) => id !== ''),
    });
    await run.processPage(page.members);
    pagesThisRun++;
    // An empty page does not end the walk: the members of the next status may follow.
    if (page.nextCursor === null || page.nextCursor === cursor) break;
    cursor = page.nextCursor;
  }
  return run.result();
}

function historyFull(historyLimit: number): boolean {
  const now = workflowInfo();
  return now.continueAsNewSuggested || now.historyLength >= historyLimit;
}

/** A tier run's state: its pages, runs and books (carried over continue-as-new). */
class TierRun {
  readonly mailerlite = proxyActivities<Activities>({
    taskQueue: mailerliteTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '2m',
    retry,
    // When the transition is cancelled, a batch in flight finishes before this run ends, so the
    // parent releases the locks only after the last write.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  });
  pages: number;
  private readonly runs: number;
  private readonly tally: TransitionTally;

  constructor(private readonly input: TierRunInput) {
    const resume = input.resume;
    this.tally = resume
      ? { counts: resume.counts, byRule: resume.byRule, records: resume.records }
      : emptyTally(input.rules);
    this.pages = resume?.pages ?? 0;
    this.runs = (resume?.continuations ?? 0) + 1;
  }

  progress(): TierProgress {
    return { tier: this.input.tier, pages: this.pages, runs: this.runs, counts: this.tally.counts };
  }

  /** Verifies the page's purchases, plans every member, writes the moves and counts them. */
  async processPage(members: TransitionMember[]): Promise<void> {
    this.tally.counts.members += members.length;
    const checks = purchasesToVerify(members, this.input.rules);
    const verdicts = new Map<string, PurchaseVerdict>();
    if (checks.length > 0) {
      for (const r of await edd.verifyPurchases({ checks }))
        verdicts.set(verdictKey(r.email, r.order), r.verdict);
    }
    const moves = planPage(this.tally, this.input, members, verdicts);
    const failures = this.input.dryRun ? new Map<string, string>() : await this.write(moves);
    tallyMoves(this.tally, this.input, moves, failures);
    this.pages++;
  }

  /**
   * Joins the destination groups first, then leaves the source group only where the join
   * succeeded (or was not needed), so a refused join never loses a member. Returns the failures.
   */
  private async write(moves: PlannedMove[]): Promise<Map<string, string>> {
    const failures = new Map<string, string>();
    const joins = moves.filter((m) => m.plan.assign);
    const joinOutcomes = await this.applyInBatches(
      joins.map((m) => ({ action: 'assign', subscriberId: m.member.id, groupId: m.plan.groupId })),
    );
    joins.forEach((m, i) => {
      const o = joinOutcomes[i]!;
      if (!o.ok) failures.set(m.member.id, o.reason);
    });
    const leaves = moves.filter((m) => m.plan.unassign && !failures.has(m.member.id));
    const leaveOutcomes = await this.applyInBatches(
      leaves.map((m) => ({
        action: 'unassign',
        subscriberId: m.member.id,
        groupId: this.input.sourceGroupId,
      })),
    );
    leaves.forEach((m, i) => {
      const o = leaveOutcomes[i]!;
      if (!o.ok) failures.set(m.member.id, `in ${m.plan.rule.next_tier} now, but ${o.reason}`);
    });
    return failures;
  }

  /** Sends the changes in batches of 50, at most `writeLanes` at a time; outcomes in order. */
  private async applyInBatches(changes: GroupChange[]): Promise<GroupChangeOutcome[]> {
    const batches: GroupChange[][] = [];
    for (let i = 0; i < changes.length; i += BATCH_SIZE) batches.push(changes.slice(i, i + BATCH_SIZE));
    const results = new Array<GroupChangeOutcome[]>(batches.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(this.input.writeLanes, batches.length) }, async () => {
        while (next < batches.length) {
          const index = next++;
          results[index] = await this.mailerlite.applyGroupChanges({ changes: batches[index]! });
        }
      }),
    );
    return results.flat();
  }

  resume(cursor: string) {
    const { counts, byRule, records } = this.tally;
    return { cursor, pages: this.pages, counts, byRule, records, continuations: this.runs };
  }

  result(): TierResult {
    const { counts, byRule, records } = this.tally;
    return { tier: this.input.tier, pages: this.pages, runs: this.runs, counts, byRule, records };
  }
}
