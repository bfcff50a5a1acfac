import { createServer } from 'node:http';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

import { FaultInjector } from '../shared/faults';
import type { FaultSettings } from '../shared/faults';
import { BodyTooLargeError, jsonReply, listen, readBody, sendEmpty, sendJson } from '../shared/http';
import type { Reply } from '../shared/http';
import type { EmulatorHandle } from '../types';
import { adminStateJson } from './admin';
import { mailerLiteFaultProfile } from './fault-profile';
import {
  DEFAULT_IMPORT_LIMIT_PER_MINUTE,
  DEFAULT_MAX_GROUPS,
  DEFAULT_MAX_LIST_LIMIT,
  DEFAULT_RATE_LIMIT_PER_MINUTE,
  RATE_LIMIT_WINDOW_MS,
  TOO_MANY_ATTEMPTS_MESSAGE,
  UNAUTHENTICATED_MESSAGE,
  notFoundMessage,
} from './facts';
import { createBatchHandler } from './handlers/batch';
import { createImportSubscribersHandler } from './handlers/imports';
import { FixedWindowLimiter } from './rate-limiter';
import { parseJson, unmatched } from './responses';
import { Router, isWrite } from './router';
import type { ApiResponse, HandlerContext } from './router';
import { BATCH_PATTERN, apiRoutes } from './routes';
import { MailerLiteState } from './state';
import { MailerLiteStats } from './stats';

export interface MailerLiteEmulatorOptions {
  /** The only token accepted in `Authorization: Bearer <token>`. */
  apiToken: string;
  /** Default `127.0.0.1`. */
  host?: string;
  /** Default 0: a random free port. */
  port?: number;
  /** API requests allowed per 60 s window (a batch counts as one). Default 120, the real limit; 0 = unlimited. */
  rateLimitPerMinute?: number;
  /** Imports (group imports, and batches made only of `POST api/subscribers`) per 60 s window. Default 5; 0 = unlimited. */
  importLimitPerMinute?: number;
  /** Largest `limit` of cursor lists; a larger one answers 422 on `limit`. Default 1000 (*unconfirmed*, see facts.ts). */
  maxListLimit?: number;
  /** Most groups the account holds; creating one more answers 422. Default 1000, MailerLite's limit. */
  maxGroups?: number;
  /** Clock in milliseconds for rate-limit windows and timestamps; tests inject one to cross a window. Default `Date.now`. */
  now?: () => number;
  /**
   * Faults active from the start, as `PUT /_admin/faults` takes them. Default none.
   * @throws FaultSettingsError (the promise rejects) when they cannot be used.
   */
  faults?: FaultSettings;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
  return value;
}

function toReply(response: ApiResponse, headers: OutgoingHttpHeaders): Reply {
  const all = { ...headers, ...response.headers };
  return response.body === undefined
    ? { status: response.status, headers: all }
    : jsonReply(response.status, response.body, all, response.indent);
}

/** Starts the MailerLite API emulator with an empty account (default fields only). */
export async function startMailerLiteEmulator(opts: MailerLiteEmulatorOptions): Promise<EmulatorHandle> {
  const now = opts.now ?? Date.now;
  const rateLimit = nonNegativeInteger(
    'rateLimitPerMinute',
    opts.rateLimitPerMinute ?? DEFAULT_RATE_LIMIT_PER_MINUTE,
  );
  const importLimit = nonNegativeInteger(
    'importLimitPerMinute',
    opts.importLimitPerMinute ?? DEFAULT_IMPORT_LIMIT_PER_MINUTE,
  );
  const state = new MailerLiteState(now);
  const stats = new MailerLiteStats();
  const faults = new FaultInjector(
    mailerLiteFaultProfile({ rateLimit: rateLimit || DEFAULT_RATE_LIMIT_PER_MINUTE, now }),
    { initial: opts.faults, stats: stats.faults },
  );
  const limiter = rateLimit > 0 ? new FixedWindowLimiter(rateLimit, RATE_LIMIT_WINDOW_MS, now) : null;
  const importLimiter =
    importLimit > 0 ? new FixedWindowLimiter(importLimit, RATE_LIMIT_WINDOW_MS, now) : null;
  const attemptImport = () => importLimiter?.attempt(opts.apiToken) ?? null;
  const maxListLimit = nonNegativeInteger('maxListLimit', opts.maxListLimit ?? DEFAULT_MAX_LIST_LIMIT);
  if (maxListLimit < 1) throw new RangeError('maxListLimit must be at least 1');
  const limits = {
    maxListLimit,
    maxGroups: nonNegativeInteger('maxGroups', opts.maxGroups ?? DEFAULT_MAX_GROUPS),
  };
  const ctx: HandlerContext = { state, baseUrl: '', limits };

  const execute = (method: string, path: string, body: unknown): ApiResponse => {
    const url = new URL(`/${path.replace(/^\/+/, '')}`, 'http://emulator.local');
    const match = router.match(method, url.pathname);
    const pathForMessage = url.pathname.slice(1);
    if (match.kind !== 'matched' || match.route.pattern === BATCH_PATTERN) {
      // A batch inside a batch is not supported; it is answered as an unknown route (*unconfirmed*).
      const response =
        match.kind === 'matched'
          ? { status: 404, body: { message: notFoundMessage.route(pathForMessage) } }
          : unmatched(method, pathForMessage, match);
      stats.batchItems.record(`${method} unmatched`, response.status);
      return response;
    }
    const label = `${method} ${match.route.pattern}`;
    const response = match.route.handler(
      { method, params: match.params, query: url.searchParams, body },
      ctx,
    );
    stats.batchItems.record(label, response.status);
    if (isWrite(method) && response.status < 300) stats.recordWrite(label);
    return response;
  };

  const batch = createBatchHandler({ execute, attemptImport, stats });
  const importSubscribers = createImportSubscribersHandler({ attemptImport, stats });
  const router = new Router(apiRoutes({ batch, importSubscribers }));

  const serveAdmin = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    if (await faults.serveAdmin(req, res, path)) return;
    if (req.method === 'GET' && path === '/_admin/state') sendJson(res, 200, adminStateJson(state));
    else if (req.method === 'GET' && path === '/_admin/stats') sendJson(res, 200, stats.toJSON());
    else if (req.method === 'POST' && path === '/_admin/reset') {
      state.reset();
      stats.reset();
      limiter?.reset();
      importLimiter?.reset();
      // The fault settings stay; their sequence starts over, so each test meets the same faults.
      faults.restart();
      sendEmpty(res, 204);
    } else sendJson(res, 404, { message: notFoundMessage.route(path.slice(1)) });
  };

  const handleApi = async (req: IncomingMessage, url: URL): Promise<Reply> => {
    const method = req.method ?? 'GET';
    const body = parseJson(await readBody(req));
    const match = router.match(method, url.pathname);
    if (match.kind !== 'matched') {
      const response = unmatched(method, url.pathname.slice(1), match);
      stats.requests.record(`${method} unmatched`, response.status);
      return toReply(response, {});
    }
    const label = `${method} ${match.route.pattern}`;
    const [scheme, token] = (req.headers.authorization ?? '').trim().split(/\s+/, 2);
    if (scheme?.toLowerCase() !== 'bearer' || token !== opts.apiToken) {
      stats.requests.record(label, 401);
      return toReply({ status: 401, body: { message: UNAUTHENTICATED_MESSAGE } }, {});
    }
    const decision = limiter?.attempt(opts.apiToken);
    const headers: OutgoingHttpHeaders = decision
      ? { 'X-RateLimit-Limit': String(decision.limit), 'X-RateLimit-Remaining': String(decision.remaining) }
      : {};
    if (decision && !decision.allowed) {
      stats.rateLimited += 1;
      stats.requests.record(label, 429);
      const resetAt = Math.ceil(now() / 1000) + decision.retryAfterSeconds;
      return toReply(
        { status: 429, body: { message: TOO_MANY_ATTEMPTS_MESSAGE } },
        {
          ...headers,
          'Retry-After': String(decision.retryAfterSeconds),
          'X-RateLimit-Reset': String(resetAt),
        },
      );
    }
    const response = match.route.handler(
      { method, params: match.params, query: url.searchParams, body },
      ctx,
    );
    // A batch's own writes are counted item by item in `execute`.
    if (isWrite(method) && response.status < 300 && match.route.pattern !== BATCH_PATTERN) {
      stats.recordWrite(label);
    }
    stats.requests.record(label, response.status);
    return toReply(response, headers);
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://emulator.local');
    // Admin requests are never faulted; API requests meet their fault (if any) before auth and throttling.
    const work = url.pathname.startsWith('/_admin/')
      ? serveAdmin(req, res, url.pathname)
      : faults.serve(req, res, () => handleApi(req, url));
    work.catch((err: unknown) => {
      if (res.headersSent || res.destroyed) {
        res.destroy();
        return;
      }
      const status = err instanceof BodyTooLargeError ? 413 : 500;
      sendJson(res, status, { message: err instanceof Error ? err.message : String(err) });
    });
  });
  const handle = await listen(server, opts.host ?? '127.0.0.1', opts.port ?? 0);
  ctx.baseUrl = handle.url;
  return handle;
}
