import { STATUS_CODES } from 'node:http';
import { types } from 'node:util';
import { Pool } from 'undici';
import type { z } from 'zod';
import {
  ProviderAuthError,
  ProviderNotFoundError,
  ProviderRateLimitError,
  ProviderRequestError,
  ProviderTransientError,
  type ProviderName,
} from '../shared/errors';

/** One finished request, for metrics: `endpoint` is a route pattern, never a URL with IDs or secrets. */
export interface RequestObservation {
  provider: ProviderName;
  method: string;
  endpoint: string;
  /** HTTP status, or `error` when no response arrived. */
  status: number | 'error';
  durationMs: number;
}

export interface HttpClientOptions {
  provider: ProviderName;
  baseUrl: string;
  /** Per-request timeout in milliseconds. */
  timeoutMs: number;
  /** Headers sent with every request (e.g. Authorization). Never logged. */
  headers?: Record<string, string>;
  /** Query parameters sent with every request (EDD's key/token). Never logged. */
  query?: Record<string, string>;
  /**
   * Longest `Retry-After` the client waits out in place (then retries once more) before it throws
   * {@link ProviderRateLimitError}. 0 = never wait, always throw.
   */
  rateLimitMaxWaitMs?: number;
  /**
   * Extra tries of a GET that failed transiently (5xx, reset, timeout, malformed body), after
   * 100 ms, 400 ms, ... Default 0. Worth it where one activity makes many reads (EDD's customer
   * look-ups); not for MailerLite, where every request must go through the rate-limited queue.
   */
  getRetries?: number;
  /** Called after each request with its route pattern, status and duration. */
  observe?: (observation: RequestObservation) => void;
  /**
   * How long a pooled connection may sit idle before the client closes it. Default 4 s, under the
   * 5 s after which Node servers (and many proxies) close idle keep-alive connections: a request
   * sent on a connection the server is closing at that moment fails with a reset, and for a POST
   * the client cannot know whether it arrived.
   */
  idleSocketMs?: number;
  /** Turns the provider's error body into a message (defaults to `message` or `error`). */
  errorMessage?: (body: unknown) => string | undefined;
}

export interface RequestOptions {
  /** Route pattern for metrics and errors, e.g. `/subscribers/{id}`. Defaults to the path. */
  endpoint?: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
}

/** Response headers, looked up case-insensitively (a `Headers` object is one). */
export interface HeaderLookup {
  get(name: string): string | null;
}

export interface HttpResponse<T = unknown> {
  status: number;
  body: T;
  headers: HeaderLookup;
}

/** What came back from the wire: status, headers and the whole body as text. */
interface RawResponse {
  status: number;
  statusText: string;
  headers: HeaderLookup;
  text: string;
}

/** Why a request got no complete answer. */
class WireError extends Error {
  constructor(
    readonly kind: 'timeout' | 'network' | 'cut-off',
    readonly underlying: unknown,
    readonly status?: number,
  ) {
    super(kind);
  }
}

const DEFAULT_RETRY_AFTER_MS = 60_000;
const DEFAULT_IDLE_SOCKET_MS = 4_000;

/**
 * The one HTTP layer both providers use: undici's connection pool (keep-alive, far cheaper per
 * request than a connection each, which matters at 10,000 look-ups a page run) and a timeout per
 * request, JSON in and out, and every failure turned into a typed error the activities (and
 * Temporal's retry policy) act on. Secrets live in headers or query parameters and are never put
 * into an error message.
 */
export class HttpClient {
  private readonly base: string;
  private readonly pool: Pool;

  constructor(private readonly options: HttpClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    const idle = options.idleSocketMs ?? DEFAULT_IDLE_SOCKET_MS;
    // A server's `Keep-Alive: timeout=5` hint would lengthen undici's idle limit to 5 s less its
    // threshold; the max caps it at ours, whatever the server says.
    this.pool = new Pool(new URL(this.base).origin, {
      connections: 64,
      keepAliveTimeout: idle,
      keepAliveMaxTimeout: idle,
    });
  }

  /** Closes the pooled connections (a process that ends need not call it). */
  close(): void {
    void this.pool.destroy();
  }

  /**
   * The cause a network failure is reported with: a new Error with Node's text and code, not Node's
   * own error (which keeps the request, and so the URL with EDD's key and token, within reach).
   * The text is a socket's (syscall, code, address), never a URL; any secret the client sends is
   * blanked from it all the same.
   */
  private networkCause(underlying: unknown): Error & { code?: string } {
    const { text, code } = describeNetworkError(underlying);
    const secrets = [
      ...Object.values(this.options.query ?? {}),
      ...Object.values(this.options.headers ?? {}).flatMap((v) => [v, v.split(' ').pop() ?? v]),
    ].filter((v) => v.length >= 6);
    return Object.assign(new Error(redact(text, secrets)), code ? { code } : {});
  }

  async request<T = unknown>(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<HttpResponse<T>> {
    const endpoint = opts.endpoint ?? path;
    let waitedMs = 0;
    let transientFailures = 0;
    for (;;) {
      try {
        return await this.once<T>(method, path, endpoint, opts);
      } catch (err) {
        if (
          err instanceof ProviderTransientError &&
          method === 'GET' &&
          transientFailures < (this.options.getRetries ?? 0)
        ) {
          await delay(100 * 4 ** transientFailures++);
          continue;
        }
        const maxWait = this.options.rateLimitMaxWaitMs ?? 0;
        if (err instanceof ProviderRateLimitError && waitedMs + err.retryAfterMs <= maxWait) {
          // Waiting out a short Retry-After here keeps the activity's progress; a long one is left
          // to Temporal's retry (the activity sets nextRetryDelay from it).
          await delay(err.retryAfterMs);
          waitedMs += err.retryAfterMs;
          continue;
        }
        throw err;
      }
    }
  }

  private async once<T>(
    method: string,
    path: string,
    endpoint: string,
    opts: RequestOptions,
  ): Promise<HttpResponse<T>> {
    const { provider } = this.options;
    const url = new URL(this.base + path);
    for (const [k, v] of Object.entries(opts.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    for (const [k, v] of Object.entries(this.options.query ?? {})) url.searchParams.set(k, v);
    const what = `${provider} ${method} ${endpoint}`;
    const started = performance.now();
    let status: number | 'error' = 'error';
    try {
      let response: RawResponse;
      try {
        response = await this.send(
          method,
          url,
          {
            Accept: 'application/json',
            ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}),
            ...this.options.headers,
          },
          opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
        );
      } catch (err) {
        if (!(err instanceof WireError)) throw err;
        if (err.kind === 'cut-off') {
          status = err.status ?? 'error';
          throw new ProviderTransientError(provider, `${what}: response body was cut off`, err.status, {
            cause: this.networkCause(err.underlying),
          });
        }
        // `edd GET /products: connect ECONNREFUSED 127.0.0.1:9`: what failed, how and where.
        const cause = this.networkCause(err.underlying);
        const reason =
          err.kind === 'timeout' ? ` timed out after ${this.options.timeoutMs} ms` : `: ${cause.message}`;
        throw new ProviderTransientError(provider, `${what}${reason}`, undefined, { cause });
      }
      status = response.status;
      const text = response.text;
      let body: unknown = undefined;
      if (text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          throw new ProviderTransientError(
            provider,
            `${what}: HTTP ${response.status} with a body that is not JSON`,
            response.status,
          );
        }
      }
      if (response.status >= 200 && response.status < 300)
        return { status: response.status, body: body as T, headers: response.headers };
      throw this.toError(what, response, body);
    } finally {
      this.options.observe?.({ provider, method, endpoint, status, durationMs: performance.now() - started });
    }
  }

  /** One request on the pooled connections; the timeout covers the whole exchange, body included. */
  private async send(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<RawResponse> {
    const deadline = new AbortController();
    const timedOut = new Error('ETIMEDOUT');
    // Its own timer, not AbortSignal.timeout: see abortAfter in src/client/sync-watch.ts.
    const timer = setTimeout(() => deadline.abort(timedOut), this.options.timeoutMs);
    let status: number | undefined;
    try {
      const res = await this.pool.request({
        method,
        path: url.pathname + url.search,
        headers,
        body,
        signal: deadline.signal,
      });
      status = res.statusCode;
      const text = await res.body.text();
      const raw = res.headers;
      return {
        status,
        statusText: STATUS_CODES[status] ?? '',
        headers: {
          get: (name) => {
            const value = raw[name.toLowerCase()];
            return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
          },
        },
        text,
      };
    } catch (cause) {
      if (deadline.signal.aborted) throw new WireError('timeout', timedOut, status);
      throw status === undefined ? new WireError('network', cause) : new WireError('cut-off', cause, status);
    } finally {
      clearTimeout(timer);
    }
  }

  private toError(what: string, response: RawResponse, body: unknown): Error {
    const { provider } = this.options;
    const detail = (this.options.errorMessage ?? defaultErrorMessage)(body) ?? response.statusText;
    const message = `${what}: HTTP ${response.status} ${detail}`;
    const s = response.status;
    if (s === 401 || s === 403) return new ProviderAuthError(provider, s, message);
    if (s === 404) return new ProviderNotFoundError(provider, message);
    if (s === 429) return new ProviderRateLimitError(provider, message, retryAfterMs(response.headers));
    if (s === 408 || s >= 500) return new ProviderTransientError(provider, message, s);
    return new ProviderRequestError(provider, s, message, fieldErrors(body));
  }
}

function defaultErrorMessage(body: unknown): string | undefined {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (typeof b.message === 'string') return b.message;
    if (typeof b.error === 'string') return b.error;
  }
  return undefined;
}

function fieldErrors(body: unknown): Record<string, string[]> {
  if (!body || typeof body !== 'object') return {};
  const errors = (body as { errors?: unknown }).errors;
  if (!errors || typeof errors !== 'object') return {};
  const out: Record<string, string[]> = {};
  for (const [field, messages] of Object.entries(errors as Record<string, unknown>)) {
    out[field] = Array.isArray(messages) ? messages.map(String) : [String(messages)];
  }
  return out;
}

/** `Retry-After` in seconds or as an HTTP date; 60 s when absent or unreadable. */
export function retryAfterMs(headers: HeaderLookup, now: number = Date.now()): number {
  const value = headers.get('retry-after');
  if (!value) return DEFAULT_RETRY_AFTER_MS;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? DEFAULT_RETRY_AFTER_MS : Math.max(0, date - now);
}

/**
 * A network error's text as Node gives it (`connect ECONNREFUSED 127.0.0.1:9`, `getaddrinfo
 * ENOTFOUND shop.example.com`), with its code when the text lacks it (`ECONNRESET: socket hang
 * up`). Connecting to a name with several addresses fails with an AggregateError whose own message
 * is empty: its errors' texts are joined.
 */
function describeNetworkError(cause: unknown): { text: string; code?: string } {
  const inner = isError(cause) && isError(cause.cause) ? cause.cause : cause;
  if (!isError(inner)) return { text: String(inner) };
  const code = (inner as { code?: unknown }).code;
  let text = inner.message;
  const errors = (inner as { errors?: unknown }).errors;
  if (!text && Array.isArray(errors)) {
    text = [...new Set(errors.map((e) => (isError(e) ? e.message : String(e))))].join(', ');
  }
  if (typeof code !== 'string') return { text: text || inner.name };
  return { text: !text ? code : text.includes(code) ? text : `${code}: ${text}`, code };
}

/** Node's own errors, of whichever realm they were made in (a test runner's sandbox is another). */
function isError(value: unknown): value is Error {
  return value instanceof Error || types.isNativeError(value);
}

/** Replaces every occurrence of `secrets` in `text`. */
function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((out, secret) => out.split(secret).join('[redacted]'), text);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Checks a response body against the shape the client relies on. A mismatch is reported as
 * transient (a proxy's error page or a cut-off body looks the same) and the retry policy's
 * attempt limit bounds it; the message names the first field that did not match.
 */
export function parseResponse<S extends z.ZodType>(
  provider: ProviderName,
  what: string,
  schema: S,
  value: unknown,
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
  throw new ProviderTransientError(
    provider,
    `${provider} ${what}: unexpected response${where}: ${issue?.message ?? ''}`,
  );
}
