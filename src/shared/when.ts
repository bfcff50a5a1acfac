/** Times as people read them: local time (`TZ`) to the minute, with their age. */

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
