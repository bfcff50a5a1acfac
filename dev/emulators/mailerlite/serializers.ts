import { formatLaravelIsoDateTime } from '../shared/dates';
import type { Field, Group, ImportReport, MailerLiteState, Subscriber } from './state';

const ZERO_RATE = { float: 0, string: '0%' };

/** A group as the API renders it (same shape in lists, on create and on assign). */
export function groupJson(group: Group): Record<string, unknown> {
  return {
    id: group.id,
    name: group.name,
    active_count: group.counts.active,
    sent_count: 0,
    opens_count: 0,
    open_rate: ZERO_RATE,
    clicks_count: 0,
    click_rate: ZERO_RATE,
    unsubscribed_count: group.counts.unsubscribed,
    unconfirmed_count: group.counts.unconfirmed,
    bounced_count: group.counts.bounced,
    junk_count: group.counts.junk,
    created_at: group.createdAt,
  };
}

/**
 * A subscriber. `fields` lists every defined field key (null when unset), in field ID order.
 * `groups` is only present when asked for: single-subscriber responses always carry it, but list
 * responses omit it unless the request has `include=groups` (seen in a real list response).
 */
export function subscriberJson(
  state: MailerLiteState,
  subscriber: Subscriber,
  opts: { withGroups: boolean },
): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const field of state.fields) fields[field.key] = subscriber.fields.get(field.key) ?? null;
  const json: Record<string, unknown> = {
    id: subscriber.id,
    email: subscriber.email,
    status: subscriber.status,
    source: subscriber.source,
    sent: 0,
    opens_count: 0,
    clicks_count: 0,
    open_rate: 0,
    click_rate: 0,
    ip_address: subscriber.ipAddress,
    subscribed_at: subscriber.subscribedAt,
    unsubscribed_at: subscriber.unsubscribedAt,
    created_at: subscriber.createdAt,
    updated_at: subscriber.updatedAt,
    fields,
  };
  if (opts.withGroups) {
    json.groups = [...subscriber.groupIds]
      .map((id) => state.groups.get(id))
      .filter((g): g is Group => g !== undefined)
      .sort((a, b) => (a.seq < b.seq ? -1 : 1))
      .map(groupJson);
  }
  json.opted_in_at = subscriber.optedInAt;
  json.optin_ip = subscriber.optinIp;
  return json;
}

/** A field; list responses add `used_in_automations`, create/update responses do not (cassettes). */
export function fieldJson(field: Field, opts: { inList: boolean }): Record<string, unknown> {
  const json: Record<string, unknown> = {
    id: field.id,
    name: field.name,
    key: field.key,
    type: field.type,
    is_default: field.isDefault,
  };
  if (opts.inList) json.used_in_automations = false;
  return json;
}

/** The emulator's account; real IDs are numeric strings (`"83510"` in a recorded import report). */
export const EMULATOR_ACCOUNT_ID = '100001';

/**
 * An import report, key for key in the recorded order (cassette subscribers-get-import.yml). The
 * lists the emulator never fills (`mistyped`, `role_based`, `suspicious_format`) stay empty.
 */
export function importJson(report: ImportReport): Record<string, unknown> {
  const processed = report.total;
  const finishedAt = formatLaravelIsoDateTime(report.finishedAt);
  return {
    id: report.id,
    account_id: EMULATOR_ACCOUNT_ID,
    total: report.total,
    processed,
    imported: report.imported,
    updated: report.updated,
    errored: report.errored,
    percent: report.total === 0 ? 100 : Math.floor((processed / report.total) * 100),
    done: true,
    invalid: report.invalid,
    invalid_count: report.invalid.length,
    mistyped: [],
    mistyped_count: 0,
    changed: report.changed,
    changed_count: report.changed.length,
    unchanged: report.unchanged,
    unchanged_count: report.unchanged.length,
    unsubscribed: report.unsubscribed,
    unsubscribed_count: report.unsubscribed.length,
    role_based: [],
    role_based_count: 0,
    suspicious_format: [],
    suspicious_format_count: 0,
    duplicate: report.duplicate,
    duplicate_count: report.duplicate.length,
    banned_import_emails_count: 0,
    updated_at: finishedAt,
    undone_at: null,
    stopped_at: null,
    undo_started_at: null,
    finished_at: finishedAt,
  };
}
