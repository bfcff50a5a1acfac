/** What the health checks collect: the activities' results, a run's snapshot. */
import type { SyncCounts } from '../sync-types';

/** A check that could not be made. */
export interface CheckError {
  error: string;
}

export function isCheckError(value: unknown): value is CheckError {
  return typeof value === 'object' && value !== null && 'error' in value && !('checkedAt' in value);
}

export type QueueKind = 'workflow' | 'activity';

/** The pollers Temporal saw on one task queue (for one kind of task) within the last minutes. */
export interface QueuePollers {
  taskQueue: string;
  kind: QueueKind;
  pollers: { identity: string; lastSeen: string | null; ratePerSecond?: number }[];
}

export interface WorkersCheck {
  checkedAt: string;
  queues: QueuePollers[];
}

/**
 * How long activities waited between being scheduled (each attempt) and starting on the worker
 * that ran the check, on one task queue, since that worker's previous check.
 */
export interface ScheduleToStart {
  taskQueue: string;
  /** Activity attempts started in the window (0: nothing to judge). */
  count: number;
  p50: number;
  p99: number;
  max: number;
  /** How long the window covered, ms. */
  sampledMs: number;
}

/** The worker process that ran the resource check, and (as information only) its host. */
export interface ResourceCheck {
  checkedAt: string;
  host: string;
  pid: number;
  uptimeSeconds: number;
  memory: {
    rssBytes: number;
    heapUsedBytes: number;
    heapTotalBytes: number;
    heapLimitBytes: number;
    externalBytes: number;
    /** Host memory. */
    freeBytes: number;
    totalBytes: number;
  };
  /** 1, 5 and 15 minute load averages of the host: information, not judged. */
  loadAverage: [number, number, number];
  cpus: number;
  /** Event-loop delay of the worker process since the previous check (at least a short sample). */
  eventLoopDelayMs: { mean: number; p50: number; p99: number; max: number; sampledMs: number };
  /** Activity schedule-to-start latency on the main task queue, ms (absent: not measured). */
  scheduleToStartMs?: ScheduleToStart;
}

export type ServiceName = 'temporal' | 'edd' | 'mailerlite';

export interface ServiceCheck {
  service: ServiceName;
  ok: boolean;
  /** Time to answer, ms (also when the answer was an error). Null when no attempt finished. */
  latencyMs: number | null;
  checkedAt: string;
  error?: string;
  /** The error's type, e.g. ProviderAuthError. */
  errorType?: string;
  /** Temporal: whether the HealthStatus search attribute is registered (runs are filterable). */
  healthSearchAttribute?: boolean;
  /**
   * Temporal: the project's search attributes (SEARCH_ATTRIBUTES) the namespace lacks, each with
   * its type. A sync that sets one fails every workflow task until it is registered.
   */
  missingSearchAttributes?: { name: string; type: string }[];
  /** Temporal: the namespace checked. */
  namespace?: string;
}

/** The counts the health scan keeps of a running sync's progress. */
export const BRIEF_COUNTS = [
  'fetched',
  'valid',
  'invalid',
  'created',
  'updated',
  'unchanged',
  'skipped',
  'failed',
] as const;
export type BriefCounts = Pick<SyncCounts, (typeof BRIEF_COUNTS)[number]>;

/** What the health scan keeps of a running sync's progress. */
export interface SyncProgressBrief extends BriefCounts {
  phase: string;
  pages: number;
  startedAt: string;
  updatedAt: string;
  /** Mirror removals waiting for a person's approval (phase `awaiting-approval`). */
  pendingRemovals?: number;
}

/** A running campaign sync as the scan saw it. */
export interface RunningSyncInfo {
  campaign: string;
  workflowId: string;
  runId: string;
  taskQueue: string;
  startedAt: string;
  /** Its `SyncTrigger` search attribute. */
  trigger?: string;
  progress?: SyncProgressBrief;
  /** Why the progress query gave no answer (e.g. no worker polls the queue). */
  progressError?: string;
  pendingActivities: { type: string; attempt: number; lastFailure?: { type?: string; message: string } }[];
  /**
   * Whether any worker polls the workflow tasks of its task queue. False: nothing runs it, not even
   * a cancellation, and it holds the campaign's lock until a worker comes or it is terminated.
   */
  taskQueuePolled?: boolean;
}

/** A run holding a campaign's lock for another workflow (a transition, a create). */
export interface LockRunInfo {
  campaign: string;
  workflowId: string;
  runId: string;
  startedAt: string;
  holder?: string;
}

export interface CampaignFailures {
  campaign: string;
  count: number;
  last: { workflowId: string; runId: string; status: string; closedAt: string; message?: string };
}

export interface CampaignScan {
  checkedAt: string;
  running: RunningSyncInfo[];
  /** Running syncs beyond the scan's limit, not listed. */
  runningOmitted: number;
  locks: LockRunInfo[];
  failures: CampaignFailures[];
  failuresTotal: number;
  /** Failures counted since (ISO time). */
  failuresSince: string;
}

/** Where a campaign's expected sync interval comes from. */
export type CadenceSource = 'schedule' | 'setting';

/** What the cadence check read about one campaign (judged by {@link judgeCadence}). */
export interface CadenceFacts {
  campaign: string;
  source: CadenceSource;
  /** The campaign's sync schedule, for `schedule`. */
  scheduleId?: string;
  /** The schedule's interval (or, for a cron or calendar spec, the largest gap between its next runs). */
  intervalMs?: number;
  /** How long a scheduled run may take: its `timeout` (default: the interval). */
  runAllowanceMs?: number;
  /** Overdue after this long without a successful sync: interval + run allowance, or the setting. */
  overdueAfterMs: number;
  /** Close time of the newest completed sync that was not a dry run, within visibility. */
  lastSuccessAt: string | null;
  /**
   * Since when a success is expected at the earliest: the schedule's creation or last update, or
   * the first run of an unscheduled campaign the check saw.
   */
  expectedSince: string;
}

export interface CadenceCheck {
  checkedAt: string;
  campaigns: CadenceFacts[];
}

/** Everything the checks collected, before judging it. */
export interface HealthSnapshot {
  /** The task queue checked. */
  taskQueue: string;
  workers: WorkersCheck | CheckError;
  resources: ResourceCheck | CheckError;
  services: ServiceCheck[];
  campaigns: CampaignScan | CheckError;
  /** Campaigns' successful syncs against their expected interval (absent: not checked). */
  cadence?: CadenceCheck | CheckError;
}
