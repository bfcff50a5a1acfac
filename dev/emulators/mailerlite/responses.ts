import { IMPORT_RATE_LIMITED_MESSAGE, notFoundMessage } from './facts';
import type { LimitDecision } from './rate-limiter';
import type { ApiResponse, RouteMatch } from './router';

/** Malformed or empty JSON reaches Laravel's validator as an empty input, so it is treated as `{}`. */
export function parseJson(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return {};
  }
}

function methodNotAllowed(method: string, path: string, allowed: string[]): ApiResponse {
  // Laravel lists HEAD wherever GET is allowed.
  const methods = allowed.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m]));
  const message = `The ${method} method is not supported for route ${path}. Supported methods: ${methods.join(', ')}.`;
  return { status: 405, body: { message } };
}

/** Laravel's answer when no route matches the path (404) or none accepts the method (405). */
export function unmatched(
  method: string,
  path: string,
  match: Exclude<RouteMatch, { kind: 'matched' }>,
): ApiResponse {
  return match.kind === 'not_found'
    ? { status: 404, body: { message: notFoundMessage.route(path) } }
    : methodNotAllowed(method, path, match.allowed);
}

/** The import limit's refusal; the general limit's headers are added by the server as for any request. */
export function importRateLimited(decision: LimitDecision): ApiResponse {
  return {
    status: 429,
    body: { message: IMPORT_RATE_LIMITED_MESSAGE },
    headers: { 'Retry-After': String(decision.retryAfterSeconds) },
  };
}
