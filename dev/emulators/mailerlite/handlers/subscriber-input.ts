import { SUBSCRIBER_STATUSES } from '../facts';
import type { SubscriberStatus } from '../facts';
import type { FieldValue, MailerLiteState, Subscriber } from '../state';
import {
  MAX_TEXT_FIELD_LENGTH,
  ValidationErrors,
  characterLength,
  isDateValue,
  isNumericValue,
  isPlainObject,
  isSqlDateTime,
  isValidEmail,
  isValidIp,
  rule,
} from '../validation';

/** A validated create/update body. */
export interface SubscriberInput {
  email?: string;
  fields: [string, FieldValue][];
  groupIds: string[];
  status?: SubscriberStatus;
  ipAddress?: string | null;
  subscribedAt?: string | null;
  unsubscribedAt?: string | null;
  optedInAt?: string | null;
  optinIp?: string | null;
}

function fieldValue(
  state: MailerLiteState,
  key: string,
  value: unknown,
  errors: ValidationErrors,
): FieldValue | undefined {
  const field = state.fieldByKey(key);
  // Keys of fields that do not exist are ignored rather than rejected (*unconfirmed*).
  if (!field) return undefined;
  const attribute = `fields.${key}`;
  // Laravel turns empty strings into null before validating, so '' clears a field.
  if (value === null || value === '') return null;
  if (field.type === 'number') {
    if (isNumericValue(value)) return Number(value);
    errors.add(attribute, rule.numeric(attribute));
    return undefined;
  }
  if (field.type === 'date') {
    if (isDateValue(value)) return value;
    errors.add(attribute, rule.date(attribute));
    return undefined;
  }
  if (typeof value === 'string' && characterLength(value) > MAX_TEXT_FIELD_LENGTH) {
    errors.add(attribute, rule.maxString(attribute, MAX_TEXT_FIELD_LENGTH));
    return undefined;
  }
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  errors.add(attribute, rule.string(attribute));
  return undefined;
}

function optionalTimestamp(
  body: Record<string, unknown>,
  key: string,
  errors: ValidationErrors,
): string | null | undefined {
  const value = body[key];
  if (value === undefined || value === null) return value;
  if (isSqlDateTime(value)) return value;
  errors.add(key, rule.dateFormat(key, 'Y-m-d H:i:s'));
  return undefined;
}

function optionalIp(
  body: Record<string, unknown>,
  key: string,
  errors: ValidationErrors,
): string | null | undefined {
  const value = body[key];
  if (value === undefined || value === null) return value;
  if (isValidIp(value)) return value;
  errors.add(key, rule.ip(key));
  return undefined;
}

/** Validates a `POST /api/subscribers` (email required) or `PUT /api/subscribers/{id}` body. */
export function parseSubscriberInput(
  state: MailerLiteState,
  rawBody: unknown,
  opts: { requireEmail: boolean },
): SubscriberInput | ValidationErrors {
  const body = isPlainObject(rawBody) ? rawBody : {};
  const errors = new ValidationErrors();
  const input: SubscriberInput = { fields: [], groupIds: [] };

  if (opts.requireEmail) {
    const email = body.email;
    if (typeof email !== 'string' || email.trim() === '') errors.add('email', rule.required('email'));
    else if (!isValidEmail(email)) errors.add('email', rule.email('email'));
    else input.email = email;
  }

  if (body.fields !== undefined && body.fields !== null) {
    if (!isPlainObject(body.fields)) errors.add('fields', rule.array('fields'));
    else {
      for (const [key, raw] of Object.entries(body.fields)) {
        const value = fieldValue(state, key, raw, errors);
        if (value !== undefined) input.fields.push([key, value]);
      }
    }
  }

  if (body.groups !== undefined && body.groups !== null) {
    if (!Array.isArray(body.groups)) errors.add('groups', rule.array('groups'));
    else {
      (body.groups as unknown[]).forEach((raw, i) => {
        const id = typeof raw === 'string' || typeof raw === 'number' ? String(raw) : '';
        if (state.groups.has(id)) input.groupIds.push(id);
        else errors.add(`groups.${i}`, rule.exists(`groups.${i}`));
      });
    }
  }

  if (body.status !== undefined) {
    if (SUBSCRIBER_STATUSES.includes(body.status as SubscriberStatus)) {
      input.status = body.status as SubscriberStatus;
    } else errors.add('status', rule.in('status'));
  }

  input.ipAddress = optionalIp(body, 'ip_address', errors);
  input.optinIp = optionalIp(body, 'optin_ip', errors);
  input.subscribedAt = optionalTimestamp(body, 'subscribed_at', errors);
  input.unsubscribedAt = optionalTimestamp(body, 'unsubscribed_at', errors);
  input.optedInAt = optionalTimestamp(body, 'opted_in_at', errors);

  return errors.isEmpty ? input : errors;
}

/**
 * Applies a validated body: only the given field keys change, groups are only ever added, and the
 * status changes only when given (*unconfirmed* for PUT, where the real API may treat groups differently).
 */
export function applySubscriberInput(
  state: MailerLiteState,
  subscriber: Subscriber,
  input: SubscriberInput,
): void {
  for (const [key, value] of input.fields) subscriber.fields.set(key, value);
  for (const groupId of input.groupIds) {
    const group = state.groups.get(groupId);
    if (group) state.joinGroup(subscriber, group);
  }
  if (input.status) state.setStatus(subscriber, input.status);
  if (input.ipAddress !== undefined) subscriber.ipAddress = input.ipAddress;
  if (input.optinIp !== undefined) subscriber.optinIp = input.optinIp;
  if (input.subscribedAt !== undefined) subscriber.subscribedAt = input.subscribedAt;
  if (input.unsubscribedAt !== undefined) subscriber.unsubscribedAt = input.unsubscribedAt;
  if (input.optedInAt !== undefined) subscriber.optedInAt = input.optedInAt;
  subscriber.updatedAt = state.timestamp();
}
