import type { MailerLiteState } from './state';

/** One API call, whether it came over HTTP or inside a batch. */
export interface ApiRequest {
  method: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
}

export interface ApiResponse {
  status: number;
  /** Omitted for 204. */
  body?: unknown;
  /** Pretty-printing indent; Laravel's exception handler pretty-prints its 404s. */
  indent?: number;
  headers?: Record<string, string>;
}

/** The account's limits, as the emulator was started with them. */
export interface AccountLimits {
  /** Largest `limit` of cursor lists; above it a 422 (`DEFAULT_MAX_LIST_LIMIT` in facts.ts). */
  maxListLimit: number;
  /** Most groups the account holds; creating one more is refused (`DEFAULT_MAX_GROUPS`). */
  maxGroups: number;
}

export interface HandlerContext {
  state: MailerLiteState;
  /** Base URL of the emulator, used in pagination links (`<baseUrl>/api/...`). */
  baseUrl: string;
  limits: AccountLimits;
}

export type Handler = (req: ApiRequest, ctx: HandlerContext) => ApiResponse;

export interface RouteDefinition {
  method: string;
  /** e.g. `/api/subscribers/{id}`; also the label in `/_admin/stats`. */
  pattern: string;
  handler: Handler;
}

export type RouteMatch =
  | { kind: 'matched'; route: RouteDefinition; params: Record<string, string> }
  | { kind: 'not_found' }
  | { kind: 'method_not_allowed'; allowed: string[] };

interface CompiledRoute {
  route: RouteDefinition;
  regex: RegExp;
  names: string[];
}

/** Matches method + path against a fixed table of routes, the way Laravel's router answers 404 and 405. */
export class Router {
  private readonly compiled: CompiledRoute[];

  constructor(routes: RouteDefinition[]) {
    this.compiled = routes.map((route) => {
      const names: string[] = [];
      const source = route.pattern.replace(/\{(\w+)\}/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      return { route, regex: new RegExp(`^${source}/?$`), names };
    });
  }

  match(method: string, path: string): RouteMatch {
    const allowed: string[] = [];
    for (const { route, regex, names } of this.compiled) {
      const m = regex.exec(path);
      if (!m) continue;
      if (route.method !== method) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      names.forEach((name, i) => {
        params[name] = safeDecode(m[i + 1] ?? '');
      });
      return { kind: 'matched', route, params };
    }
    return allowed.length > 0 ? { kind: 'method_not_allowed', allowed } : { kind: 'not_found' };
  }
}

/** A malformed escape cannot name anything that exists; keep it raw so the lookup simply misses. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isWrite(method: string): boolean {
  return WRITE_METHODS.has(method);
}
