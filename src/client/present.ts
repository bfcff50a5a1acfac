/**
 * How the CLI shows results to a person (never in `--json`, which keeps plain values): what needs
 * attention emphasised on a terminal, and the first lines of a run's status. Times for people are
 * `whenAndAge` and its kin in src/shared/when.ts.
 */

import { whenAndAge } from '../shared/when';

/** Marks a word that needs attention (FAILED, UNHEALTHY...). */
export type Emphasis = (text: string) => string;

/** No mark: pipes, files, `NO_COLOR`, `--json`. */
export const plain: Emphasis = (text) => text;

/** Bold red, for a terminal. */
export const boldRed: Emphasis = (text) => `\x1b[1;31m${text}\x1b[0m`;

/**
 * The emphasis for where stdout goes: bold red on a terminal, none in a pipe or a file, and none
 * when `NO_COLOR` is set (https://no-color.org) or `TERM` is `dumb`.
 */
export function emphasisFor(isTTY: boolean | undefined, env: NodeJS.ProcessEnv): Emphasis {
  if (!isTTY || env.NO_COLOR !== undefined || env.TERM === 'dumb') return plain;
  return boldRed;
}

/** Statuses that need a person: emphasised wherever they are shown. */
const ALARMING = new Set([
  'FAILED',
  'TIMED_OUT',
  'TERMINATED',
  'CANCELLED',
  'UNHEALTHY',
  'DEGRADED',
  'DOWN',
  'NO WORKER',
  'OVERDUE',
  'STUCK',
  'UNPOLLED',
  'PROBLEMS',
]);

/** `status` emphasised when it needs a person (compared in upper case), as it is otherwise. */
export function markStatus(status: string, emphasis: Emphasis): string {
  return ALARMING.has(status.toUpperCase()) ? emphasis(status) : status;
}

/** What the status of any run shows first. */
export interface RunHeader {
  workflowId: string;
  runId: string;
  /** Temporal's execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED, TIMED_OUT. */
  status: string;
  startedAt: Date;
  closedAt?: Date;
  /** The run's task queue, and (running runs only) whether a worker polls its workflow tasks. */
  taskQueue: string;
  workerPolling?: boolean;
}

/**
 * The first lines of a run's status: `<title>: <STATUS>`, its workflow and run, when it started
 * and closed, and a warning when no worker polls its task queue (`advice` says what to do then).
 */
export function runHeaderLines(
  title: string,
  run: RunHeader,
  opts: { now?: Date; emphasis?: Emphasis; advice?: string },
): string[] {
  const when = (at: Date) => whenAndAge(at, opts.now);
  const lines = [
    `${title}: ${markStatus(run.status, opts.emphasis ?? plain)}`,
    `  workflow   ${run.workflowId}`,
    `  run        ${run.runId}`,
    `  started    ${when(run.startedAt)}`,
  ];
  if (run.closedAt) lines.push(`  closed     ${when(run.closedAt)}`);
  if (run.workerPolling === false)
    lines.push(
      `  WARNING    no worker polls task queue ${run.taskQueue}: the run cannot go on (or act on a ` +
        `cancellation) until one does${opts.advice ? `; ${opts.advice}` : ''}`,
    );
  return lines;
}
