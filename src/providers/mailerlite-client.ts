import { z } from 'zod';
import type { MailerLiteCredentials } from '../config';
import { ProviderNotFoundError, ProviderRequestError, ProviderTransientError } from '../shared/errors';
import type { ContractPage, ContractSubscriber, SubscriberDestination } from './contract';
import { HttpClient, parseResponse, type RequestObservation, type RequestOptions } from './http';
import {
  ML_ROUTES as R,
  type BatchRequest,
  type HttpMethod,
  type Route,
  type RouteParams,
} from './mailerlite-routes';

const idString = z.union([z.string(), z.number()]).transform(String);

const count = z.coerce.number().int().min(0).optional();

/**
 * A group; lists and look-ups carry its members' counts by status (`active_count`, ...), which the
 * sync uses to estimate what reading the group costs (absent in batch answers).
 */
export const MlGroupSchema = z.object({
  id: idString,
  name: z.string(),
  active_count: count,
  unsubscribed_count: count,
  unconfirmed_count: count,
  bounced_count: count,
  junk_count: count,
});
export type MlGroup = z.output<typeof MlGroupSchema>;

export const MlFieldSchema = z.object({ id: idString, name: z.string(), key: z.string(), type: z.string() });
export type MlField = z.output<typeof MlFieldSchema>;

export const MlSubscriberSchema = z.object({
  id: idString,
  email: z.string(),
  status: z.string(),
  fields: z
    .record(z.string(), z.unknown())
    .nullish()
    .transform((v) => v ?? {}),
  groups: z
    .array(MlGroupSchema)
    .nullish()
    .transform((v) => v ?? []),
});
export type MlSubscriber = z.output<typeof MlSubscriberSchema>;

export const MlImportSchema = z.object({
  id: idString,
  total: z.coerce.number(),
  processed: z.coerce.number(),
  imported: z.coerce.number(),
  updated: z.coerce.number(),
  errored: z.coerce.number(),
  done: z.boolean(),
});
export type MlImport = z.output<typeof MlImportSchema>;

/** MailerLite subscriber statuses. */
export const ML_STATUSES = ['active', 'unsubscribed', 'unconfirmed', 'bounced', 'junk'] as const;
export type MlStatus = (typeof ML_STATUSES)[number];

/**
 * Whether an answer to a subscriber upsert is MailerLite's refusal to write someone who withdrew:
 * `422 "This subscriber is unsubscribed and cannot be imported"` (recorded for an unsubscribed
 * subscriber; that bounced and junk read alike, naming their status, is assumed). Returns the
 * status it names, or undefined for any other answer. Matched on the message, wherever MailerLite
 * puts it (`message` or a field's errors), and loosely, so a reworded sentence that still names
 * the status and "cannot be imported" is recognised.
 */
export function withdrawnRefusal(code: number, body: unknown): MlStatus | undefined {
  if (code !== 422 || !body || typeof body !== 'object') return undefined;
  const b = body as { message?: unknown; errors?: unknown };
  const errors: unknown[] = Object.values(b.errors && typeof b.errors === 'object' ? b.errors : {});
  const texts = [b.message, ...errors].flat().filter((t): t is string => typeof t === 'string');
  for (const text of texts) {
    const match = /\b(unsubscribed|bounced|junk)\b.*\bcannot be imported\b/i.exec(text);
    if (match) return match[1]!.toLowerCase() as MlStatus;
  }
  return undefined;
}

/** Most requests one `POST /api/batch` may carry (documented). */
export const MAX_BATCH_REQUESTS = 50;

/** Each request's status and body, in the order sent. The batch itself answers 200 even when items fail. */
export interface BatchResult {
  total: number;
  successful: number;
  failed: number;
  responses: { code: number; body: unknown }[];
}

const BatchResultSchema = z.object({
  total: z.number(),
  successful: z.number(),
  failed: z.number(),
  responses: z.array(z.object({ code: z.number(), body: z.unknown() })),
});

/** One page of a cursor-paginated list; `nextCursor` is null on the last page. */
export interface CursorPage<T> {
  items: T[];
  nextCursor: string | null;
}

const cursorMeta = z.object({ meta: z.object({ next_cursor: z.string().nullish() }).nullish() });

export interface UpsertSubscriberRequest {
  email: string;
  /** Field values by field key; only the keys given change. */
  fields?: Record<string, string | number | null>;
  /** Group IDs to add the subscriber to (existing memberships are kept). */
  groups?: string[];
  status?: string;
}

/** Default page size of cursor lists (`MAILERLITE_LIST_LIMIT`). */
export const DEFAULT_LIST_LIMIT = 1000;
/**
 * The size a cursor list steps down to once MailerLite refuses a larger one: what third-party
 * clients use (MailerLite documents no maximum).
 */
export const LIST_LIMIT_FALLBACK = 100;

/** A refused page size, and the one listed with from then on. */
export interface ListLimitLowered {
  from: number;
  to: number;
  /** The list that refused it, e.g. `/groups/{id}/subscribers`. */
  endpoint: string;
  /** MailerLite's refusal. */
  reason: string;
}

/**
 * Page sizes lowered after a refusal, by API base URL, for the whole process: every client of that
 * account lists with the smaller size after one refusal, and only the first is told.
 */
const loweredListLimits = new Map<string, number>();

export interface MailerLiteClientOptions {
  credentials: MailerLiteCredentials;
  timeoutMs: number;
  rateLimitMaxWaitMs?: number;
  observe?: (o: RequestObservation) => void;
  /** Most subscribers a cursor list asks for per request (`MAILERLITE_LIST_LIMIT`). Default 1000. */
  listLimit?: number;
  /** Told once per process and account when MailerLite refused the page size and it was lowered. */
  onListLimitLowered?: (event: ListLimitLowered) => void;
}

const dataOf = <S extends z.ZodType>(schema: S) => z.object({ data: schema });
const pageMeta = z.object({ meta: z.object({ last_page: z.coerce.number().int() }).partial().nullish() });

/**
 * The group with this name among `groups`: exactly, else ignoring case. MailerLite may treat group
 * names as unique regardless of case (unconfirmed); a group differing only in case would then
 * refuse our create, so it counts as found.
 */
export function pickGroup(groups: MlGroup[], name: string): MlGroup | undefined {
  return (
    groups.find((g) => g.name === name) ?? groups.find((g) => g.name.toLowerCase() === name.toLowerCase())
  );
}

/** Where a {@link MailerLiteClient.groupMembersPage} walk stands: the status it reads, and MailerLite's cursor in it. */
function parseWalkCursor(
  cursor: string | null,
  statuses: readonly MlStatus[],
): { status: MlStatus; inner: string | null } {
  if (statuses.length === 0) throw new RangeError('a walk of group members needs at least one status');
  if (cursor === null) return { status: statuses[0]!, inner: null };
  const at = cursor.indexOf(':');
  const status = cursor.slice(0, at) as MlStatus;
  if (at < 0 || !statuses.includes(status)) {
    throw new RangeError(`not a cursor of a walk through ${statuses.join(', ')} members: ${cursor}`);
  }
  return { status, inner: cursor.slice(at + 1) || null };
}

/** MailerLite's refusal of a page size: a 422 with an error on `limit`. */
function isLimitRefusal(err: unknown): err is ProviderRequestError {
  return (
    err instanceof ProviderRequestError && err.status === 422 && (err.fieldErrors.limit?.length ?? 0) > 0
  );
}

/** Client of the MailerLite API (`https://connect.mailerlite.com/api`), Bearer-token auth. */
export class MailerLiteClient implements SubscriberDestination {
  readonly provider = 'mailerlite' as const;
  /** The API's address as configured (`MAILERLITE_BASE_URL`), for messages: the token is a header. */
  readonly baseUrl: string;
  private readonly http: HttpClient;
  private readonly listLimit: number;
  private readonly onListLimitLowered?: (event: ListLimitLowered) => void;

  constructor(options: MailerLiteClientOptions) {
    this.baseUrl = options.credentials.baseUrl;
    this.listLimit = options.listLimit ?? DEFAULT_LIST_LIMIT;
    this.onListLimitLowered = options.onListLimitLowered;
    this.http = new HttpClient({
      provider: 'mailerlite',
      baseUrl: options.credentials.baseUrl,
      timeoutMs: options.timeoutMs,
      headers: { Authorization: `Bearer ${options.credentials.apiToken}` },
      rateLimitMaxWaitMs: options.rateLimitMaxWaitMs,
      observe: options.observe,
    });
  }

  /**
   * One request to a route, its answer checked against `schema`: the route's pattern names it in
   * metrics and in every error.
   */
  private async call<P extends string, S extends z.ZodType>(
    method: HttpMethod,
    target: Route<P>,
    params: Record<RouteParams<P>, string>,
    schema: S,
    opts: Omit<RequestOptions, 'endpoint'> = {},
  ): Promise<z.output<S>> {
    const { body } = await this.http.request(method, target.path(params), {
      ...opts,
      endpoint: target.pattern,
    });
    return parseResponse('mailerlite', `${method} ${target.pattern}`, schema, body);
  }

  /** Lists one group: proves the URL and the token are right. */
  async validateConnection(): Promise<void> {
    await this.call('GET', R.groups, {}, z.unknown(), { query: { limit: 1 } });
  }

  /** A subscriber by ID or email, or undefined when MailerLite has none. */
  async getSubscriber(idOrEmail: string): Promise<MlSubscriber | undefined> {
    try {
      return (await this.call('GET', R.subscriber, { id: idOrEmail }, dataOf(MlSubscriberSchema))).data;
    } catch (err) {
      if (err instanceof ProviderNotFoundError) return undefined;
      throw err;
    }
  }

  /** Creates or updates a subscriber by email (MailerLite's upsert). */
  async upsertSubscriber(request: UpsertSubscriberRequest): Promise<MlSubscriber> {
    return (await this.call('POST', R.subscribers, {}, dataOf(MlSubscriberSchema), { body: request })).data;
  }

  /** One page of groups, optionally filtered by name (MailerLite matches names partially). */
  async listGroups(opts: {
    page: number;
    limit: number;
    name?: string;
  }): Promise<{ groups: MlGroup[]; lastPage: number }> {
    const parsed = await this.call('GET', R.groups, {}, dataOf(z.array(MlGroupSchema)).and(pageMeta), {
      query: { page: opts.page, limit: opts.limit, 'filter[name]': opts.name },
    });
    return { groups: parsed.data, lastPage: parsed.meta?.last_page ?? opts.page };
  }

  /** How many groups the account holds (the group list's `meta.total`, one request). */
  async countGroups(): Promise<number> {
    const schema = z.object({ meta: z.object({ total: z.coerce.number().int().min(0) }) });
    return (await this.call('GET', R.groups, {}, schema, { query: { limit: 1 } })).meta.total;
  }

  /** The group with this name (exactly, else ignoring case), or undefined. */
  async findGroupByName(name: string): Promise<MlGroup | undefined> {
    for (let page = 1; ; page++) {
      const { groups, lastPage } = await this.listGroups({ page, limit: 100, name });
      const found = pickGroup(groups, name);
      if (found) return found;
      if (page >= lastPage || groups.length === 0) return undefined;
    }
  }

  async createGroup(name: string): Promise<MlGroup> {
    return (await this.call('POST', R.groups, {}, dataOf(MlGroupSchema), { body: { name } })).data;
  }

  /** Deletes a group (its subscribers stay, without it). 404 when it does not exist. */
  async deleteGroup(id: string): Promise<void> {
    await this.call('DELETE', R.group, { id }, z.unknown());
  }

  /** Every custom and default field of the account. */
  async listFields(): Promise<MlField[]> {
    const fields: MlField[] = [];
    for (let page = 1; ; page++) {
      const parsed = await this.call('GET', R.fields, {}, dataOf(z.array(MlFieldSchema)).and(pageMeta), {
        query: { page, limit: 100 },
      });
      fields.push(...parsed.data);
      if (page >= (parsed.meta?.last_page ?? page) || parsed.data.length === 0) return fields;
    }
  }

  /** One page of subscribers (cursor pagination), optionally only those with a status. */
  async listSubscribers(
    opts: { status?: MlStatus; limit?: number; cursor?: string | null } = {},
  ): Promise<CursorPage<MlSubscriber>> {
    return this.cursorPage(R.subscribers, {}, opts);
  }

  /**
   * One page of a group's subscribers with one status (cursor pagination). The status is always
   * sent: without it MailerLite lists active members only (the official SDK's documented default),
   * which is rarely all a caller means; {@link groupMembersPage} reads every status.
   */
  async listGroupSubscribers(
    groupId: string,
    opts: { status: MlStatus; limit?: number; cursor?: string | null },
  ): Promise<CursorPage<MlSubscriber>> {
    return this.cursorPage(R.groupSubscribers, { id: groupId }, opts);
  }

  /**
   * One page (one request) of a walk through a group's members of each of `statuses` in turn:
   * MailerLite filters group members by one status at a time. `cursor` is the walk's own (null to
   * start; `<status>:<MailerLite cursor>` after that), and `nextCursor` is null once the last status
   * is read. A page may be empty while the walk goes on to the next status.
   */
  async groupMembersPage(
    groupId: string,
    opts: { statuses: readonly MlStatus[]; cursor: string | null; limit?: number },
  ): Promise<CursorPage<MlSubscriber>> {
    const { statuses } = opts;
    const { status, inner } = parseWalkCursor(opts.cursor, statuses);
    const page = await this.listGroupSubscribers(groupId, { status, limit: opts.limit, cursor: inner });
    const following = statuses[statuses.indexOf(status) + 1];
    const nextCursor = page.nextCursor
      ? `${status}:${page.nextCursor}`
      : following !== undefined
        ? `${following}:`
        : null;
    return { items: page.items, nextCursor };
  }

  /** The page size this process lists with now: the setting, or less after MailerLite refused it. */
  get currentListLimit(): number {
    return Math.min(this.listLimit, loweredListLimits.get(this.baseUrl) ?? Infinity);
  }

  /**
   * One page of a cursor list, `opts.limit` (at most the list limit, the default) a page. When
   * MailerLite refuses the size (422 on `limit`), the page is asked for once more with
   * {@link LIST_LIMIT_FALLBACK}, which this process keeps for the account from then on. That one
   * extra request in the process's life is the only time an activity makes two; a refusal of the
   * fallback (or of a configured size at or below it) fails, naming MAILERLITE_LIST_LIMIT.
   */
  private async cursorPage<P extends string>(
    target: Route<P>,
    params: Record<RouteParams<P>, string>,
    opts: { status?: MlStatus; limit?: number; cursor?: string | null },
  ): Promise<CursorPage<MlSubscriber>> {
    const limit = Math.min(opts.limit ?? Infinity, this.currentListLimit);
    const endpoint = target.pattern;
    try {
      return await this.cursorPageOf(target, params, opts, limit);
    } catch (err) {
      if (!isLimitRefusal(err)) throw err;
      const reason = `HTTP ${err.status} on ${endpoint}: ${err.fieldErrors.limit!.join(' ')}`;
      if (limit <= LIST_LIMIT_FALLBACK) {
        throw new ProviderRequestError(
          'mailerlite',
          err.status,
          `MailerLite refused ${limit} subscribers a page (${reason}) Set MAILERLITE_LIST_LIMIT ` +
            `to a size it accepts ('npm run contract:real' reports the largest).`,
          err.fieldErrors,
        );
      }
      if ((loweredListLimits.get(this.baseUrl) ?? Infinity) > LIST_LIMIT_FALLBACK) {
        loweredListLimits.set(this.baseUrl, LIST_LIMIT_FALLBACK);
        this.onListLimitLowered?.({ from: limit, to: LIST_LIMIT_FALLBACK, endpoint, reason });
      }
      // Once more at the lowered size (at most the fallback, so this cannot step down again).
      return await this.cursorPage(target, params, opts);
    }
  }

  private async cursorPageOf<P extends string>(
    target: Route<P>,
    params: Record<RouteParams<P>, string>,
    opts: { status?: MlStatus; cursor?: string | null },
    limit: number,
  ): Promise<CursorPage<MlSubscriber>> {
    const schema = dataOf(z.array(MlSubscriberSchema)).and(cursorMeta);
    const parsed = await this.call('GET', target, params, schema, {
      query: {
        'filter[status]': opts.status,
        limit,
        cursor: opts.cursor ?? undefined,
        // Listed subscribers come without their groups unless asked for.
        include: 'groups',
      },
    });
    return { items: parsed.data, nextCursor: parsed.meta?.next_cursor ?? null };
  }

  /** Changes a subscriber by ID: only the given fields change; groups given are added. */
  async updateSubscriber(id: string, data: Omit<UpsertSubscriberRequest, 'email'>): Promise<void> {
    await this.call('PUT', R.subscriber, { id }, dataOf(MlSubscriberSchema), { body: data });
  }

  /** The contract's read: a page of subscribers with a status (default active). */
  async getSubscribers(
    opts: { status?: string; cursor?: string | null; limit?: number } = {},
  ): Promise<ContractPage<ContractSubscriber>> {
    const status = (opts.status ?? 'active') as MlStatus;
    if (!ML_STATUSES.includes(status)) {
      throw new RangeError(
        `MailerLite has no subscriber status '${opts.status}'; use one of ${ML_STATUSES.join(', ')}`,
      );
    }
    const page = await this.listSubscribers({ status, cursor: opts.cursor, limit: opts.limit });
    return {
      items: page.items.map((s) => ({ ...s, groups: s.groups.map((g) => g.id) })),
      nextCursor: page.nextCursor,
    };
  }

  /** The contract's write: MailerLite's upsert by email; returns the subscriber's ID. */
  async addOrUpdateSubscriber(data: UpsertSubscriberRequest): Promise<string> {
    return (await this.upsertSubscriber(data)).id;
  }

  async deleteSubscriber(id: string): Promise<void> {
    await this.call('DELETE', R.subscriber, { id }, z.unknown());
  }

  async addSubscriberToGroup(subscriberId: string, groupId: string): Promise<void> {
    await this.call('POST', R.subscriberGroup, { id: subscriberId, groupId }, z.unknown());
  }

  async removeSubscriberFromGroup(subscriberId: string, groupId: string): Promise<void> {
    await this.call('DELETE', R.subscriberGroup, { id: subscriberId, groupId }, z.unknown());
  }

  /** Every group of the account. */
  async getGroups(): Promise<MlGroup[]> {
    return this.listAllGroups();
  }

  /** Every group, or every group whose name contains `name` (MailerLite's partial filter). */
  async listAllGroups(name?: string): Promise<MlGroup[]> {
    const all: MlGroup[] = [];
    for (let page = 1; ; page++) {
      const { groups, lastPage } = await this.listGroups({ page, limit: 100, name });
      all.push(...groups);
      if (page >= lastPage || groups.length === 0) return all;
    }
  }

  /**
   * Up to 50 requests in one call, which counts as one request against the rate limit. A batch
   * made only of `POST api/subscribers` is an import to MailerLite, limited to 5 a minute: callers
   * that want the general limit mix in another request (see the write strategy in docs/).
   */
  async batch(requests: BatchRequest[]): Promise<BatchResult> {
    if (requests.length === 0) return { total: 0, successful: 0, failed: 0, responses: [] };
    if (requests.length > MAX_BATCH_REQUESTS) {
      throw new RangeError(
        `a MailerLite batch holds at most ${MAX_BATCH_REQUESTS} requests, not ${requests.length}`,
      );
    }
    return this.call('POST', R.batch, {}, BatchResultSchema, { body: { requests } });
  }

  /**
   * Imports subscribers into a group in the background (an import: 5 a minute). Answers the ID of
   * the import, whose progress {@link getImport} reads. Path and answer are the official Go SDK's
   * (no recorded response confirms them).
   */
  async importToGroup(
    groupId: string,
    subscribers: { email: string; fields?: Record<string, string | number | null> }[],
  ): Promise<string> {
    const { import_progress_url: url } = await this.call(
      'POST',
      R.groupImport,
      { id: groupId },
      z.object({ import_progress_url: z.string() }),
      { body: { subscribers } },
    );
    const id = url.split('/').pop();
    if (!id)
      throw new ProviderTransientError('mailerlite', `import answered an unexpected progress URL: ${url}`);
    return id;
  }

  /** An import's progress: counts so far and whether it is done. */
  async getImport(id: string): Promise<MlImport> {
    return (await this.call('GET', R.importProgress, { id }, dataOf(MlImportSchema))).data;
  }

  async createField(name: string, type: 'text' | 'number' | 'date'): Promise<MlField> {
    return (await this.call('POST', R.fields, {}, dataOf(MlFieldSchema), { body: { name, type } })).data;
  }

  /** Deletes a custom field, and its values on every subscriber. 404 when it does not exist. */
  async deleteField(id: string): Promise<void> {
    await this.call('DELETE', R.field, { id }, z.unknown());
  }
}
