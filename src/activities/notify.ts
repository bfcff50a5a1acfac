import { scrubPersonalData } from '../shared/health';
import { syncNotificationText, type SyncNotification } from '../shared/notifications';
import type { ActivityDeps } from './deps';
import { postWebhook } from './webhook';

/** The JSON body POSTed to the webhook. No personal data: campaign codes, IDs and counts only. */
export interface SyncWebhookPayload extends SyncNotification {
  source: 'campaign-sync';
  /** What happened, for a person (no personal data: emails are masked). */
  message: string;
  /** What to type next: look at the run, run it again, or review and approve its removals. */
  commands: string[];
  /** When the sync sent it (ISO). */
  at: string;
  /** The run in the Temporal Web UI, when the worker knows the UI's address. */
  link?: string;
}

/**
 * Notifications of a sync: one per failed or timed-out run (and per sync `sync all` never started
 * because its connection check failed), one when a mirror sync starts waiting for an approval; the
 * words are {@link syncNotificationText}'s. Each is a warning in the worker's log and, when HEALTH_WEBHOOK_URL is set, a
 * POST of {@link SyncWebhookPayload} to it (retried by the caller's policy).
 */
export function notifyActivities({ logger, notify }: ActivityDeps) {
  return {
    async notifySync(n: SyncNotification): Promise<{ sent: boolean }> {
      const { message, commands } = syncNotificationText(n);
      const payload: SyncWebhookPayload = {
        source: 'campaign-sync',
        ...n,
        ...(n.error !== undefined ? { error: scrubPersonalData(n.error) } : {}),
        message: scrubPersonalData(message),
        commands,
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
