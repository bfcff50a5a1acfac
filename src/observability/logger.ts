import { types } from 'node:util';
import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear in a log record: credentials, and subscriber
 * personal data (emails, names) that must stay out of logs.
 */
export const REDACTED_PATHS = [
  '*.apiToken',
  '*.token',
  '*.secretKey',
  '*.publicKey',
  '*.password',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  '*.email',
  '*.firstName',
  '*.lastName',
  'email',
  'token',
  'apiToken',
];

const CENSOR = '[redacted]';

/**
 * The same field names, blanked at any depth inside a logged error: pino's paths reach one level
 * down, and an error's fields and causes sit deeper (`error.cause.token`).
 */
const REDACTED_KEYS = new Set(
  REDACTED_PATHS.map((path) => path.slice(path.lastIndexOf('.') + 1).toLowerCase()),
);

/**
 * Credentials in a URL's query string (EDD's `key` and `token` travel so), a bearer token, and an
 * email address: what an error's message, stack or `url` field can hold that a log must not.
 */
const SECRET_QUERY =
  /([?&](?:key|token|api_?key|api_?token|access_token|secret|password|signature)=)[^&\s#"']+/gi;
const BEARER = /(\bBearer\s+)[^\s"',]+/gi;
const EMAIL = /\b[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b/g;

/** A text with query-string credentials, bearer tokens and email addresses masked. */
export function scrubText(text: string): string {
  return text
    .replace(SECRET_QUERY, `$1${CENSOR}`)
    .replace(BEARER, `$1${CENSOR}`)
    .replace(EMAIL, (email) => maskEmail(email));
}

/** An Error of this realm or of another (a workflow's sandbox hands its errors to log sinks). */
function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

/**
 * An Error as a log field: pino's `errWithCause` serializer (type, message, stack, the error's own
 * fields, and `cause` as a nested error, down the whole chain), then made safe to write: credentials
 * and emails masked in every string, and the redacted field names blanked at any depth.
 *
 * Temporal's failures carry their own `type` (an ApplicationFailure's `ProviderTransientError`),
 * which the serializer's `type` (the class name) would hide: it is kept as `failureType`. Their raw
 * protobuf `failure` (the same chain again, encoded) is left out.
 */
export function serializeError(err: unknown): unknown {
  if (!isError(err)) return err;
  return safe(pino.stdSerializers.errWithCause(err), err, 0);
}

const MAX_DEPTH = 8;

/** A Temporal failure's `failure` field: the protobuf the error was decoded from (not an Error). */
function isProtoFailure(raw: unknown): boolean {
  if (!isError(raw)) return false;
  const failure = (raw as { failure?: unknown }).failure;
  return typeof failure === 'object' && failure !== null && !isError(failure);
}

function safe(serialized: unknown, raw: unknown, depth: number): unknown {
  if (typeof serialized === 'string') return scrubText(serialized);
  if (serialized === null || typeof serialized !== 'object') return serialized;
  if (depth > MAX_DEPTH) return '[too deep]';
  if (Array.isArray(serialized)) return serialized.map((item) => safe(item, undefined, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(serialized)) {
    if (key === 'failure' && isProtoFailure(raw)) continue;
    if (REDACTED_KEYS.has(key.toLowerCase())) out[key] = CENSOR;
    else
      out[key] = safe(
        value,
        isError(raw) ? (raw as unknown as Record<string, unknown>)[key] : undefined,
        depth + 1,
      );
  }
  const failureType = isError(raw) ? (raw as { type?: unknown }).type : undefined;
  if (typeof failureType === 'string' && failureType !== out.type) out.failureType = failureType;
  return out;
}

/**
 * A log record with every Error in it serialized by {@link serializeError}, wherever it sits
 * (`err`, `error`, `failure`, or deeper: the Temporal SDK puts its errors under `error`, where pino's
 * own serializer, keyed on `err`, never looks, and JSON makes an Error `{}`). Returns the same
 * object when it holds no Error, and never changes the caller's objects.
 */
export function serializeErrors<T>(value: T, depth = 0): T {
  if (isError(value)) return serializeError(value) as T;
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => serializeErrors(item, depth + 1));
    return (items.some((item, i) => item !== value[i]) ? items : value) as T;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  // Plain records only: class instances (a Buffer, a URL, a Date) are left to pino as they are.
  if (proto !== Object.prototype && proto !== null) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    const serialized = serializeErrors(field, depth + 1);
    if (serialized !== field) (copy ??= { ...(value as Record<string, unknown>) })[key] = serialized;
  }
  return (copy ?? value) as T;
}

/** The process's JSON logger (pino), secrets and personal data redacted. */
export function createLogger(opts: {
  level: string;
  name?: string;
  destination?: pino.DestinationStream;
  /**
   * Human-readable, colourised lines (pino-pretty, in a worker thread as a pino transport) instead
   * of JSON lines: for a person at a terminal (`LOG_PRETTY=true`), not for log collectors. Ignored
   * when `destination` is given. Default false.
   */
  pretty?: boolean;
}): Logger {
  return pino(
    {
      name: opts.name ?? 'campaign-sync',
      level: opts.level,
      redact: { paths: REDACTED_PATHS, censor: CENSOR },
      base: { pid: process.pid },
      // Runs before pino's serializers and redaction, so the redacted paths apply to what it returns.
      formatters: { log: (record) => serializeErrors(record) },
      // `logger.error(err)` puts the error under `err`; it is serialized above already.
      serializers: { err: serializeError },
    },
    opts.destination ?? (opts.pretty ? prettyTransport() : undefined),
  );
}

function prettyTransport(): pino.DestinationStream {
  return pino.transport<Record<string, unknown>>({
    target: 'pino-pretty',
    options: {
      destination: 1,
      colorize: Boolean(process.stdout.isTTY),
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,name',
    },
  });
}

/** An email with its local part hidden (`j***@example.com`), for the few places one must be shown. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}***${email.slice(at)}`;
}
