import {
  CONSENT_LOCKED_STATUSES,
  DEFAULT_SUBSCRIBERS_LIMIT,
  UPSERT_CREATED_STATUS,
  UPSERT_UPDATED_STATUS,
  notFoundMessage,
  notImportableMessage,
  type SubscriberStatus,
} from '../facts';
import { cursorPage } from '../pagination';
import type { ApiResponse, Handler, HandlerContext } from '../router';
import { subscriberJson } from '../serializers';
import type { Subscriber } from '../state';
import { ValidationErrors } from '../validation';
import { cursorLimitParam, statusFilter } from './list-params';
import { applySubscriberInput, parseSubscriberInput } from './subscriber-input';

/** Laravel's exception handler pretty-prints model-not-found 404s with four spaces. */
export const NOT_FOUND_INDENT = 4;

export const subscriberNotFound = (): ApiResponse => ({
  status: 404,
  body: { message: notFoundMessage.subscriber() },
  indent: NOT_FOUND_INDENT,
});

const single = (ctx: HandlerContext, subscriber: Subscriber, status = 200): ApiResponse => ({
  status,
  body: { data: subscriberJson(ctx.state, subscriber, { withGroups: true }) },
});

/**
 * Lists subscribers newest first with cursor pagination. Used for `/api/subscribers` and
 * `/api/groups/{id}/subscribers`; `member` narrows to a group's members, `defaultStatus` is the
 * status listed when `filter[status]` is absent (every status when undefined).
 */
export function listSubscribers(
  req: Parameters<Handler>[0],
  ctx: HandlerContext,
  path: string,
  member?: (subscriberId: string) => boolean,
  defaultStatus?: SubscriberStatus,
): ApiResponse {
  const filtered = statusFilter(req.query);
  if (filtered instanceof ValidationErrors) return filtered.toResponse();
  const status = filtered ?? defaultStatus;
  const { state } = ctx;
  const accept = (seq: bigint): boolean => {
    const id = seq.toString();
    const subscriber = state.subscribers.get(id);
    return subscriber !== undefined && (!status || subscriber.status === status) && (!member || member(id));
  };
  const limit = cursorLimitParam(req.query, DEFAULT_SUBSCRIBERS_LIMIT, ctx.limits.maxListLimit);
  if (limit instanceof ValidationErrors) return limit.toResponse();
  if (limit === 0 && !member) {
    // `limit=0` is how the SDKs ask for a count (cassette subscribers-count.yml).
    return { status: 200, body: { total: state.seqsAscending().filter(accept).length } };
  }
  const page = cursorPage(
    state.seqsAscending(),
    (seq) => state.indexOfSeq(seq),
    accept,
    req.query.get('cursor'),
    limit,
    path,
  );
  const withGroups = req.query.get('include') === 'groups';
  const data = page.seqs.map((seq) =>
    subscriberJson(state, state.subscribers.get(seq.toString())!, { withGroups }),
  );
  return { status: 200, body: { data, links: page.links, meta: page.meta } };
}

export const getSubscribers: Handler = (req, ctx) =>
  listSubscribers(req, ctx, `${ctx.baseUrl}/api/subscribers`);

/**
 * Create or update by email. Fields merge (only given keys change), groups are only added. An
 * existing subscriber who unsubscribed, bounced or is marked junk is refused whatever the body says
 * (see `notImportableMessage` in facts.ts): an upsert never brings them back.
 */
export const upsertSubscriber: Handler = (req, ctx) => {
  const input = parseSubscriberInput(ctx.state, req.body, { requireEmail: true });
  if (input instanceof ValidationErrors) return input.toResponse();
  const email = input.email!;
  const existing = ctx.state.subscriberByEmail(email);
  if (existing && (CONSENT_LOCKED_STATUSES as readonly string[]).includes(existing.status)) {
    const message = notImportableMessage(existing.status);
    return { status: 422, body: { message, errors: { email: [message] } } };
  }
  const subscriber = existing ?? ctx.state.createSubscriber(email, input.status ?? 'active');
  applySubscriberInput(ctx.state, subscriber, input);
  return single(ctx, subscriber, existing ? UPSERT_UPDATED_STATUS : UPSERT_CREATED_STATUS);
};

export const getSubscriber: Handler = (req, ctx) => {
  const subscriber = ctx.state.subscriberByIdOrEmail(req.params.id ?? '');
  return subscriber ? single(ctx, subscriber) : subscriberNotFound();
};

/** Update by ID (the email in the body, if any, is ignored). */
export const updateSubscriber: Handler = (req, ctx) => {
  const subscriber = ctx.state.subscribers.get(req.params.id ?? '');
  if (!subscriber) return subscriberNotFound();
  const input = parseSubscriberInput(ctx.state, req.body, { requireEmail: false });
  if (input instanceof ValidationErrors) return input.toResponse();
  applySubscriberInput(ctx.state, subscriber, input);
  return single(ctx, subscriber);
};

export const deleteSubscriber: Handler = (req, ctx) => {
  const subscriber = ctx.state.subscribers.get(req.params.id ?? '');
  if (!subscriber) return subscriberNotFound();
  ctx.state.deleteSubscriber(subscriber);
  return { status: 204 };
};
