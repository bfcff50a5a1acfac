import { InvalidInputError } from '../shared/errors';
import { DURATION_PATTERN, parseDuration } from '../shared/duration';
import { SYNC_ALL_WORKFLOW_ID } from '../shared/names';
import { campaignCodeSchema } from '../shared/schemas';
import { timezoneProblem } from '../shared/sync-schedule';

/**
 * Parsers of the CLI's option and argument values, one per kind of value. Each refuses what is not
 * exactly the kind (no `0x10`, `1e2`, `' 7 '`, empty strings) with an {@link InvalidInputError}
 * that names the flag and the values it takes, so the CLI exits 2 with that one line.
 */

/** A parser commander calls with the text typed and the value so far. */
export type ValueParser<T> = (value: string, previous: T | undefined) => T;

/** Control, format (bidi overrides, zero-width) and lone surrogate characters, e.g. terminal escapes. */
const HIDDEN_CHARACTERS = /[\p{Cc}\p{Cf}\p{Cs}]/u;

/** Shows a value in a message without letting it move the terminal's cursor (escapes shown as \uXXXX). */
export function shown(value: string, max = 40): string {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return `'${cut.replace(/[\p{Cc}\p{Cf}\p{Cs}]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}'`;
}

/**
 * A flag that takes one value: given twice (`--mode upsert --mode mirror`), it is refused rather
 * than the last one silently winning. Each parse of a command line builds its parsers anew.
 */
export function single<T>(flag: string, parse: (value: string) => T): ValueParser<T> {
  let seen = false;
  return (value) => {
    if (seen) throw new InvalidInputError(`${flag} was given more than once; give it once`);
    seen = true;
    return parse(value);
  };
}

/** A flag that may be repeated, each value parsed and collected (comma-separated lists split). */
export function repeated<T>(parse: (value: string) => T): ValueParser<T[]> {
  return (value, previous) => [...(previous ?? []), ...value.split(',').map((part) => parse(part))];
}

/** A plain decimal whole number within [min, max]: no sign, spaces, exponent, hex or binary. */
export function integer(flag: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
  return (value: string): number => {
    if (!/^\d{1,16}$/.test(value))
      throw new InvalidInputError(
        `${flag} must be a whole number ${range} (digits only), not ${shown(value)}`,
      );
    const n = Number(value);
    if (n < min) throw new InvalidInputError(`${flag} must be at least ${min}, not ${value}`);
    if (n > max) throw new InvalidInputError(`${flag} must be at most ${max}, not ${value}`);
    return n;
  };
}

/** A share from 0 to 1 as a plain decimal (`0.1`, `1`, `.25`). */
export function share(flag: string) {
  return (value: string): number => {
    if (!/^(\d+(\.\d+)?|\.\d+)$/.test(value) || Number(value) > 1)
      throw new InvalidInputError(
        `${flag} must be a number from 0 to 1 such as 0.1 (10%), not ${shown(value)}`,
      );
    return Number(value);
  };
}

/** One of a fixed list of values, exactly as written. */
export function choice<T extends string>(flag: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value))
      throw new InvalidInputError(`${flag} must be one of ${choices.join(', ')}, not ${shown(value)}`);
    return value as T;
  };
}

/**
 * A duration through the project's own parser (`90s`, `30m`, `2h`, `1d`), at least `minMs` (one
 * second unless told): `500ms` is refused where the smallest unit a sync takes is the second.
 */
export function duration(flag: string, minMs = 1000) {
  return (value: string): string => {
    const form = 'a duration such as 90s, 30m, 2h or 1d';
    if (!DURATION_PATTERN.test(value))
      throw new InvalidInputError(`${flag} must be ${form}, not ${shown(value)}`);
    if (parseDuration(value) < minMs || value.endsWith('ms'))
      throw new InvalidInputError(
        `${flag} must be a duration of at least ${minMs / 1000} second${minMs === 1000 ? '' : 's'} ` +
          `such as 90s, 30m, 2h or 1d, not ${shown(value)}`,
      );
    return value;
  };
}

/** Free text a person gives (a note, a reason, a name): printable, not empty, bounded. */
export function text(flag: string, max = 500) {
  return (value: string): string => {
    if (value.trim() === '') throw new InvalidInputError(`${flag} must not be empty`);
    if (value.length > max) throw new InvalidInputError(`${flag} must be at most ${max} characters`);
    if (HIDDEN_CHARACTERS.test(value))
      throw new InvalidInputError(
        `${flag} must be printable text: no control characters or terminal escape codes (${shown(value)})`,
      );
    return value;
  };
}

/** A campaign code, checked as `sync start` checks it (a 4-digit year, upper-case parts). */
export function campaign(name = 'campaign') {
  return (value: string): string => {
    const parsed = campaignCodeSchema(name).safeParse(value);
    // `campaign: campaign must be…` for the argument, as the sync input's check says it.
    if (!parsed.success) {
      const upper = value.toUpperCase();
      const hint = campaignCodeSchema(name).safeParse(upper).success
        ? `; did you mean ${upper}?`
        : value === 'all'
          ? `. 'all' is not a campaign: the sync of all campaigns (workflow ${SYNC_ALL_WORKFLOW_ID}) has its ` +
            `own commands, 'campaign-sync sync all status' and 'campaign-sync sync all cancel'`
          : '';
      throw new InvalidInputError(
        parsed.error.issues
          .map((i) => (name.startsWith('-') ? i.message : `${name}: ${i.message}`))
          .join('; ') + hint,
      );
    }
    return value;
  };
}

/** A Temporal run ID: a UUID. */
export function runId(flag: string) {
  return (value: string): string => {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))
      throw new InvalidInputError(
        `${flag} must be a run ID such as 0191e0c4-7f4a-7d2e-9a51-3c9b6f1d2e8a (a UUID), not ${shown(value)}`,
      );
    return value;
  };
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The plain numbers of a cron field (`5`, `1,15`), or undefined when it has ranges, steps or names. */
function plainNumbers(field: string): number[] | undefined {
  if (!/^\d+(,\d+)*$/.test(field)) return undefined;
  return field.split(',').map(Number);
}

/**
 * A cron of five fields that can fire: a day-of-month list that no month of the list has (`0 0 31
 * 2 *`) is refused. Other mistakes in the fields are left to the server, which names them.
 */
export function cron(flag: string) {
  return (value: string): string => {
    text(flag, 200)(value);
    const fields = value.trim().split(/\s+/);
    if (fields.length !== 5)
      throw new InvalidInputError(
        `${flag} must have five fields (minute hour day-of-month month day-of-week), such as "0 3 * * *", not ${shown(value)}`,
      );
    const [, , dom, month, dow] = fields as [string, string, string, string, string];
    const days = plainNumbers(dom);
    const months = month === '*' ? [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12] : plainNumbers(month);
    // A day-of-week other than `*` lets the schedule fire on those weekdays, whatever the day of month.
    if (
      days &&
      months &&
      dow === '*' &&
      !days.some((d) => months.some((m) => d >= 1 && d <= (DAYS_IN_MONTH[m - 1] ?? 0)))
    )
      throw new InvalidInputError(
        `${flag} ${shown(value)} can never fire: no month in it has day ${days.join(' or ')}`,
      );
    return value;
  };
}

/** A real calendar time in ISO form (`2024-05-01` or `2024-05-01T00:00:00Z`); `2024-02-30` is refused. */
export function isoTime(flag: string) {
  return (value: string): Date => {
    const example = 'such as 2024-05-01T00:00:00Z';
    const m = /^(\d{4})-(\d\d)-(\d\d)(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)?)?$/.exec(value);
    const date = new Date(value);
    if (!m || Number.isNaN(date.getTime()))
      throw new InvalidInputError(`${flag} must be an ISO time ${example}, not ${shown(value)}`);
    const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const calendar = new Date(Date.UTC(year, month - 1, day));
    if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day)
      throw new InvalidInputError(
        `${flag} must be a real calendar date ${example}: ${shown(value)} does not exist`,
      );
    return date;
  };
}

/** An IANA time zone name as the server takes it (`Europe/Berlin`, `UTC`); see {@link timezoneProblem}. */
export function timezone(flag: string) {
  return (value: string): string => {
    text(flag, 100)(value);
    const problem = timezoneProblem(value);
    if (problem) throw new InvalidInputError(problem.replace(/^--timezone/, flag));
    return value;
  };
}
