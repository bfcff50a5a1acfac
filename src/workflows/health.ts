import { log, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities, HealthContext, HealthWebhookPayload } from '../activities';
import { parseDuration } from '../shared/duration';
import { innermostMessage } from '../shared/errors';
import {
  evaluateHealth,
  healthAlerts,
  HealthInputSchema,
  isCheckError,
  resolveThresholds,
  type CampaignsSection,
  type CheckError,
  type Finding,
  type HealthEvaluation,
  type HealthInput,
  type HealthOptions,
  type HealthReport,
  type HealthThresholds,
  type HeldPause,
  type OverloadSection,
  type PreviousReport,
  type ServiceCheck,
  type ServiceName,
} from '../shared/health';
import { healthReportBody } from '../shared/health-report';
import { mailerliteTaskQueue } from '../shared/names';
import { HEALTH_STATUS } from '../shared/search-attributes';
import { invalidInput, parseWorkflowInput } from './input';

/** Checks are measurements: one attempt each, so a failing service shows as failing, not as slow. */
const checks = proxyActivities<Activities>({ startToCloseTimeout: '1m', retry: { maximumAttempts: 1 } });

/** Reads and schedule changes: idempotent, a few attempts. */
const ops = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumAttempts: 3 },
});

/** Cancelling a stuck run and waiting for it to close takes up to a minute; it heartbeats meanwhile. */
const recovery = proxyActivities<Activities>({
  startToCloseTimeout: '3m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '2s', maximumAttempts: 3 },
});

/** The alert webhook: retried with backoff (about 15 s in all) before the run gives up on it. */
const webhook = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 5 },
});

function settle<T>(p: Promise<T>): Promise<T | CheckError> {
  return p.catch((err: unknown) => ({ error: innermostMessage(err) }));
}

function serviceResult(service: ServiceName, result: ServiceCheck | CheckError, at: string): ServiceCheck {
  if (!isCheckError(result)) return result;
  return {
    service,
    ok: false,
    latencyMs: null,
    checkedAt: at,
    error: `check did not finish: ${result.error}`,
  };
}

/**
 * One health check of the deployment on a task queue: which workers poll its queues, the worker's
 * own resources, whether Temporal (with every search attribute), EDD and MailerLite answer (and how
 * fast), every running sync with its progress (any task queue: one nobody polls is a finding),
 * stuck ones, recent failures, and campaigns that have not synced successfully for longer than
 * expected. Judges them against thresholds (the worker's, overridden by the input), recovers stuck
 * syncs, pauses recurring syncs while overloaded when asked to (and resumes those it paused), records
 * metrics and alerts, and returns the report: a run's result is the report (which carries what the
 * next run needs), and its `HealthStatus` search attribute lets runs be filtered by status. Runs
 * every HEALTH_INTERVAL from the health schedule; `health run` starts one by hand.
 */
export async function systemHealth(rawInput: HealthInput = {}): Promise<HealthReport> {
  const input: HealthOptions = parseWorkflowInput(HealthInputSchema, rawInput, 'health');
  const info = workflowInfo();
  const taskQueue = input.taskQueue ?? info.taskQueue;
  const startedMs = Date.now();
  const checkedAt = new Date(startedMs).toISOString();

  const context = await ops.healthContext({ taskQueue, workflowId: info.workflowId });
  let thresholds: HealthThresholds;
  try {
    thresholds = resolveThresholds(context.thresholds, input.thresholds);
  } catch (err) {
    throw invalidInput(`Invalid health thresholds: ${innermostMessage(err)}`);
  }
  const previous = context.previous;
  const measured = await measure(input, taskQueue, thresholds, previous, checkedAt);
  const evaluation = evaluateHealth({ taskQueue, ...measured }, thresholds, {
    recover: input.recover,
    ...(previous ? { previous } : {}),
  });
  const findings: Finding[] = [...evaluation.findings];
  if (!isCheckError(evaluation.campaigns)) await recoverStuck(evaluation.campaigns, findings);
  const { overload, held } = await pauseOrResume(input, taskQueue, context, evaluation, findings);

  const body = healthReportBody({
    input,
    context,
    thresholds,
    evaluation,
    findings,
    overload,
    held,
    resources: measured.resources,
    services: measured.services,
    checkedAt,
    durationMs: Date.now() - startedMs,
    workflowId: info.workflowId,
    runId: info.runId,
    taskQueue,
  });
  const report: HealthReport = { ...body, alerts: healthAlerts(body) };
  // Only when registered: upserting an unknown search attribute would fail every workflow task.
  if (!isCheckError(measured.temporal) && measured.temporal.healthSearchAttribute) {
    upsertSearchAttributes([{ key: HEALTH_STATUS, value: report.status }]);
  }
  await deliver(report, context.webhookConfigured);
  log.info('health check done', {
    status: report.status,
    score: report.score,
    findings: findings.length,
    alerts: report.alerts.length,
  });
  return report;
}

/** Every check at once; a check that fails is a measure (an error), not the run's failure. */
async function measure(
  input: HealthOptions,
  taskQueue: string,
  thresholds: HealthThresholds,
  previous: PreviousReport | undefined,
  checkedAt: string,
) {
  const carried = previous?.carry;
  const prefix = input.campaignPrefix ? { campaignPrefix: input.campaignPrefix } : {};
  // The MailerLite check is one request, so it runs on the rate-limited queue, within the budget;
  // if nothing polls that queue it does not finish, which the workers check explains.
  const mailerlite = proxyActivities<Activities>({
    taskQueue: mailerliteTaskQueue(taskQueue),
    scheduleToCloseTimeout: '1m',
    retry: { maximumAttempts: 1 },
  });
  const [workers, resources, temporal, edd, ml, campaigns, cadence] = await Promise.all([
    settle(checks.checkWorkers({ taskQueue })),
    settle(checks.checkResources()),
    settle(checks.checkTemporal()),
    settle(checks.checkEdd()),
    settle(mailerlite.checkMailerLite()),
    settle(
      ops.scanCampaigns({
        taskQueue,
        ...prefix,
        failureWindowMs: parseDuration(thresholds.failureWindow),
      }),
    ),
    settle(
      ops.checkSyncCadence({
        taskQueue,
        ...prefix,
        ...(thresholds.syncOverdueAfter !== undefined
          ? { overdueAfterMs: parseDuration(thresholds.syncOverdueAfter) }
          : {}),
        ...(carried?.settingCampaigns ? { knownCampaigns: carried.settingCampaigns } : {}),
        ...(previous ? { previousCheckedAt: previous.checkedAt } : {}),
        ...(carried ? { since: carried.cadenceSince } : {}),
      }),
    ),
  ]);
  const services = [
    serviceResult('temporal', temporal, checkedAt),
    serviceResult('edd', edd, checkedAt),
    serviceResult('mailerlite', ml, checkedAt),
  ];
  return { workers, resources, temporal, services, campaigns, cadence };
}

/** Stuck syncs: restart, fail with the reason, or only report (see decideRecovery). */
async function recoverStuck(section: CampaignsSection, findings: Finding[]): Promise<void> {
  for (const stuck of section.stuck) {
    if (stuck.action === 'report') {
      stuck.outcome = 'reported';
      continue;
    }
    try {
      const result = await recovery.recoverStuckSync({
        campaign: stuck.campaign,
        workflowId: stuck.workflowId,
        runId: stuck.runId,
        action: stuck.action,
        reason: stuck.reason,
        why: stuck.why,
      });
      stuck.outcome = result.outcome;
      if (result.newRunId) stuck.newRunId = result.newRunId;
      if (result.outcome === 'restarted') section.recovered.restarted++;
      if (result.outcome === 'failed') section.recovered.failed++;
    } catch (err) {
      stuck.outcome = 'error';
      stuck.error = innermostMessage(err);
      findings.push({
        area: 'campaigns',
        severity: 'unhealthy',
        message: `stuck sync of ${stuck.campaign} could not be recovered: ${stuck.error}`,
      });
    }
  }
}

/**
 * Overload: pause recurring syncs when asked to (opt-in); once no longer overloaded, resume the
 * ones health holds paused and nobody changed since. The mark is kept in the reports' carry.
 */
async function pauseOrResume(
  input: HealthOptions,
  taskQueue: string,
  context: HealthContext,
  evaluation: HealthEvaluation,
  findings: Finding[],
): Promise<{ overload: OverloadSection; held: HeldPause[] }> {
  const pauseOnOverload = input.pauseOnOverload ?? context.pauseOnOverload;
  let held: HeldPause[] = context.previous?.carry?.heldPaused ?? [];
  const overload: OverloadSection = {
    overloaded: evaluation.overload?.overloaded ?? null,
    reasons: evaluation.overload?.reasons ?? [],
    pauseOnOverload,
    paused: [],
    resumed: [],
    keptPaused: [],
    held: [],
  };
  if (overload.overloaded)
    findings.push({
      area: 'overload',
      severity: 'unhealthy',
      message: `overloaded: ${overload.reasons.join('; ')}`,
    });
  try {
    if (overload.overloaded && pauseOnOverload) {
      const result = await ops.pauseSchedulesForOverload({
        taskQueue,
        ...(input.campaignPrefix ? { campaignPrefix: input.campaignPrefix } : {}),
        reason: overload.reasons.join('; '),
      });
      overload.paused = result.held.map((h) => h.scheduleId);
      held = [...held.filter((h) => !overload.paused.includes(h.scheduleId)), ...result.held];
    } else if (overload.overloaded === false && held.length > 0) {
      const result = await ops.resumeSchedulesAfterOverload({ held });
      overload.resumed = result.resumed;
      overload.keptPaused = result.keptPaused;
      held = held.filter((h) => !result.released.includes(h.scheduleId));
    }
  } catch (err) {
    overload.error = innermostMessage(err);
    findings.push({
      area: 'overload',
      severity: 'degraded',
      message: `sync schedules could not be ${overload.overloaded ? 'paused' : 'resumed'}: ${overload.error}`,
    });
  }
  overload.held = held.map((h) => h.scheduleId);
  return { overload, held };
}

/** Records the report in metrics and posts its alerts to the webhook, if one is set. */
async function deliver(report: HealthReport, webhookConfigured: boolean): Promise<void> {
  try {
    await ops.recordHealthReport(report);
  } catch (err) {
    log.warn('health report not recorded in metrics', { error: innermostMessage(err) });
  }
  if (report.alerts.length === 0 || !webhookConfigured) return;
  const payload: HealthWebhookPayload = {
    source: 'campaign-sync',
    kind: 'health-alert',
    status: report.status,
    score: report.score,
    checkedAt: report.checkedAt,
    taskQueue: report.taskQueue,
    workflowId: report.workflowId,
    runId: report.runId,
    alerts: report.alerts,
    findings: report.findings.map((f) => `${f.severity}: ${f.message}`),
  };
  try {
    report.webhook = await webhook.postHealthWebhook(payload);
  } catch (err) {
    report.webhook = { sent: false, error: innermostMessage(err) };
    log.warn('health alert webhook failed', { error: report.webhook.error });
  }
}
