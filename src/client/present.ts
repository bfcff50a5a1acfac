/**
 * How the CLI shows times and results to a person (never in `--json`, which keeps ISO times and
 * plain values): a time as local time with its age, and results that need attention emphasised on
 * a terminal.
 */

const pad = (n: number) => String(n).padStart(2, '0');

/** A time as the process's local time (`TZ`), to the minute: `2026-12-05 10:12`. */
export function localTime(at: Date): string {
  return (
    `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ` +
    `${pad(at.getHours())}:${pad(at.getMinutes())}`
  );
}

/** How long ago (`3h ago`), or for a time to come how soon (`in 5m`), in the largest whole unit. */
export function age(at: Date, now = new Date()): string {
  const ms = now.getTime() - at.getTime();
  const s = Math.round(Math.abs(ms) / 1000);
  const amount =
    s < 60
      ? `${s}s`
      : s < 3600
        ? `${Math.floor(s / 60)}m`
        : s < 86_400
          ? `${Math.floor(s / 3600)}h`
          : `${Math.floor(s / 86_400)}d`;
  return ms < -500 ? `in ${amount}` : `${amount} ago`;
}

/**
 * When, as local time with its age: `2026-12-05 10:12 (3h ago)`, `2026-12-05 14:00 (in 2h)`. Takes
 * a Date or an ISO string (as reports carry them); `never` for none.
 */
export function whenAndAge(at: Date | string | null | undefined, now: Date | string = new Date()): string {
  if (at === null || at === undefined) return 'never';
  const when = typeof at === 'string' ? new Date(at) : at;
  if (Number.isNaN(when.getTime())) return String(at);
  return `${localTime(when)} (${age(when, typeof now === 'string' ? new Date(now) : now)})`;
}

/** The age alone (`5s ago`), for what a person reads as "last seen", `never` for none. */
export function ago(at: Date | string | null | undefined, now: Date | string = new Date()): string {
  if (at === null || at === undefined) return 'never';
  const when = typeof at === 'string' ? new Date(at) : at;
  return age(when, typeof now === 'string' ? new Date(now) : now);
}

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
