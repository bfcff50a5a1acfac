/**
 * What a sync tells a person through the notify activity (log and webhook): the workflow sends the
 * facts, and {@link syncNotificationText} words them, so the wording lives outside workflow code.
 */
import type { SyncCounts } from './sync-types';

/** What happened to a sync that a person must hear of. */
export type SyncNotificationKind = 'sync-failed' | 'sync-timed-out' | 'approval-waiting';

/** What a sync sends when it fails, times out, or starts waiting for an approval. */
export interface SyncNotification {
  kind: SyncNotificationKind;
  campaign: string;
  workflowId: string;
  runId: string;
  /** Who started the sync (`cli`, `schedule:<id>`, `sync-all:<id>`, ...). */
  trigger: string;
  mode: string;
  pages: number;
  counts: SyncCounts;
  /** A failed or timed-out run: why (the innermost failure's message). */
  error?: string;
  /** A sync `sync all` never started: its connection check failed first (no page read). */
  notStarted?: true;
  /**
   * Mirror syncs waiting for approval: how many removals of how many group members, the share of
   * the group allowed without an approval, and until when it waits.
   */
  removals?: { pending: number; groupMembers: number; maxRemovalShare: number; approvalDeadline?: string };
}

/** A share as messages show it: `0.125` is `12.5%`. */
export function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** A notification for a person: what happened, and what to type next. */
export function syncNotificationText(n: SyncNotification): { message: string; commands: string[] } {
  if (n.kind === 'approval-waiting') {
    const r = n.removals;
    if (!r) throw new TypeError(`an approval-waiting notification of ${n.campaign} carries no removals`);
    return {
      message:
        `Mirror sync of ${n.campaign} waits for an approval to remove ${r.pending} of the ${r.groupMembers} members ` +
        `of its purchase group (${percent(r.pending / Math.max(1, r.groupMembers))}, above the ` +
        `${percent(r.maxRemovalShare)} allowed without one)${r.approvalDeadline ? `, until ${r.approvalDeadline}` : ''}; ` +
        'without it the run fails and removes nobody.',
      commands: [
        `campaign-sync sync report ${n.campaign} --kind removed`,
        `campaign-sync sync approve ${n.campaign} --count ${r.pending}`,
        `campaign-sync sync reject ${n.campaign}`,
      ],
    };
  }
  if (n.notStarted)
    return {
      message:
        `Sync of ${n.campaign} by sync all failed before it started (no page read, nothing written): ` +
        (n.error ?? 'no reason was recorded'),
      commands: [`campaign-sync sync start ${n.campaign} --wait`],
    };
  const c = n.counts;
  return {
    message:
      `Sync of ${n.campaign} ${n.kind === 'sync-timed-out' ? 'timed out' : 'failed'} after ${n.pages} pages ` +
      `(created ${c.created}, updated ${c.updated}, failed ${c.failed}; what was written is kept): ` +
      (n.error ?? 'no reason was recorded'),
    commands: [`campaign-sync sync status ${n.campaign}`, `campaign-sync sync report ${n.campaign}`],
  };
}
