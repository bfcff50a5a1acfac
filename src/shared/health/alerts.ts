/** The alerts a report raises, with personal data masked. */
import { isCheckError } from './checks';
import type { HealthAlert, HealthReport } from './report';
import { overdueMessage, unpolledAdvice } from './evaluate';

/** The commands a person runs to look at a campaign's syncs. */
function lookAt(campaign: string): string {
  return `look with 'campaign-sync schedule describe ${campaign}' and 'campaign-sync sync status ${campaign}'`;
}

/**
 * The alerts a report raises: a status change once it has held (see `statusTrend` in evaluate.ts), each
 * stuck sync, each sync found on a task queue no worker polls, each campaign that becomes overdue
 * and syncs again, and overload pauses and resumes. A condition that lasts raises no new alert (the
 * log and the metrics show it at every run), so a webhook is not flooded every interval.
 */
export function healthAlerts(report: Omit<HealthReport, 'alerts'>): HealthAlert[] {
  const alerts: HealthAlert[] = [];
  const changedFrom = report.statusTrend.changedFrom;
  if (changedFrom !== undefined) {
    const top = report.findings
      .slice()
      .sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'unhealthy' ? -1 : 1))
      .slice(0, 5)
      .map((f) => f.message);
    const held = `${report.statusTrend.streak} check${report.statusTrend.streak === 1 ? '' : 's'} in a row`;
    alerts.push({
      kind: 'status',
      severity: report.status === 'healthy' ? 'info' : report.status,
      message:
        report.status === 'healthy'
          ? `campaign-sync is healthy again (score ${report.score}, ${held}; was ${changedFrom})`
          : `campaign-sync is ${report.status} (score ${report.score}, ${held}; was ${changedFrom}): ${top.join('; ')}`,
    });
  }
  if (!isCheckError(report.campaigns)) {
    // Once per stuck run: one left running (only reported) is not alerted at every check.
    for (const s of report.campaigns.stuck.filter((x) => x.new !== false)) {
      const done =
        s.outcome === 'restarted'
          ? `restarted as run ${s.newRunId}`
          : s.outcome === 'failed'
            ? `failed: ${s.why}`
            : s.outcome === 'error'
              ? `recovery failed: ${s.error}`
              : s.outcome === 'closed-meanwhile'
                ? 'it ended before recovery'
                : s.outcome === 'lock-taken'
                  ? 'another run took the lock before the restart'
                  : `left running: ${s.why}`;
      alerts.push({
        kind: 'stuck-sync',
        severity: s.outcome === 'error' ? 'unhealthy' : 'degraded',
        message: `sync of ${s.campaign} (${s.workflowId}, run ${s.runId}) is stuck: ${s.reason}; ${done}`,
      });
    }
    for (const u of report.campaigns.unpolled.filter((x) => x.new))
      alerts.push({
        kind: 'unpolled-queue',
        severity: 'unhealthy',
        message:
          `sync of ${u.campaign} (${u.workflowId}, run ${u.runId}) waits on task queue ${u.taskQueue}, which no worker polls: ` +
          `it holds the campaign's lock and nothing runs it, not even a cancellation; ${unpolledAdvice(u.campaign, u.taskQueue)}`,
      });
    const now = Date.parse(report.checkedAt);
    for (const e of report.campaigns.cadence) {
      if (e.change === 'became-overdue')
        alerts.push({
          kind: 'sync-overdue',
          severity: 'degraded',
          message: `${overdueMessage(e, now)}; ${lookAt(e.campaign)}`,
        });
      else if (e.change === 'synced-again')
        alerts.push({
          kind: 'sync-caught-up',
          severity: 'info',
          message: `campaign ${e.campaign} synced successfully again at ${e.lastSuccessAt} (it was overdue)`,
        });
    }
  }
  if (report.overload.paused.length > 0)
    alerts.push({
      kind: 'overload-paused',
      severity: 'unhealthy',
      message: `overloaded (${report.overload.reasons.join('; ')}): paused ${report.overload.paused.length} sync schedules: ${report.overload.paused.join(', ')}`,
    });
  if (report.overload.resumed.length > 0)
    alerts.push({
      kind: 'overload-resumed',
      severity: 'info',
      message: `no longer overloaded: resumed ${report.overload.resumed.length} sync schedules: ${report.overload.resumed.join(', ')}`,
    });
  return alerts.map((a) => ({ ...a, message: scrubPersonalData(a.message) }));
}

/** Email addresses masked (`j***@example.com`): alerts, logs and the webhook carry no personal data. */
export function scrubPersonalData(text: string): string {
  return text.replace(
    /([^\s@<>()"',;:]+)@([^\s@<>()"',;:]+\.[^\s@<>()"',;:]+)/g,
    (_m, local: string, domain: string) => `${local[0] ?? ''}***@${domain}`,
  );
}
