/**
 * Both providers print datetimes as `YYYY-MM-DD HH:MM:SS` (MySQL style, no zone). The emulators
 * treat them as UTC: the demo store's WordPress timezone is UTC, and MailerLite answers in UTC.
 */

/** Milliseconds since the epoch → `YYYY-MM-DD HH:MM:SS` in UTC. */
export function formatSqlDateTime(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** `YYYY-MM-DD HH:MM:SS` (UTC) → milliseconds since the epoch; NaN when malformed. */
export function parseSqlDateTime(text: string): number {
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(text)) return Number.NaN;
  return Date.parse(`${text.replace(' ', 'T')}Z`);
}

/**
 * Milliseconds since the epoch → `YYYY-MM-DDTHH:MM:SS.000000Z`, how Laravel serialises model dates
 * (MailerLite's import reports); recorded values have whole seconds, so the fraction is always zero.
 */
export function formatLaravelIsoDateTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}.000000Z`;
}
