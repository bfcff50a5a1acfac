import { fieldJson } from './serializers';
import type { MailerLiteState } from './state';

/** `GET /_admin/state`: the whole account in one readable document, for tests and people. */
export function adminStateJson(state: MailerLiteState): unknown {
  return {
    subscribers: [...state.subscribers.values()].map((s) => ({
      id: s.id,
      email: s.email,
      status: s.status,
      fields: Object.fromEntries(state.fields.map((f) => [f.key, s.fields.get(f.key) ?? null])),
      groups: [...s.groupIds]
        .map((id) => state.groups.get(id)?.name)
        .filter((n): n is string => n !== undefined)
        .sort(),
      created_at: s.createdAt,
      updated_at: s.updatedAt,
    })),
    groups: [...state.groups.values()].map((g) => ({
      id: g.id,
      name: g.name,
      subscriber_count: g.memberIds.size,
      created_at: g.createdAt,
    })),
    fields: state.fields.map((f) => fieldJson(f, { inList: false })),
  };
}
