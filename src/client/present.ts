/**
 * How the CLI shows times and results to a person (never in `--json`, which keeps ISO times and
 * plain values): a time as local time with its age, and results that need attention emphasised on
 * a terminal.
 */

export { age, ago, localTime, whenAndAge } from '../shared/when';

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
