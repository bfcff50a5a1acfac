import MailerLite from '@mailerlite/mailerlite-nodejs';
import type { GroupObject, SubscriberObject } from '@mailerlite/mailerlite-nodejs';
import type {
  DriverError,
  DriverFactory,
  DriverPage,
  DriverSubscriber,
  ListedSubscriber,
  MailerLiteDriver,
} from './contract-driver';

/**
 * An HTTP failure seen through the SDK, keeping only the response's status and body. The axios
 * error the SDK rejects with carries the request config, Authorization header included: printed by
 * a failing test, it would put a real account's token into the log.
 */
export class OfficialSdkHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`MailerLite SDK: HTTP ${status} ${messageOf(body)}`);
    this.name = 'OfficialSdkHttpError';
  }
}

function messageOf(body: unknown): string {
  const message = (body as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : '';
}

/** Duck-typed so the test does not depend on the SDK's private copy of axios. */
interface AxiosLikeError {
  isAxiosError: true;
  code?: string;
  response?: { status: number; data: unknown };
}

const isAxiosLike = (e: unknown): e is AxiosLikeError =>
  typeof e === 'object' && e !== null && (e as { isAxiosError?: unknown }).isAxiosError === true;

/** Awaits an SDK call and returns the whole response (status and data); rethrows HTTP failures scrubbed. */
async function call<T>(
  request: () => Promise<{ status: number; data: T }>,
): Promise<{ status: number; data: T }> {
  try {
    return await request();
  } catch (error) {
    if (!isAxiosLike(error)) throw error;
    if (error.response) throw new OfficialSdkHttpError(error.response.status, error.response.data);
    throw new Error(`MailerLite SDK: no response (${error.code ?? 'unknown error'})`);
  }
}

const toSubscriber = (s: SubscriberObject): DriverSubscriber => ({
  id: s.id,
  email: s.email,
  status: s.status,
  fields: { ...s.fields },
  groups: (s.groups ?? []).map((g: GroupObject) => g.id),
});

const toListed = (s: SubscriberObject): ListedSubscriber => ({ id: s.id, email: s.email, status: s.status });

/**
 * The SDK types `meta.next_cursor` as a string; the API sends null on the last page. The SDK also
 * serialises an undefined `cursor` as the text "undefined", so callers leave the key out instead.
 */
interface CursorList {
  data: SubscriberObject[];
  meta: { next_cursor: string | null };
}

const page = (data: CursorList) =>
  ({
    items: data.data.map(toListed),
    nextCursor: data.meta.next_cursor ?? null,
  }) satisfies DriverPage<ListedSubscriber>;

function fieldErrorsOf(body: unknown): Record<string, string[]> {
  const errors = (body as { errors?: unknown } | null)?.errors;
  if (!errors || typeof errors !== 'object') return {};
  return Object.fromEntries(
    Object.entries(errors as Record<string, unknown>).map(([k, v]) => [
      k,
      Array.isArray(v) ? v.map(String) : [String(v)],
    ]),
  );
}

function describeError(error: unknown): DriverError {
  const thrown = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  if (!(error instanceof OfficialSdkHttpError)) return { kind: 'other', message, thrown, fieldErrors: {} };
  const { status, body } = error;
  const kind =
    status === 401 || status === 403
      ? 'auth'
      : status === 404
        ? 'not-found'
        : status === 422
          ? 'validation'
          : 'other';
  return { kind, status, message, thrown, fieldErrors: fieldErrorsOf(body) };
}

/** The official Node SDK, `@mailerlite/mailerlite-nodejs`: an independent client of the same API. */
export const officialSdkDriver: DriverFactory = {
  label: 'official SDK @mailerlite/mailerlite-nodejs',
  tag: 'sdk',
  create({ apiRoot, token }): MailerLiteDriver {
    // The SDK appends `/api/...` to base_path itself (its default is https://connect.mailerlite.com).
    const ml = new MailerLite({ api_key: token, base_path: apiRoot });

    const findOnPage = async (name: string, pageNo: number) =>
      (await call(() => ml.groups.get({ filter: { name }, limit: 100, page: pageNo, sort: 'name' }))).data;

    return {
      async upsertSubscriber(input) {
        const res = await call(() => ml.subscribers.createOrUpdate(input));
        return { id: res.data.data.id, created: res.status === 201, subscriber: toSubscriber(res.data.data) };
      },
      async getSubscriber(idOrEmail) {
        try {
          return toSubscriber((await call(() => ml.subscribers.find(idOrEmail))).data.data);
        } catch (error) {
          if (error instanceof OfficialSdkHttpError && error.status === 404) return undefined;
          throw error;
        }
      },
      async listSubscribers({ status, limit, cursor }) {
        const params = { filter: { status }, limit, ...(cursor ? { cursor } : {}) };
        return page((await call(() => ml.subscribers.get(params))).data);
      },
      async updateSubscriber(id, data) {
        await call(() => ml.subscribers.update(id, data));
      },
      async deleteSubscriber(id) {
        await call(() => ml.subscribers.delete(id));
      },
      async createGroup(name) {
        const { id, name: created } = (await call(() => ml.groups.create({ name }))).data.data;
        return { id, name: created };
      },
      async listGroups(name) {
        return (await findOnPage(name, 1)).data.map(({ id, name: n }) => ({ id, name: n }));
      },
      async findGroupByName(name) {
        // The SDK has no exact lookup: `filter[name]` matches partially, so page and compare.
        for (let pageNo = 1; ; pageNo++) {
          const { data, meta } = await findOnPage(name, pageNo);
          const exact = data.find((g) => g.name === name);
          if (exact) return { id: exact.id, name: exact.name };
          if (data.length === 0 || pageNo >= meta.last_page) return undefined;
        }
      },
      async listGroupMembers(groupId, { status, limit, cursor }) {
        const params = { filter: { status }, limit, ...(cursor ? { cursor } : {}) };
        const { data } = await call(() => ml.groups.getSubscribers(groupId, params));
        // The SDK types this list with page-based `meta`; the API pages it by cursor (recorded
        // response: mailerlite-python cassette groups-get-subscribers-in-group.yml).
        return page(data as unknown as CursorList);
      },
      async assignToGroup(subscriberId, groupId) {
        await call(() => ml.groups.assignSubscriber(subscriberId, groupId));
      },
      async unassignFromGroup(subscriberId, groupId) {
        await call(() => ml.groups.unAssignSubscriber(subscriberId, groupId));
      },
      async createField(name, type) {
        const { id, name: n, key, type: t } = (await call(() => ml.fields.create({ name, type }))).data.data;
        return { id, name: n, key, type: t };
      },
      async batch(requests) {
        // The SDK's type wants a body on every request; `{}` is what its own examples send.
        const params = { requests: requests.map((r) => ({ ...r, body: r.body ?? {} })) };
        const { data } = await call(() => ml.batches.send(params));
        return {
          total: data.total,
          successful: data.successful,
          failed: data.failed,
          responses: data.responses.map((r) => ({ code: r.code, body: r.body })),
        };
      },
      describeError,
    };
  },
};
