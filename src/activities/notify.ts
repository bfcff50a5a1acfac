import { scrubPersonalData } from '../shared/health';
import type { SyncCounts } from '../shared/sync-types';
import type { ActivityDeps } from './deps';
import { postWebhook } from './webhook';

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
  /** What happened, for a person (no personal data: emails are masked). */
  message: string;
  /** What to type next: look at the run, or approve its removals. */
  commands: string[];
  pages: number;
  counts: SyncCounts;
  /** Mirror syncs waiting for approval: how many removals of how many group members, until when. */
  removals?: { pending: number; groupMembers: number; approvalDeadline?: string };
}

/** The JSON body POSTed to the webhook. No personal data: campaign codes, IDs and counts only. */
export interface SyncWebhookPayload extends SyncNotification {
  source: 'campaign-sync';
  /** When the sync sent it (ISO). */
  at: string;
  /** The run in the Temporal Web UI, when the worker knows the UI's address. */
  link?: string;
}

/**
 * Notifications of a sync: one per failed or timed-out run, one when a mirror sync starts waiting
 * for an approval. Each is a warning in the worker's log and, when HEALTH_WEBHOOK_URL is set, a
 * POST of {@link SyncWebhookPayload} to it (retried by the caller's policy).
 */
export function notifyActivities({ logger, notify }: ActivityDeps) {
  return {
    async notifySync(n: SyncNotification): Promise<{ sent: boolean }> {
      const payload: SyncWebhookPayload = {
        source: 'campaign-sync',
        ...n,
        message: scrubPersonalData(n.message),
        at: new Date().toISOString(),
        ...(notify?.runLink ? { link: notify.runLink(n.workflowId, n.runId) } : {}),
      };
      logger.warn(
        { notification: n.kind, campaign: n.campaign, workflowId: n.workflowId, runId: n.runId },
        payload.message,
      );
      if (!notify?.webhookUrl) return { sent: false };
      await postWebhook(notify.webhookUrl, payload, 'campaign-sync');
      return { sent: true };
    },
  };
}
