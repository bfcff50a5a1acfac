import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

import { jsonReply, readBody, sendReply } from './http';
import type { Reply } from './http';
import { Rng } from './prng';

/**
 * Fault injection shared by both emulators: an admin endpoint (`/_admin/faults`) sets what goes
 * wrong, and every API request passes through {@link FaultInjector.serve} first.
 *
 * The fate of a request is decided when it arrives, before it is handled, from its position in the
 * sequence of API requests and a seeded PRNG that is drawn exactly three times per request. So the
 * n-th request after a `PUT` (or a reset) always meets the same fault for the same settings,
 * whatever happened to earlier ones. A faulted request is not handled at all: no write is applied
 * and (MailerLite) no rate-limit budget is used. Real servers can fail after applying a write; that
 * case is opt-in, as `applyBeforeFailRate`.
 */

/** Statuses an injected server error is drawn from, uniformly. */
export const SERVER_ERROR_STATUSES = [500, 502, 503] as const;
export type ServerErrorStatus = (typeof SERVER_ERROR_STATUSES)[number];

/** Used when the settings give no `seed`, so the same settings always give the same faults. */
export const DEFAULT_FAULT_SEED = 1;
/** Upper bound of `latencyMs`, so a typo cannot hang a test run. */
export const MAX_LATENCY_MS = 120_000;
const MAX_RETRY_AFTER_SECONDS = 3600;
const MAX_SEED = 4_294_967_295;
/** Rates may sum to 1; floating-point sums such as 0.1 + 0.2 + 0.7 overshoot by a hair. */
const RATE_SUM_TOLERANCE = 1e-9;

export interface RateLimitBursts {
  /** Cycle length in API requests, at least 1. */
  every: number;
  /** The last `length` requests of each cycle answer 429 (1 ≤ length ≤ every). */
  length: number;
  /** `Retry-After` on those answers, in whole seconds. Default 1. */
  retryAfterSeconds?: number;
}

/** A fixed delay, or one drawn uniformly from `min..max` (inclusive) per request. */
export type LatencySetting = number | { min: number; max: number };

/**
 * A targeted fault: requests matching `method` and `path` are let through `after` times, then
 * answered `status` (without being handled) `times` times, or for good when `times` is absent.
 */
export interface RouteFault {
  /** HTTP method to match, any case. Default: any method. */
  method?: string;
  /**
   * Path to match (the query is ignored): exact, or with `{name}` segments each matching one
   * segment, e.g. `/api/groups/{id}`.
   */
  path: string;
  /** The answer's status, 400..599. 500, 502, 503 and 429 look like the provider's; others are `{message}` JSON. */
  status: number;
  /** Matching requests let through first. Default 0. */
  after?: number;
  /** Matching requests then failed. Default: all of them. */
  times?: number;
  /** `message` of a JSON answer (not of 500/502/503/429). Default `Injected fault (routeFaults[i]).` */
  message?: string;
}

/** A route fault with its defaults filled in (`method`/`times` null = any / forever). */
export interface ActiveRouteFault {
  method: string | null;
  path: string;
  status: number;
  after: number;
  times: number | null;
  message: string | null;
}

/** What `PUT /_admin/faults` and the emulators' `faults` option accept. Every field is optional. */
export interface FaultSettings {
  /** Share (0..1) of API requests answered 500, 502 or 503 without being handled. Default 0. */
  errorRate?: number;
  /** Deterministic bursts of 429 at fixed positions. Default none. */
  rateLimitBursts?: RateLimitBursts;
  /** Delay before a request is handled or faulted, in ms (at most {@link MAX_LATENCY_MS}). Default 0. */
  latencyMs?: LatencySetting;
  /** Share (0..1) of API requests whose connection is reset (TCP RST) without an answer. Default 0. */
  resetRate?: number;
  /** Share (0..1) of API requests answered 200 with a truncated JSON body, not handled. Default 0. */
  malformedRate?: number;
  /** Share (0..1) of API requests that are handled (writes applied) and then answered 500. Default 0. */
  applyBeforeFailRate?: number;
  /** PRNG seed, an integer 0..2^32−1. Default {@link DEFAULT_FAULT_SEED}. */
  seed?: number;
  /** Targeted faults, decided before all the others (at most {@link MAX_ROUTE_FAULTS}). Default none. */
  routeFaults?: RouteFault[];
}

/** The settings with every default filled in: what `GET /_admin/faults` returns. */
export interface ActiveFaults {
  errorRate: number;
  rateLimitBursts: Required<RateLimitBursts> | null;
  latencyMs: LatencySetting;
  resetRate: number;
  malformedRate: number;
  applyBeforeFailRate: number;
  seed: number;
  routeFaults: ActiveRouteFault[];
}

const SETTING_KEYS = [
  'errorRate',
  'rateLimitBursts',
  'latencyMs',
  'resetRate',
  'malformedRate',
  'applyBeforeFailRate',
  'seed',
  'routeFaults',
] as const;
const ROUTE_FAULT_KEYS = ['method', 'path', 'status', 'after', 'times', 'message'] as const;
/** Most route faults one setting may hold. */
export const MAX_ROUTE_FAULTS = 50;
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const RATE_KEYS = ['resetRate', 'errorRate', 'malformedRate', 'applyBeforeFailRate'] as const;

/** Fault settings that cannot be used; `errors` names each offending field. */
export class FaultSettingsError extends Error {
  constructor(readonly errors: Record<string, string[]>) {
    super(
      `invalid fault settings: ${Object.entries(errors)
        .map(([field, messages]) => `${field}: ${messages.join(' ')}`)
        .join('; ')}`,
    );
    this.name = 'FaultSettingsError';
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isFiniteNumber = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value);
const isIntegerIn = (value: unknown, min: number, max: number): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;

function parseLatency(value: unknown, add: (field: string, message: string) => void): LatencySetting {
  const range = `an integer from 0 to ${MAX_LATENCY_MS}`;
  if (typeof value === 'number') {
    if (isIntegerIn(value, 0, MAX_LATENCY_MS)) return value;
    add('latencyMs', `must be ${range}, or { "min": ms, "max": ms }.`);
    return 0;
  }
  if (!isObject(value)) {
    add('latencyMs', `must be ${range}, or { "min": ms, "max": ms }.`);
    return 0;
  }
  for (const key of Object.keys(value)) {
    if (key !== 'min' && key !== 'max') add(`latencyMs.${key}`, 'is not a setting.');
  }
  const { min, max } = value;
  if (!isIntegerIn(min, 0, MAX_LATENCY_MS)) add('latencyMs.min', `must be ${range}.`);
  if (!isIntegerIn(max, 0, MAX_LATENCY_MS)) add('latencyMs.max', `must be ${range}.`);
  else if (isIntegerIn(min, 0, MAX_LATENCY_MS) && max < min) add('latencyMs.max', 'must not be below min.');
  return isIntegerIn(min, 0, MAX_LATENCY_MS) && isIntegerIn(max, min, MAX_LATENCY_MS) ? { min, max } : 0;
}

function parseBursts(
  value: unknown,
  add: (field: string, message: string) => void,
): Required<RateLimitBursts> | null {
  if (!isObject(value)) {
    add('rateLimitBursts', 'must be an object { "every": n, "length": n, "retryAfterSeconds"?: s }.');
    return null;
  }
  for (const key of Object.keys(value)) {
    if (!['every', 'length', 'retryAfterSeconds'].includes(key)) {
      add(`rateLimitBursts.${key}`, 'is not a setting.');
    }
  }
  const { every, length, retryAfterSeconds = 1 } = value;
  const everyOk = isIntegerIn(every, 1, Number.MAX_SAFE_INTEGER);
  if (!everyOk) add('rateLimitBursts.every', 'must be a positive integer.');
  if (!isIntegerIn(length, 1, Number.MAX_SAFE_INTEGER)) {
    add('rateLimitBursts.length', 'must be a positive integer.');
  } else if (everyOk && length > every) {
    add('rateLimitBursts.length', 'must not exceed every.');
  }
  if (!isIntegerIn(retryAfterSeconds, 0, MAX_RETRY_AFTER_SECONDS)) {
    add('rateLimitBursts.retryAfterSeconds', `must be an integer from 0 to ${MAX_RETRY_AFTER_SECONDS}.`);
  }
  return everyOk &&
    isIntegerIn(length, 1, every) &&
    isIntegerIn(retryAfterSeconds, 0, MAX_RETRY_AFTER_SECONDS)
    ? { every, length, retryAfterSeconds }
    : null;
}

function parseRouteFaults(value: unknown, add: (field: string, message: string) => void): ActiveRouteFault[] {
  if (!Array.isArray(value)) {
    add('routeFaults', 'must be an array of { "method"?, "path", "status", "after"?, "times"? }.');
    return [];
  }
  if (value.length > MAX_ROUTE_FAULTS) add('routeFaults', `must hold at most ${MAX_ROUTE_FAULTS} faults.`);
  const parsed: ActiveRouteFault[] = [];
  value.slice(0, MAX_ROUTE_FAULTS).forEach((raw: unknown, i) => {
    const at = `routeFaults[${i}]`;
    if (!isObject(raw)) {
      add(at, 'must be an object { "method"?, "path", "status", "after"?, "times"?, "message"? }.');
      return;
    }
    let ok = true;
    const fail = (field: string, message: string): void => {
      ok = false;
      add(`${at}${field}`, message);
    };
    for (const key of Object.keys(raw)) {
      if (!(ROUTE_FAULT_KEYS as readonly string[]).includes(key)) {
        fail(`.${key}`, `is not a setting; known: ${ROUTE_FAULT_KEYS.join(', ')}.`);
      }
    }
    const { method, path, status, after = 0, times, message } = raw;
    const upper = typeof method === 'string' ? method.toUpperCase() : undefined;
    if (method !== undefined && !(HTTP_METHODS as readonly (string | undefined)[]).includes(upper)) {
      fail('.method', `must be one of ${HTTP_METHODS.join(', ')}.`);
    }
    if (typeof path !== 'string' || !path.startsWith('/') || /[?#\s]/.test(path)) {
      fail('.path', 'must be a path starting with / (no query), e.g. "/api/groups" or "/api/groups/{id}".');
    }
    if (!isIntegerIn(status, 400, 599))
      fail('.status', 'must be an HTTP error status, an integer from 400 to 599.');
    if (!isIntegerIn(after, 0, Number.MAX_SAFE_INTEGER)) fail('.after', 'must be an integer of 0 or more.');
    if (times !== undefined && !isIntegerIn(times, 1, Number.MAX_SAFE_INTEGER)) {
      fail('.times', 'must be a positive integer (leave it out to fail every matching request).');
    }
    if (message !== undefined && (typeof message !== 'string' || message.length > 500)) {
      fail('.message', 'must be a string of at most 500 characters.');
    }
    if (!ok) return;
    parsed.push({
      method: upper ?? null,
      path: normalizePath(path as string),
      status: status as number,
      after: after as number,
      times: (times as number | undefined) ?? null,
      message: (message as string | undefined) ?? null,
    });
  });
  return parsed;
}

/** Without a trailing slash (except the root), so `/api/groups/` matches `/api/groups`. */
function normalizePath(path: string): string {
  return path.length > 1 ? path.replace(/\/+$/, '') : path;
}

/** Whether a request path matches a route fault's path (`{name}` matches one segment). */
function pathMatches(pattern: string, path: string): boolean {
  const want = pattern.split('/');
  const got = normalizePath(path).split('/');
  return (
    want.length === got.length &&
    want.every((part, i) => (/^\{[^/{}]+\}$/.test(part) ? got[i] !== '' : part === got[i]))
  );
}

/**
 * Checks settings strictly: unknown keys, wrong types and out-of-range values are refused, naming
 * the field. Rates must sum to at most 1, because each request meets at most one fault.
 */
export function parseFaultSettings(raw: unknown): ActiveFaults {
  const errors: Record<string, string[]> = {};
  const add = (field: string, message: string): void => {
    (errors[field] ??= []).push(message);
  };
  if (!isObject(raw)) throw new FaultSettingsError({ body: ['must be a JSON object.'] });
  for (const key of Object.keys(raw)) {
    if (!(SETTING_KEYS as readonly string[]).includes(key)) {
      add(key, `is not a setting; known settings: ${SETTING_KEYS.join(', ')}.`);
    }
  }
  const active: ActiveFaults = {
    errorRate: 0,
    rateLimitBursts: null,
    latencyMs: 0,
    resetRate: 0,
    malformedRate: 0,
    applyBeforeFailRate: 0,
    seed: DEFAULT_FAULT_SEED,
    routeFaults: [],
  };
  for (const key of RATE_KEYS) {
    const value = raw[key];
    if (value === undefined) continue;
    if (isFiniteNumber(value) && value >= 0 && value <= 1) active[key] = value;
    else add(key, 'must be a number from 0 to 1.');
  }
  const sum = RATE_KEYS.reduce((total, key) => total + active[key], 0);
  if (sum > 1 + RATE_SUM_TOLERANCE) {
    const given = RATE_KEYS.filter((key) => active[key] > 0);
    add(given[given.length - 1]!, `${given.join(' + ')} must not exceed 1 (got ${sum}).`);
  }
  if (raw.rateLimitBursts !== undefined) active.rateLimitBursts = parseBursts(raw.rateLimitBursts, add);
  if (raw.latencyMs !== undefined) active.latencyMs = parseLatency(raw.latencyMs, add);
  if (raw.seed !== undefined) {
    if (isIntegerIn(raw.seed, 0, MAX_SEED)) active.seed = raw.seed;
    else add('seed', `must be an integer from 0 to ${MAX_SEED}.`);
  }
  if (raw.routeFaults !== undefined) active.routeFaults = parseRouteFaults(raw.routeFaults, add);
  if (Object.keys(errors).length > 0) throw new FaultSettingsError(errors);
  return active;
}

/** How a provider answers each kind of fault; every reply is complete (status, headers, body). */
export interface FaultProfile {
  serverError(status: ServerErrorStatus): Reply;
  rateLimited(retryAfterSeconds: number): Reply;
  /** A 200 whose body is JSON cut short. */
  malformed(): Reply;
}

export type FaultKind =
  'serverError' | 'rateLimitBurst' | 'reset' | 'malformed' | 'appliedThenFailed' | 'route';

export interface FaultDecision {
  /** 1-based position among API requests since the settings were last set or reset. */
  position: number;
  delayMs: number;
  /** null: handled normally. */
  kind: FaultKind | null;
  /** The status a server error answers with. */
  status: ServerErrorStatus;
}

const FAULT_KINDS: readonly FaultKind[] = [
  'serverError',
  'rateLimitBurst',
  'reset',
  'malformed',
  'appliedThenFailed',
  'route',
];

/** Injected faults, for `/_admin/stats`. */
export class FaultStats {
  private readonly byKind = new Map<FaultKind, number>();
  private readonly byStatus = new Map<number, number>();
  delayed = 0;

  record(kind: FaultKind, status: number | null): void {
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
    if (status !== null) this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
  }

  reset(): void {
    this.byKind.clear();
    this.byStatus.clear();
    this.delayed = 0;
  }

  /** `{ total, byKind: { serverError, rateLimitBurst, reset, malformed, appliedThenFailed, route }, byStatus, delayed }`. */
  toJSON(): unknown {
    const byKind = Object.fromEntries(FAULT_KINDS.map((k) => [k, this.byKind.get(k) ?? 0]));
    const total = [...this.byKind.values()].reduce((sum, n) => sum + n, 0);
    const byStatus = Object.fromEntries(
      [...this.byStatus].sort(([a], [b]) => a - b).map(([s, n]) => [String(s), n]),
    );
    return { total, byKind, byStatus, delayed: this.delayed };
  }
}

const NO_FAULTS: ActiveFaults = parseFaultSettings({});

/** Reads and drops a request body, so the answer does not race a client still sending. */
async function drain(req: IncomingMessage): Promise<void> {
  try {
    await readBody(req);
  } catch {
    // Too large or aborted: the fault is answered all the same.
  }
}

/** Decides and applies faults for one emulator. */
export class FaultInjector {
  /** Counts of injected faults; pass one in to report them with the emulator's other stats. */
  readonly stats: FaultStats;
  private active: ActiveFaults = NO_FAULTS;
  private rng = new Rng(DEFAULT_FAULT_SEED);
  private position = 0;
  /** Matching requests seen by each route fault since the settings were set or reset. */
  private routeSeen: number[] = [];

  /** @throws FaultSettingsError when `opts.initial` cannot be used. */
  constructor(
    private readonly profile: FaultProfile,
    opts: { initial?: FaultSettings; stats?: FaultStats } = {},
  ) {
    this.stats = opts.stats ?? new FaultStats();
    if (opts.initial) this.set(opts.initial);
  }

  get settings(): ActiveFaults {
    return this.active;
  }

  /** Replaces the settings (validated) and restarts the sequence from the seed. */
  set(raw: unknown): ActiveFaults {
    this.active = parseFaultSettings(raw);
    this.restart();
    return this.active;
  }

  clear(): void {
    this.active = NO_FAULTS;
    this.restart();
  }

  /** Back to the first position and the seed's first draw, keeping the settings (`POST /_admin/reset`). */
  restart(): void {
    this.rng = new Rng(this.active.seed);
    this.position = 0;
    this.routeSeen = this.active.routeFaults.map(() => 0);
  }

  private get inert(): boolean {
    const a = this.active;
    return (
      a.rateLimitBursts === null &&
      a.latencyMs === 0 &&
      a.routeFaults.length === 0 &&
      RATE_KEYS.every((key) => a[key] === 0)
    );
  }

  /**
   * The route fault that answers this request, if any. Every route fault matching the request
   * counts it; the first whose window (after its `after` requests, for `times` requests) holds it
   * answers. A request no route fault answers goes on to the other faults.
   */
  decideRoute(method: string, path: string): { fault: ActiveRouteFault; index: number } | null {
    let answer: { fault: ActiveRouteFault; index: number } | null = null;
    for (const [index, fault] of this.active.routeFaults.entries()) {
      if (fault.method !== null && fault.method !== method.toUpperCase()) continue;
      if (!pathMatches(fault.path, path)) continue;
      const seen = (this.routeSeen[index] = (this.routeSeen[index] ?? 0) + 1);
      const inWindow = seen > fault.after && (fault.times === null || seen <= fault.after + fault.times);
      answer ??= inWindow ? { fault, index } : null;
    }
    return answer;
  }

  private routeReply(fault: ActiveRouteFault, index: number): Reply {
    if (fault.status === 429) return this.profile.rateLimited(1);
    if ((SERVER_ERROR_STATUSES as readonly number[]).includes(fault.status)) {
      return this.profile.serverError(fault.status as ServerErrorStatus);
    }
    return jsonReply(fault.status, { message: fault.message ?? `Injected fault (routeFaults[${index}]).` });
  }

  /** The fate of the next API request. Draws exactly three numbers, whatever the outcome. */
  decide(): FaultDecision {
    const position = ++this.position;
    const kindDraw = this.rng.next();
    const statusDraw = this.rng.next();
    const latencyDraw = this.rng.next();
    const { latencyMs, rateLimitBursts: bursts } = this.active;
    const delayMs =
      typeof latencyMs === 'number'
        ? latencyMs
        : latencyMs.min + Math.floor(latencyDraw * (latencyMs.max - latencyMs.min + 1));
    const status = SERVER_ERROR_STATUSES[Math.floor(statusDraw * SERVER_ERROR_STATUSES.length)]!;
    let kind: FaultKind | null = null;
    if (bursts && (position - 1) % bursts.every >= bursts.every - bursts.length) {
      kind = 'rateLimitBurst';
    } else {
      // One draw, partitioned: each rate is exactly its share of requests.
      let edge = 0;
      const kinds: [number, FaultKind][] = [
        [this.active.resetRate, 'reset'],
        [this.active.errorRate, 'serverError'],
        [this.active.malformedRate, 'malformed'],
        [this.active.applyBeforeFailRate, 'appliedThenFailed'],
      ];
      for (const [rate, candidate] of kinds) {
        edge += rate;
        if (kindDraw < edge) {
          kind = candidate;
          break;
        }
      }
    }
    return { position, delayMs, kind, status };
  }

  /**
   * Serves one API request: decides its fate at once (arrival order), waits the latency, then
   * either answers with `handle()`'s reply or with the fault. `handle` is not called for a
   * faulted request, except `appliedThenFailed`, whose reply is discarded.
   */
  async serve(req: IncomingMessage, res: ServerResponse, handle: () => Promise<Reply>): Promise<void> {
    if (this.inert) {
      sendReply(res, await handle());
      return;
    }
    // Route faults come first; a request they answer takes no position in the sequence below.
    const route = this.decideRoute(
      req.method ?? 'GET',
      new URL(req.url ?? '/', 'http://emulator.local').pathname,
    );
    if (route) {
      this.stats.record('route', route.fault.status);
      await drain(req);
      sendReply(res, this.routeReply(route.fault, route.index));
      return;
    }
    const decision = this.decide();
    if (decision.delayMs > 0) {
      this.stats.delayed += 1;
      await sleep(decision.delayMs);
    }
    switch (decision.kind) {
      case null:
        sendReply(res, await handle());
        return;
      case 'appliedThenFailed':
        await handle();
        this.stats.record('appliedThenFailed', 500);
        sendReply(res, this.profile.serverError(500));
        return;
      case 'reset':
        this.stats.record('reset', null);
        await drain(req);
        // RST rather than FIN: the client sees ECONNRESET, as when a proxy or server dies mid-request.
        req.socket.resetAndDestroy();
        return;
      case 'serverError':
        this.stats.record('serverError', decision.status);
        await drain(req);
        sendReply(res, this.profile.serverError(decision.status));
        return;
      case 'rateLimitBurst': {
        this.stats.record('rateLimitBurst', 429);
        await drain(req);
        sendReply(res, this.profile.rateLimited(this.active.rateLimitBursts?.retryAfterSeconds ?? 1));
        return;
      }
      case 'malformed':
        this.stats.record('malformed', 200);
        await drain(req);
        sendReply(res, this.profile.malformed());
        return;
    }
  }

  /**
   * `/_admin/faults`: GET the active settings, PUT new ones (replacing all), DELETE to clear.
   * Answers and returns true for that path; returns false for any other.
   */
  async serveAdmin(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    if (path !== '/_admin/faults') return false;
    if (req.method === 'GET') {
      sendReply(res, jsonReply(200, this.active));
    } else if (req.method === 'DELETE') {
      this.clear();
      sendReply(res, { status: 204, headers: {} });
    } else if (req.method === 'PUT') {
      const text = await readBody(req);
      let raw: unknown;
      try {
        raw = JSON.parse(text) as unknown;
      } catch {
        sendReply(res, jsonReply(422, invalid({ body: ['must be a JSON object.'] })));
        return true;
      }
      try {
        sendReply(res, jsonReply(200, this.set(raw)));
      } catch (err) {
        if (!(err instanceof FaultSettingsError)) throw err;
        sendReply(res, jsonReply(422, invalid(err.errors)));
      }
    } else {
      sendReply(
        res,
        jsonReply(
          405,
          { message: `${req.method ?? ''} is not supported for /_admin/faults.` },
          { Allow: 'GET, PUT, DELETE' },
        ),
      );
    }
    return true;
  }
}

function invalid(errors: Record<string, string[]>): unknown {
  return { message: 'Invalid fault settings.', errors };
}
