/**
 * Judging a snapshot: findings and their score, stuck syncs and what to do about them, overdue
 * campaigns, overload, and the status hysteresis. Pure and deterministic: the workflow runs it.
 */
import { parseDuration } from '../duration';
import { NON_RETRYABLE_ERROR_TYPES } from '../errors';
import { registerCommand } from '../search-attributes';
import {
  type HealthStatus,
  type Severity,
  SCORE_PENALTY,
  HEALTH_RESTART_TRIGGER,
  type HealthThresholds,
} from './thresholds';
import {
  type CheckError,
  isCheckError,
  type WorkersCheck,
  type ResourceCheck,
  type RunningSyncInfo,
  type CadenceCheck,
  type HealthSnapshot,
  type CampaignScan,
} from './checks';
import type {
  HealthArea,
  Finding,
  StuckAction,
  StuckSync,
  WorkerSummary,
  WorkersSection,
  UnpolledSync,
  CadenceEntry,
  CampaignsSection,
  StatusTrend,
  HealthCarry,
  PreviousReport,
} from './report';

const MB = 1024 * 1024;

function severityOf(value: number, level: { degraded: number; unhealthy: number }) {
  if (value >= level.unhealthy) return 'unhealthy' as const;
  if (value >= level.degraded) return 'degraded' as const;
  return undefined;
}

/** `95s`, `12m`, `3.5h`: a duration for people. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)}s`;
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)}m`;
  return `${(ms / 3_600_000).toFixed(1)}h`;
}

/** The status and score findings give: the worst severity, and 100 minus their penalties. */
export function scoreFindings(findings: Finding[]): { status: HealthStatus; score: number } {
  let status: HealthStatus = 'healthy';
  let score = 100;
  for (const f of findings) {
    score -= SCORE_PENALTY[f.severity];
    if (f.severity === 'unhealthy') status = 'unhealthy';
    else if (status === 'healthy') status = 'degraded';
  }
  return { status, score: Math.max(0, score) };
}

/** Pollers per task queue, and per worker identity, from a workers check. */
export function summarizeWorkers(check: WorkersCheck): WorkersSection {
  const byIdentity = new Map<string, WorkerSummary>();
  const queues = check.queues.map((q) => {
    let lastSeen: string | null = null;
    for (const p of q.pollers) {
      if (p.lastSeen && (!lastSeen || p.lastSeen > lastSeen)) lastSeen = p.lastSeen;
      const worker = byIdentity.get(p.identity) ?? { identity: p.identity, lastSeen: null, polls: [] };
      worker.polls.push(`${q.taskQueue} (${q.kind})`);
      if (p.lastSeen && (!worker.lastSeen || p.lastSeen > worker.lastSeen)) worker.lastSeen = p.lastSeen;
      byIdentity.set(p.identity, worker);
    }
    return { taskQueue: q.taskQueue, kind: q.kind, pollers: q.pollers.length, lastSeen };
  });
  return {
    queues,
    workers: [...byIdentity.values()].sort((a, b) => a.identity.localeCompare(b.identity)),
  };
}

/**
 * Whether the worker that ran the check is overloaded, and why: any overload threshold reached by
 * its own signals (resident memory, heap used against its limit, event-loop delay, how long its
 * activities waited to start). The host's load and free memory are not signals of this worker.
 */
export function overloadOf(
  resources: ResourceCheck,
  t: HealthThresholds,
): { overloaded: boolean; reasons: string[] } {
  const o = t.overload;
  const reasons: string[] = [];
  const rssMb = resources.memory.rssBytes / MB;
  const heapRatio = resources.memory.heapUsedBytes / Math.max(1, resources.memory.heapLimitBytes);
  if (rssMb >= o.rssMb) reasons.push(`worker memory ${rssMb.toFixed(0)} MB >= ${o.rssMb} MB`);
  if (heapRatio >= o.heapUsedRatio)
    reasons.push(
      `heap ${(heapRatio * 100).toFixed(0)}% of its limit >= ${(o.heapUsedRatio * 100).toFixed(0)}%`,
    );
  if (resources.eventLoopDelayMs.p99 >= o.eventLoopDelayMs)
    reasons.push(
      `event-loop delay p99 ${resources.eventLoopDelayMs.p99.toFixed(0)} ms >= ${o.eventLoopDelayMs} ms`,
    );
  const s2s = resources.scheduleToStartMs;
  if (s2s && s2s.count > 0 && s2s.p99 >= o.scheduleToStartMs)
    reasons.push(`activities waited p99 ${formatMs(s2s.p99)} to start >= ${formatMs(o.scheduleToStartMs)}`);
  return { overloaded: reasons.length > 0, reasons };
}

/** What to do about a sync on a task queue no worker polls. */
export function unpolledAdvice(campaign: string, taskQueue: string): string {
  return (
    `start a worker with TEMPORAL_TASK_QUEUE=${taskQueue}, or free the lock with ` +
    `'campaign-sync sync cancel ${campaign} --force'`
  );
}

/**
 * Each campaign's cadence: overdue when no successful sync has closed for longer than
 * `overdueAfterMs`, counted from the last success or from when one was first expected
 * (`expectedSince`), whichever is later. A campaign judged by the previous report keeps the
 * `expectedSince` it had then; a scheduled campaign newly judged (a schedule created, or unpaused,
 * since the previous report) is counted from the previous report at the earliest, so a schedule
 * paused for a week is not overdue the moment it is unpaused. `change` says what alerts: it became
 * overdue with this report, or it synced successfully again after being overdue.
 */
export function judgeCadence(
  check: CadenceCheck,
  previous: PreviousReport | undefined,
): { entries: CadenceEntry[]; since: Record<string, string> } {
  const now = Date.parse(check.checkedAt);
  const carry = previous?.carry;
  const wasOverdue = new Set(carry?.overdueCampaigns ?? []);
  const since: Record<string, string> = {};
  const entries = check.campaigns.map((f): CadenceEntry => {
    let from = f.expectedSince;
    const carried = carry?.cadenceSince[f.campaign];
    if (carried !== undefined) from = carried > from ? carried : from;
    else if (previous && f.source === 'schedule' && previous.checkedAt > from) from = previous.checkedAt;
    since[f.campaign] = from;
    const reference = f.lastSuccessAt && f.lastSuccessAt > from ? f.lastSuccessAt : from;
    const overdue = now - Date.parse(reference) > f.overdueAfterMs;
    const entry: CadenceEntry = {
      campaign: f.campaign,
      source: f.source,
      ...(f.scheduleId !== undefined ? { scheduleId: f.scheduleId } : {}),
      ...(f.intervalMs !== undefined ? { intervalMs: f.intervalMs } : {}),
      overdueAfterMs: f.overdueAfterMs,
      lastSuccessAt: f.lastSuccessAt,
      expectedSince: from,
      overdue,
    };
    if (overdue && !wasOverdue.has(f.campaign)) entry.change = 'became-overdue';
    else if (!overdue && wasOverdue.has(f.campaign) && f.lastSuccessAt !== null && f.lastSuccessAt >= from)
      entry.change = 'synced-again';
    return entry;
  });
  return { entries, since };
}

/** A cadence entry's overdue finding, for people. */
export function overdueMessage(e: CadenceEntry, now: number): string {
  const expected =
    e.source === 'schedule'
      ? `expected every ${formatMs(e.intervalMs ?? 0)} by its schedule ${e.scheduleId ?? ''}`.trimEnd()
      : 'no schedule; HEALTH_SYNC_OVERDUE_AFTER';
  return e.lastSuccessAt
    ? `campaign ${e.campaign} has not synced successfully for ${formatMs(now - Date.parse(e.lastSuccessAt))} ` +
        `(${expected}; overdue after ${formatMs(e.overdueAfterMs)}; last success ${e.lastSuccessAt})`
    : `campaign ${e.campaign} has had no successful sync since ${e.expectedSince} ` +
        `(${expected}; overdue after ${formatMs(e.overdueAfterMs)})`;
}

export interface HealthEvaluation {
  findings: Finding[];
  workers: WorkersSection | CheckError;
  campaigns: CampaignsSection | CheckError;
  /** Null when the resources could not be read. */
  overload: { overloaded: boolean; reasons: string[] } | null;
  /** The carry's parts the evaluation decides (the workflow adds the held pauses and the announced status). */
  carry: Pick<
    HealthCarry,
    'overdueCampaigns' | 'unpolledSyncs' | 'stuckSyncs' | 'cadenceSince' | 'settingCampaigns'
  >;
}

type AddFinding = (area: HealthArea, severity: Severity | undefined, message: string) => void;

/**
 * Judges a snapshot against thresholds: the findings (each with its severity), the stuck syncs
 * with the action each gets, syncs nobody runs, campaigns overdue, and whether the worker is
 * overloaded. Pure and deterministic: the workflow runs it, and unit tests drive it directly.
 * `taskQueue` is the deployment's (only its syncs are recovered); `previous` is the previous report.
 */
export function evaluateHealth(
  snapshot: HealthSnapshot,
  t: HealthThresholds,
  opts: { recover: boolean; previous?: PreviousReport },
): HealthEvaluation {
  const findings: Finding[] = [];
  const add: AddFinding = (area, severity, message) => {
    if (severity) findings.push({ area, severity, message });
  };
  const { workers, unpolled } = judgeWorkers(snapshot.workers, t, add);
  const overload = judgeResources(snapshot.resources, t, add);
  const authRefused = judgeServices(snapshot.services, t, add);
  const { campaigns, carry } = judgeCampaigns(snapshot, t, opts, { unpolled, authRefused }, add);
  return { findings, workers, campaigns, overload, carry };
}

/** Workers: every queue needs a poller, recently seen. `unpolled` names the queues without one. */
function judgeWorkers(
  check: HealthSnapshot['workers'],
  t: HealthThresholds,
  add: AddFinding,
): { workers: WorkersSection | CheckError; unpolled: string[] } {
  if (isCheckError(check)) {
    add('workers', 'degraded', `workers could not be checked: ${check.error}`);
    return { workers: check, unpolled: [] };
  }
  const workers = summarizeWorkers(check);
  const unpolled: string[] = [];
  const now = Date.parse(check.checkedAt);
  const staleMs = parseDuration(t.workerStaleAfter);
  for (const q of workers.queues) {
    const name = `${q.taskQueue} (${q.kind} tasks)`;
    if (q.pollers === 0) {
      unpolled.push(`${q.taskQueue}/${q.kind}`);
      add('workers', 'unhealthy', `no worker polls ${name}`);
    } else if (q.lastSeen && now - Date.parse(q.lastSeen) > staleMs) {
      add('workers', 'degraded', `no worker polled ${name} for ${formatMs(now - Date.parse(q.lastSeen))}`);
    }
  }
  return { workers, unpolled };
}

/**
 * Resources of the worker that ran the check: its own signals only. The host's load average and
 * free memory are in the report as information; a busy neighbour on a shared host is not this
 * worker's problem, and judging it made health flap with every load change. Null when unread.
 */
function judgeResources(
  r: HealthSnapshot['resources'],
  t: HealthThresholds,
  add: AddFinding,
): HealthEvaluation['overload'] {
  if (isCheckError(r)) {
    add('resources', 'degraded', `resources could not be checked: ${r.error}`);
    return null;
  }
  const rssMb = r.memory.rssBytes / MB;
  const heapRatio = r.memory.heapUsedBytes / Math.max(1, r.memory.heapLimitBytes);
  add('resources', severityOf(rssMb, t.rssMb), `worker memory (RSS) ${rssMb.toFixed(0)} MB`);
  add(
    'resources',
    severityOf(heapRatio, t.heapUsedRatio),
    `heap ${(heapRatio * 100).toFixed(0)}% of its limit`,
  );
  add(
    'resources',
    severityOf(r.eventLoopDelayMs.p99, t.eventLoopDelayMs),
    `event-loop delay p99 ${r.eventLoopDelayMs.p99.toFixed(0)} ms`,
  );
  const s2s = r.scheduleToStartMs;
  if (s2s && s2s.count > 0)
    add(
      'resources',
      severityOf(s2s.p99, t.scheduleToStartMs),
      `activities waited p99 ${formatMs(s2s.p99)} (max ${formatMs(s2s.max)}) to start on ${s2s.taskQueue}`,
    );
  return overloadOf(r, t);
}

/**
 * Services: reachable, answering in time, and (Temporal) every search attribute registered.
 * Answers the services that refuse the request for good (a credential), by name.
 */
function judgeServices(
  services: HealthSnapshot['services'],
  t: HealthThresholds,
  add: AddFinding,
): Map<string, string> {
  const authRefused = new Map<string, string>();
  for (const s of services) {
    if (!s.ok) {
      add('services', 'unhealthy', `${s.service} unreachable: ${s.error ?? 'no answer'}`);
      if (s.errorType && NON_RETRYABLE_ERROR_TYPES.includes(s.errorType))
        authRefused.set(s.service, `${s.service} refuses the request (${s.errorType})`);
    } else if (s.latencyMs !== null) {
      add(
        'services',
        severityOf(s.latencyMs, t.serviceLatencyMs),
        `${s.service} answers slowly: ${formatMs(s.latencyMs)}`,
      );
    }
    const missing = s.missingSearchAttributes ?? [];
    if (missing.length > 0) {
      const names = missing.map((a) => a.name);
      const namespace = s.namespace ?? 'default';
      add(
        'services',
        'unhealthy',
        `search attribute${names.length === 1 ? '' : 's'} ${names.join(', ')} not registered in namespace ` +
          `${s.namespace ?? '(unknown)'}: a sync setting one fails every workflow task until it is; register ` +
          `${names.length === 1 ? 'it' : 'them'} with ${missing.map((a) => registerCommand(a, namespace)).join(' && ')}`,
      );
    }
  }
  return authRefused;
}

/** Campaigns: syncs nobody runs, stuck syncs, long-held locks, recent failures, overdue campaigns. */
function judgeCampaigns(
  snapshot: HealthSnapshot,
  t: HealthThresholds,
  opts: { recover: boolean; previous?: PreviousReport },
  found: { unpolled: string[]; authRefused: Map<string, string> },
  add: AddFinding,
): { campaigns: CampaignsSection | CheckError; carry: HealthEvaluation['carry'] } {
  const previous = opts.previous?.carry;
  const carry: HealthEvaluation['carry'] = {
    overdueCampaigns: previous?.overdueCampaigns ?? [],
    unpolledSyncs: previous?.unpolledSyncs ?? [],
    stuckSyncs: previous?.stuckSyncs ?? [],
    cadenceSince: previous?.cadenceSince ?? {},
    ...(previous?.settingCampaigns ? { settingCampaigns: previous.settingCampaigns } : {}),
  };
  const scan = snapshot.campaigns;
  if (isCheckError(scan)) {
    add('campaigns', 'degraded', `campaign syncs could not be scanned: ${scan.error}`);
    return { campaigns: scan, carry };
  }
  const now = Date.parse(scan.checkedAt);
  const runningMs = parseDuration(t.stuckRunningAfter);
  const { running, stuck, unpolled } = classifyRunning(scan, t, {
    recover: opts.recover,
    authRefused: found.authRefused,
    noWorker: found.unpolled,
    taskQueue: snapshot.taskQueue,
    alertedUnpolled: new Set(previous?.unpolledSyncs ?? []),
    alertedStuck: new Set(previous?.stuckSyncs ?? []),
  });
  for (const u of unpolled)
    add(
      'campaigns',
      'unhealthy',
      `sync of ${u.campaign} (${u.workflowId}) runs on task queue ${u.taskQueue}, which no worker polls: ` +
        `nothing runs it, not even a cancellation, and it holds the campaign's lock; ${unpolledAdvice(u.campaign, u.taskQueue)}`,
    );
  for (const s of stuck) add('campaigns', 'degraded', `sync of ${s.campaign} is stuck: ${s.reason}`);
  const longLocks = scan.locks.filter((l) => now - Date.parse(l.startedAt) >= runningMs);
  for (const l of longLocks)
    add(
      'campaigns',
      'degraded',
      `${l.campaign} has been locked by ${l.holder ?? l.workflowId} for ${formatMs(now - Date.parse(l.startedAt))}`,
    );
  add(
    'campaigns',
    severityOf(scan.failuresTotal, t.failures),
    `${scan.failuresTotal} failed syncs in the last ${t.failureWindow}`,
  );
  carry.unpolledSyncs = unpolled.map((u) => `${u.workflowId}/${u.runId}`);
  carry.stuckSyncs = stuck.map((x) => `${x.workflowId}/${x.runId}`);
  const { cadence, cadenceError } = judgeCadenceOf(snapshot.cadence, t, opts.previous, carry, add);
  const campaigns: CampaignsSection = {
    running,
    runningOmitted: scan.runningOmitted,
    stuck,
    longLocks,
    locks: scan.locks.length,
    failures: scan.failures,
    failuresTotal: scan.failuresTotal,
    failuresSince: scan.failuresSince,
    recovered: { restarted: 0, failed: 0 },
    unpolled,
    cadence,
    ...(cadenceError !== undefined ? { cadenceError } : {}),
  };
  return { campaigns, carry };
}

/**
 * Each running sync's state: unpolled (on a queue no worker polls), waiting for an approval,
 * stuck (running too long, or no progress for too long, with what recovery does), or running.
 */
function classifyRunning(
  scan: CampaignScan,
  t: HealthThresholds,
  ctx: Parameters<typeof decideRecovery>[1] & {
    noWorker: string[];
    alertedUnpolled: Set<string>;
    alertedStuck: Set<string>;
  },
): { running: CampaignsSection['running']; stuck: StuckSync[]; unpolled: UnpolledSync[] } {
  const now = Date.parse(scan.checkedAt);
  const noProgressMs = parseDuration(t.stuckNoProgressAfter);
  const runningMs = parseDuration(t.stuckRunningAfter);
  const stuck: StuckSync[] = [];
  const unpolled: UnpolledSync[] = [];
  const running = scan.running.map((sync) => {
    const key = `${sync.workflowId}/${sync.runId}`;
    if (sync.taskQueuePolled === false) {
      const { campaign, workflowId, runId, taskQueue } = sync;
      unpolled.push({ campaign, workflowId, runId, taskQueue, new: !ctx.alertedUnpolled.has(key) });
      return { ...sync, state: 'unpolled' as const };
    }
    const age = now - Date.parse(sync.startedAt);
    const idle = sync.progress ? now - Date.parse(sync.progress.updatedAt) : undefined;
    let reason: string | undefined;
    if (sync.progress?.phase === 'awaiting-approval') return { ...sync, state: 'waiting' as const };
    if (age >= runningMs) reason = `running for ${formatMs(age)} (limit ${t.stuckRunningAfter})`;
    else if (idle !== undefined && idle >= noProgressMs)
      reason = `no progress for ${formatMs(idle)} in phase ${sync.progress!.phase} (limit ${t.stuckNoProgressAfter})`;
    else if (idle === undefined && age >= noProgressMs)
      reason = `its progress cannot be read (${sync.progressError ?? 'no answer'}) after ${formatMs(age)}`;
    if (!reason) return { ...sync, state: sync.progress ? ('running' as const) : ('unknown' as const) };
    stuck.push({
      campaign: sync.campaign,
      workflowId: sync.workflowId,
      runId: sync.runId,
      reason,
      new: !ctx.alertedStuck.has(key),
      ...decideRecovery(sync, ctx),
    });
    return { ...sync, state: 'stuck' as const };
  });
  return { running, stuck, unpolled };
}

/** Overdue campaigns, from the cadence check; updates the carry's cadence memory. */
function judgeCadenceOf(
  check: HealthSnapshot['cadence'],
  t: HealthThresholds,
  previous: PreviousReport | undefined,
  carry: HealthEvaluation['carry'],
  add: AddFinding,
): { cadence: CadenceEntry[]; cadenceError?: string } {
  if (!check) return { cadence: [] };
  if (isCheckError(check)) {
    add('campaigns', 'degraded', `sync cadence could not be checked: ${check.error}`);
    return { cadence: [], cadenceError: check.error };
  }
  const judged = judgeCadence(check, previous);
  const now = Date.parse(check.checkedAt);
  for (const e of judged.entries) if (e.overdue) add('campaigns', 'degraded', overdueMessage(e, now));
  carry.overdueCampaigns = judged.entries.filter((e) => e.overdue).map((e) => e.campaign);
  carry.cadenceSince = judged.since;
  const setting = judged.entries.filter((e) => e.source === 'setting').map((e) => e.campaign);
  if (t.syncOverdueAfter !== undefined) carry.settingCampaigns = setting;
  else delete carry.settingCampaigns;
  return { cadence: judged.entries };
}

/**
 * What to do with a stuck sync. A restart is a new run of the stuck run's own input (see
 * docs/design.md, "Health"); it is not tried when it cannot help: the sync was restarted by health
 * already, a provider refuses the credentials (fail it with the reason), or no worker polls a queue
 * it needs, or its progress cannot be read (report it). A sync on another deployment's task queue
 * is that deployment's health's to recover: reported only.
 */
export function decideRecovery(
  sync: RunningSyncInfo,
  ctx: { recover: boolean; authRefused: Map<string, string>; noWorker: string[]; taskQueue?: string },
): { action: StuckAction; why: string } {
  if (!ctx.recover) return { action: 'report', why: 'recovery is off for this run' };
  if (sync.taskQueuePolled === false)
    return {
      action: 'report',
      why: `no worker polls its task queue ${sync.taskQueue}: ${unpolledAdvice(sync.campaign, sync.taskQueue)}`,
    };
  if (ctx.taskQueue !== undefined && sync.taskQueue !== ctx.taskQueue)
    return {
      action: 'report',
      why: `it runs on task queue ${sync.taskQueue}, whose own health check recovers it`,
    };
  if (sync.trigger?.startsWith(HEALTH_RESTART_TRIGGER))
    return {
      action: 'fail',
      why: 'health restarted it already and it is stuck again: restarting would not help',
    };
  const nonRetryable = sync.pendingActivities.find(
    (a) => a.lastFailure?.type && NON_RETRYABLE_ERROR_TYPES.includes(a.lastFailure.type),
  );
  if (nonRetryable)
    return {
      action: 'fail',
      why: `its ${nonRetryable.type} fails with ${nonRetryable.lastFailure!.type}, which no retry fixes`,
    };
  if (ctx.authRefused.size > 0)
    return {
      action: 'fail',
      why: `${[...ctx.authRefused.values()].join('; ')}: a restart would fail the same way`,
    };
  if (ctx.noWorker.length > 0)
    return {
      action: 'report',
      why: `no worker polls ${ctx.noWorker.join(', ')}: a restart would wait the same way`,
    };
  if (!sync.progress) return { action: 'report', why: 'its progress cannot be read' };
  return { action: 'restart', why: 'a new run of its input (writes are idempotent)' };
}

/**
 * Whether a status change is announced (hysteresis). `recentStatuses` are the previous runs'
 * statuses, newest first (their HealthStatus search attributes); `announced` is the status the
 * previous report had announced last. A new status is announced once it has held for
 * `alertAfterRuns` consecutive runs, this one included, so a signal alternating between two
 * statuses at every run announces nothing. Without a previous announcement, the baseline is the
 * newest status that held `alertAfterRuns` runs in `recentStatuses`, else `healthy`.
 */
export function statusTrend(input: {
  status: HealthStatus;
  recentStatuses: HealthStatus[];
  announced?: HealthStatus;
  alertAfterRuns: number;
}): StatusTrend {
  const n = Math.max(1, input.alertAfterRuns);
  let streak = 1;
  for (const s of input.recentStatuses) {
    if (s !== input.status) break;
    streak++;
  }
  const baseline = input.announced ?? heldStatus(input.recentStatuses, n) ?? 'healthy';
  if (streak >= n && input.status !== baseline)
    return { streak, alertAfterRuns: n, announced: input.status, changedFrom: baseline };
  return { streak, alertAfterRuns: n, announced: baseline };
}

/** The newest status that held `n` consecutive runs in a list of statuses, newest first. */
function heldStatus(statuses: HealthStatus[], n: number): HealthStatus | undefined {
  for (let i = 0; i + n <= statuses.length; i++) {
    const window = statuses.slice(i, i + n);
    if (window.every((s) => s === window[0])) return window[0];
  }
  return undefined;
}
