import { ApplicationFailure, condition, log, setHandler } from '@temporalio/workflow';
import type { MirrorScanInput, RemovalOutcome } from '../activities';
import type { MirrorScanResult } from '../shared/activity-io';
import { percent } from '../shared/notifications';
import { RemovalApprovalTimeoutError, SyncTimeoutError } from '../shared/errors';
import type { MirrorReport, ReportEntry, SyncCounts } from '../shared/sync-types';
import {
  approveRemovalsSignal,
  decideRemovalsUpdate,
  rejectRemovalsSignal,
  type RemovalDecision,
} from '../shared/messages';

/** Removals per batch request. */
const REMOVE_BATCH = 50;

export interface MirrorStepOptions {
  campaign: string;
  productId: number;
  groupId: string;
  /** Names this sync's source snapshot on the workers. */
  sourceKey: string;
  maxRemovalShare: number;
  approvalTimeoutMs: number;
  /** The same, as the operator wrote it (`24h`), for messages. */
  approvalTimeout: string;
  /** Overall deadline of the sync (epoch ms), if it has one. */
  deadline?: number;
  dryRun: boolean;
  sampleSize: number;
  lanes: number;
  scan: (input: MirrorScanInput) => Promise<MirrorScanResult>;
  remove: (input: { groupId: string; subscriberIds: string[] }) => Promise<RemovalOutcome[]>;
  /** Adds entries to the per-record report. */
  report: (entries: ReportEntry[]) => void;
  counts: SyncCounts;
  /** Called when the step starts or stops waiting for an approval. */
  onWaiting: (waiting: boolean) => void;
  /** Tells a person that removals wait for their approval (once, when the wait starts). */
  notifyWaiting?: (report: MirrorReport) => Promise<void>;
}

/**
 * Mirror mode's removal step, run once every source page has been written: it compares the
 * purchase group's members with the source's purchasers, and removes from the group those who are
 * no longer purchasers. When that is more than `maxRemovalShare` of the group, it first waits for
 * an approval (signal or update) and fails after `approvalTimeout` without one; a refusal ends the
 * step with nothing removed.
 */
export class MirrorStep {
  readonly report: MirrorReport;
  private decision: (RemovalDecision & { approve: boolean }) | undefined;

  constructor(maxRemovalShare: number) {
    this.report = {
      groupMembers: 0,
      toRemove: 0,
      maxRemovalShare,
      state: 'not-run',
      sample: [],
      failed: 0,
    };
    // Registered from the start, so a decision sent too early is seen (and ignored), not queued.
    const decide = (approve: boolean) => (d?: RemovalDecision) => {
      const problem = this.decisionProblem(d);
      if (problem) {
        log.warn(`mirror removal ${approve ? 'approval' : 'refusal'} ignored: ${problem}`);
        return;
      }
      this.decision = { ...d, approve };
    };
    setHandler(approveRemovalsSignal, decide(true));
    setHandler(rejectRemovalsSignal, decide(false));
    setHandler(
      decideRemovalsUpdate,
      (d) => {
        this.decision = d;
        return {
          approved: d.approve,
          toRemove: this.report.toRemove,
          groupMembers: this.report.groupMembers,
        };
      },
      {
        validator: (d: RemovalDecision & { approve: boolean }) => {
          const problem = this.decisionProblem(d);
          if (problem) throw new Error(problem);
        },
      },
    );
  }

  private decisionProblem(d: RemovalDecision | undefined): string | undefined {
    if (this.report.state !== 'waiting')
      return `no removals are waiting for approval (mirror step: ${this.report.state})`;
    if (this.decision) return 'the removals were already decided';
    if (d?.count !== undefined && d.count !== this.report.toRemove)
      return `the approval is for ${d.count} removals, but ${this.report.toRemove} are pending`;
    return undefined;
  }

  /** Marks the step as not run, with the reason (e.g. the source was not read to its end). */
  skip(note: string): void {
    this.report.note = note;
  }

  async run(o: MirrorStepOptions): Promise<void> {
    // Telling a person about a wait runs beside it: an approval is acted on at once, even while the
    // notification is still being retried; the step ends only once it has been delivered or given up.
    let notifying: Promise<void> = Promise.resolve();
    try {
      await this.runStep(o, (n) => {
        notifying = n;
      });
    } finally {
      await notifying;
    }
  }

  private async runStep(o: MirrorStepOptions, notifyingWith: (n: Promise<void>) => void): Promise<void> {
    const mirror = this.report;
    const toRemove = await this.scan(o);
    if (o.dryRun) {
      mirror.state = 'dry-run';
      o.counts.removed += toRemove.length;
      o.report(
        toRemove.map(({ subscriberId, email }) => ({
          kind: 'removed',
          subscriberId,
          email,
          reasons: ['no longer a purchaser of the album in EDD (dry run: not removed)'],
        })),
      );
      return;
    }
    if (toRemove.length === 0) {
      mirror.state = 'done';
      return;
    }
    const share = toRemove.length / Math.max(1, mirror.groupMembers);
    if (share > o.maxRemovalShare && !(await this.approved(o, toRemove.length, share, notifyingWith))) return;
    await this.remove(o, toRemove);
  }

  /** Pages through the purchase group; returns the members who bought nothing. */
  private async scan(o: MirrorStepOptions): Promise<{ subscriberId: string; email: string }[]> {
    const mirror = this.report;
    mirror.state = 'scanning';
    const toRemove: { subscriberId: string; email: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: MirrorScanResult = await o.scan({
        sourceKey: o.sourceKey,
        productId: o.productId,
        groupId: o.groupId,
        cursor,
      });
      mirror.groupMembers += page.scanned;
      toRemove.push(...page.toRemove);
      mirror.toRemove = toRemove.length;
      cursor = page.nextCursor;
    } while (cursor);
    mirror.sample = toRemove.slice(0, o.sampleSize);
    return toRemove;
  }

  /**
   * Waits for a person's decision on removals above the share allowed: true when approved, false
   * when rejected; fails the run when none comes in time (nothing is removed).
   */
  private async approved(
    o: MirrorStepOptions,
    count: number,
    share: number,
    notifyingWith: (n: Promise<void>) => void,
  ): Promise<boolean> {
    const mirror = this.report;
    const now = Date.now();
    const waitMs = Math.min(o.approvalTimeoutMs, o.deadline !== undefined ? o.deadline - now : Infinity);
    mirror.state = 'waiting';
    mirror.approvalDeadline = new Date(now + waitMs).toISOString();
    log.warn('mirror sync waits for an approval of its removals', {
      campaign: o.campaign,
      toRemove: count,
      groupMembers: mirror.groupMembers,
      maxRemovalShare: o.maxRemovalShare,
    });
    o.onWaiting(true);
    // The wait's timer starts now; telling a person (which may take retries) neither lengthens
    // the wait nor delays acting on a decision.
    const deciding = condition(() => this.decision !== undefined, Math.max(0, waitMs));
    if (o.notifyWaiting) notifyingWith(o.notifyWaiting(mirror));
    const decided = await deciding;
    o.onWaiting(false);
    if (!decided) {
      const byDeadline = waitMs < o.approvalTimeoutMs;
      mirror.state = 'not-run';
      mirror.note = byDeadline ? 'the sync reached its overall timeout' : 'no approval came in time';
      throw ApplicationFailure.create({
        type: byDeadline ? SyncTimeoutError.name : RemovalApprovalTimeoutError.name,
        nonRetryable: true,
        message:
          `Mirror sync of ${o.campaign} would remove ${count} of ${mirror.groupMembers} members ` +
          `(${percent(share)}, above the ${percent(o.maxRemovalShare)} allowed without approval) and ` +
          (byDeadline
            ? 'reached its overall timeout before an approval came'
            : `got no approval within its approval timeout (${o.approvalTimeout})`) +
          '. Nothing was removed; the records written are kept.',
      });
    }
    if (!this.decision!.approve) {
      mirror.state = 'rejected';
      mirror.approvedBy = this.decision!.by;
      mirror.note = `removals refused${this.decision!.by ? ` by ${this.decision!.by}` : ''}; nothing was removed`;
      return false;
    }
    mirror.state = 'approved';
    mirror.approvedBy = this.decision!.by ?? 'unnamed';
    return true;
  }

  /** Removes the members from the group in batches, `lanes` at a time, reporting each outcome. */
  private async remove(
    o: MirrorStepOptions,
    toRemove: { subscriberId: string; email: string }[],
  ): Promise<void> {
    const mirror = this.report;
    mirror.state = 'removing';
    const batches: { subscriberId: string; email: string }[][] = [];
    for (let i = 0; i < toRemove.length; i += REMOVE_BATCH) batches.push(toRemove.slice(i, i + REMOVE_BATCH));
    let next = 0;
    const lane = async () => {
      while (next < batches.length) {
        const batch = batches[next++]!;
        const outcomes = await o.remove({
          groupId: o.groupId,
          subscriberIds: batch.map((m) => m.subscriberId),
        });
        const entries: ReportEntry[] = [];
        outcomes.forEach((outcome, i) => {
          const { subscriberId, email } = batch[i]!;
          if (outcome.ok) {
            o.counts.removed++;
            entries.push({
              kind: 'removed',
              subscriberId,
              email,
              reasons: ['no longer a purchaser of the album in EDD'],
            });
          } else {
            mirror.failed++;
            entries.push({
              kind: 'failed',
              subscriberId,
              email,
              reasons: [outcome.reason ?? 'removal refused'],
            });
          }
        });
        o.report(entries);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, o.lanes) }, lane));
    mirror.state = 'done';
  }
}
