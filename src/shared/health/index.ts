/**
 * The health check's types, thresholds and its pure evaluation (status, score, stuck syncs and
 * what to do about them, overload). Shared by the `systemHealth` workflow, its activities, the
 * worker's configuration and the CLI; no I/O here, so workflow code can use it.
 *
 * - thresholds.ts: statuses, thresholds and a run's input;
 * - checks.ts: what the checks collect (the snapshot);
 * - report.ts: the report, and the memory one run hands the next;
 * - evaluate.ts: judging a snapshot (findings, stuck syncs, cadence, overload, hysteresis);
 * - alerts.ts: the alerts a report raises.
 */
export * from './thresholds';
export * from './checks';
export * from './report';
export * from './evaluate';
export * from './alerts';
