import { z } from 'zod';

/** Durations as operators type them: a whole number and a unit, `90s`, `30m`, `2h`, `1d`. */
export const DURATION_PATTERN = /^(\d{1,7})(ms|s|m|h|d)$/;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration such as `30m`; throws a RangeError naming the expected form. */
export function parseDuration(value: string): number {
  const match = DURATION_PATTERN.exec(value.trim());
  if (!match) throw new RangeError(`'${value}' is not a duration such as 90s, 30m, 2h or 1d`);
  return Number(match[1]) * UNIT_MS[match[2]!]!;
}

/**
 * A duration in an input or a setting: `500ms`, `90s`, `30m`, `2h` or `1d`, at least `minMs`
 * (default: longer than zero). `name` leads each message (`--timeout must be ...`); without it the
 * message starts with "must", for a caller that names the field itself. A workflow's input must be
 * exact (` 30m` is refused); `trim` is for settings read from an environment or a person's input.
 */
export function durationSchema(
  name?: string,
  opts: { minMs?: number; examples?: string; trim?: boolean } = {},
) {
  const subject = name ? `${name} must` : 'must';
  const examples = opts.examples ?? '90s, 30m, 2h or 1d';
  const minMs = opts.minMs ?? 1;
  const text = opts.trim ? z.string().trim() : z.string();
  return text
    .regex(DURATION_PATTERN, `${subject} be a duration such as ${examples}`)
    .refine(
      (v) => !DURATION_PATTERN.test(v) || parseDuration(v) >= minMs,
      minMs <= 1 ? `${subject} be longer than zero` : `${subject} be at least ${minMs / 1000}s`,
    );
}
