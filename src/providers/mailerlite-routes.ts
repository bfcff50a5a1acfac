/**
 * Every MailerLite route the client calls, written once. A route's pattern names it in metrics,
 * in error messages and in the check of its answer; its path fills the pattern's `{names}` in,
 * URL-encoded; and a request inside a `POST /batch` takes the same path under `api/`.
 *
 * The emulator (dev/emulators/mailerlite/routes.ts) keeps its own table on purpose: it stands for
 * the real service, so a route the client got wrong must not be served there just because the
 * client asked for it.
 */

/** The names in a pattern's braces: `'id' | 'groupId'` for `/subscribers/{id}/groups/{groupId}`. */
export type RouteParams<P extends string> = P extends `${string}{${infer K}}${infer Rest}`
  ? K | RouteParams<Rest>
  : never;

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Route<P extends string = string> {
  readonly pattern: P;
  /** The path with every `{name}` filled in: `/subscribers/a%40b.example`. */
  path(params: Record<RouteParams<P>, string>): string;
}

export function route<P extends string>(pattern: P): Route<P> {
  return {
    pattern,
    path: (params) =>
      pattern.replace(/\{(\w+)\}/g, (_, name: string) => {
        const value = (params as Record<string, string | undefined>)[name];
        if (value === undefined) throw new TypeError(`route ${pattern} needs a value for {${name}}`);
        return encodeURIComponent(value);
      }),
  };
}

export const ML_ROUTES = {
  subscribers: route('/subscribers'),
  subscriber: route('/subscribers/{id}'),
  subscriberGroup: route('/subscribers/{id}/groups/{groupId}'),
  importProgress: route('/subscribers/import/{id}'),
  groups: route('/groups'),
  group: route('/groups/{id}'),
  groupSubscribers: route('/groups/{id}/subscribers'),
  // The official Go SDK's path (the Python SDK's is `/groups/{id}/subscribers/import`).
  groupImport: route('/groups/{id}/import-subscribers'),
  fields: route('/fields'),
  field: route('/fields/{id}'),
  batch: route('/batch'),
} as const;

/** One request inside a batch: `path` is relative and starts with `api/`. */
export interface BatchRequest {
  method: HttpMethod;
  path: string;
  body?: Record<string, unknown>;
}

/** A request for `POST /batch`: `batchRequest('GET', ML_ROUTES.subscriber, { id: email })`. */
export function batchRequest<P extends string>(
  method: HttpMethod,
  target: Route<P>,
  params: Record<RouteParams<P>, string>,
  body?: Record<string, unknown>,
): BatchRequest {
  const path = `api${target.path(params)}`;
  return body === undefined ? { method, path } : { method, path, body };
}
