/**
 * A health run's report from what it measured and did, as a pure function: the status and score of
 * the findings, the status trend, the carry for the next run, the findings scrubbed of personal
 * data. The workflow (src/workflows/health.ts) measures, recovers and delivers.
 */
import {
  mergeCarry,
  scoreFindings,
  scrubPersonalData,
  statusTrend,
  type Finding,
  type HealthEvaluation,
  type HealthOptions,
  type HealthReport,
  type HealthStatus,
  type HealthThresholds,
  type HeldPause,
  type OverloadSection,
  type PreviousReport,
} from './health';

export interface HealthReportParts {
  input: HealthOptions;
  context: { previous?: PreviousReport; recentStatuses: HealthStatus[]; intervalMs?: number };
  thresholds: HealthThresholds;
  evaluation: HealthEvaluation;
  /** The evaluation's findings and those the run added (recovery, overload). */
  findings: Finding[];
  overload: OverloadSection;
  /** The schedules health holds paused after this run. */
  held: HeldPause[];
  resources: HealthReport['resources'];
  services: HealthReport['services'];
  checkedAt: string;
  durationMs: number;
  workflowId: string;
  runId: string;
  taskQueue: string;
}

/** The report but its alerts (`healthAlerts` derives them from it). */
export function healthReportBody(p: HealthReportParts): Omit<HealthReport, 'alerts'> {
  const { input, context, thresholds, evaluation, findings } = p;
  const previous = context.previous;
  const carried = previous?.carry;
  const { status, score } = scoreFindings(findings);
  const trend = statusTrend({
    status,
    recentStatuses: context.recentStatuses,
    ...(carried ? { announced: carried.announcedStatus } : {}),
    alertAfterRuns: thresholds.statusAlertAfterRuns,
  });
  // A run limited to a campaign prefix saw only those campaigns: what it learnt replaces the
  // memory of those alone, and the rest is carried on as the previous report had it.
  const carry = mergeCarry(
    carried,
    { ...evaluation.carry, announcedStatus: trend.announced, heldPaused: p.held },
    input.campaignPrefix,
  );
  return {
    status,
    score,
    checkedAt: p.checkedAt,
    durationMs: p.durationMs,
    workflowId: p.workflowId,
    runId: p.runId,
    trigger: input.trigger,
    taskQueue: p.taskQueue,
    ...(input.campaignPrefix ? { campaignPrefix: input.campaignPrefix } : {}),
    ...(previous ? { previousStatus: previous.status } : {}),
    statusTrend: trend,
    ...(context.intervalMs !== undefined ? { intervalMs: context.intervalMs } : {}),
    thresholds,
    findings: findings.map((f) => ({ ...f, message: scrubPersonalData(f.message) })),
    workers: evaluation.workers,
    resources: p.resources,
    services: p.services,
    campaigns: evaluation.campaigns,
    overload: p.overload,
    carry,
  };
}
