import {
  DEFAULT_GROUPS_LIMIT,
  DEFAULT_GROUP_MEMBERS_STATUS,
  MAX_SUBSCRIBERS_LIMIT,
  groupLimitMessage,
  notFoundMessage,
} from '../facts';
import { lengthAwarePage } from '../pagination';
import type { ApiResponse, Handler, HandlerContext } from '../router';
import { groupJson } from '../serializers';
import type { Group } from '../state';
import { ValidationErrors, characterLength, isPlainObject, rule } from '../validation';
import { limitParam, pageParam, sortParam } from './list-params';
import { NOT_FOUND_INDENT, listSubscribers, subscriberNotFound } from './subscribers';

const MAX_NAME_LENGTH = 255;
const SORT_KEYS = ['name', 'total', 'open_rate', 'click_rate', 'created_at'] as const;

export const groupNotFound = (id: string): ApiResponse => ({
  status: 404,
  body: { message: notFoundMessage.group(id) },
  indent: NOT_FOUND_INDENT,
});

/** Validates a group name; uniqueness is case-insensitive, like a MySQL unique index (*unconfirmed*). */
function validateName(ctx: HandlerContext, body: unknown, self?: Group): string | ValidationErrors {
  const name = isPlainObject(body) ? body.name : undefined;
  const errors = new ValidationErrors();
  if (typeof name !== 'string' || name.trim() === '') errors.add('name', rule.required('name'));
  else if (characterLength(name) > MAX_NAME_LENGTH)
    errors.add('name', rule.maxString('name', MAX_NAME_LENGTH));
  else {
    const clash = ctx.state.groupNamed(name);
    if (clash && clash !== self) errors.add('name', rule.unique('name'));
  }
  return errors.isEmpty ? (name as string) : errors;
}

function compareGroups(key: string): (a: Group, b: Group) => number {
  if (key === 'name') return (a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase());
  if (key === 'total') return (a, b) => a.counts.active - b.counts.active;
  // Rates are always 0 here; created_at follows the ID.
  return (a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0);
}

/** `GET /api/groups`: oldest first by default, `filter[name]` matches part of the name, any case. */
export const listGroups: Handler = (req, ctx) => {
  const needle = req.query.get('filter[name]')?.toLowerCase();
  let groups = [...ctx.state.groups.values()];
  if (needle) groups = groups.filter((g) => g.name.toLowerCase().includes(needle));
  const sort = sortParam(req.query, SORT_KEYS);
  const compare = compareGroups(sort?.key ?? 'created_at');
  groups.sort((a, b) => (sort?.desc ? -compare(a, b) : compare(a, b)));
  const limit = limitParam(req.query, DEFAULT_GROUPS_LIMIT, MAX_SUBSCRIBERS_LIMIT) || DEFAULT_GROUPS_LIMIT;
  const page = lengthAwarePage(
    groups.map(groupJson),
    pageParam(req.query),
    limit,
    `${ctx.baseUrl}/api/groups`,
  );
  return { status: 200, body: page };
};

/** `POST /api/groups`; refused once the account holds its most groups (see `groupLimitMessage`). */
export const createGroup: Handler = (req, ctx) => {
  const name = validateName(ctx, req.body);
  if (name instanceof ValidationErrors) return name.toResponse();
  if (ctx.state.groups.size >= ctx.limits.maxGroups) {
    const message = groupLimitMessage(ctx.limits.maxGroups);
    return { status: 422, body: { message, errors: { name: [message] } } };
  }
  return { status: 201, body: { data: groupJson(ctx.state.createGroup(name)) } };
};

export const updateGroup: Handler = (req, ctx) => {
  const group = ctx.state.groups.get(req.params.id ?? '');
  if (!group) return groupNotFound(req.params.id ?? '');
  const name = validateName(ctx, req.body, group);
  if (name instanceof ValidationErrors) return name.toResponse();
  group.name = name;
  return { status: 200, body: { data: groupJson(group) } };
};

export const deleteGroup: Handler = (req, ctx) => {
  const group = ctx.state.groups.get(req.params.id ?? '');
  if (!group) return groupNotFound(req.params.id ?? '');
  ctx.state.deleteGroup(group);
  return { status: 204 };
};

/** `GET /api/groups/{id}/subscribers`: active members unless `filter[status]` names another status. */
export const groupSubscribers: Handler = (req, ctx) => {
  const group = ctx.state.groups.get(req.params.id ?? '');
  if (!group) return groupNotFound(req.params.id ?? '');
  const path = `${ctx.baseUrl}/api/groups/${group.id}/subscribers`;
  return listSubscribers(req, ctx, path, (id) => group.memberIds.has(id), DEFAULT_GROUP_MEMBERS_STATUS);
};

/** `POST /api/subscribers/{sid}/groups/{gid}` answers 200 with the group (cassette). */
export const assignToGroup: Handler = (req, ctx) => {
  const subscriber = ctx.state.subscribers.get(req.params.id ?? '');
  if (!subscriber) return subscriberNotFound();
  const group = ctx.state.groups.get(req.params.groupId ?? '');
  if (!group) return groupNotFound(req.params.groupId ?? '');
  ctx.state.joinGroup(subscriber, group);
  subscriber.updatedAt = ctx.state.timestamp();
  return { status: 200, body: { data: groupJson(group) } };
};

/** `DELETE /api/subscribers/{sid}/groups/{gid}` answers 204, also when the subscriber was not a member. */
export const unassignFromGroup: Handler = (req, ctx) => {
  const subscriber = ctx.state.subscribers.get(req.params.id ?? '');
  if (!subscriber) return subscriberNotFound();
  const group = ctx.state.groups.get(req.params.groupId ?? '');
  if (!group) return groupNotFound(req.params.groupId ?? '');
  ctx.state.leaveGroup(subscriber, group);
  subscriber.updatedAt = ctx.state.timestamp();
  return { status: 204 };
};
