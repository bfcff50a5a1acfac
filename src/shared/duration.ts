/** Durations as operators type them: a whole number and a unit, `90s`, `30m`, `2h`, `1d`. */
export const DURATION_PATTERN = /^(\d{1,7})(ms|s|m|h|d)$/;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration such as `30m`; throws a RangeError naming the expected form. */
export function parseDuration(value: string): number {
  const match = DURATION_PATTERN.exec(value.trim());
  if (!match) throw new RangeError(`'${value}' is not a duration such as 90s, 30m, 2h or 1d`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}
