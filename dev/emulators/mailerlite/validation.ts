import { isIP } from 'node:net';

import { isPhpNumeric } from '../shared/php';
import { VALIDATION_MESSAGE } from './facts';
import type { ApiResponse } from './router';

/**
 * Laravel shows an attribute in messages with underscores as spaces (`ip_address` → "ip address",
 * `fields.my_field` → "fields.my field"). The message texts are Laravel 8's English defaults, which
 * match the documented top-level "The given data was invalid."; the per-rule texts are *unconfirmed*.
 */
const display = (attribute: string): string => attribute.replace(/_/g, ' ');

export const rule = {
  required: (a: string): string => `The ${display(a)} field is required.`,
  email: (a: string): string => `The ${display(a)} must be a valid email address.`,
  string: (a: string): string => `The ${display(a)} must be a string.`,
  array: (a: string): string => `The ${display(a)} must be an array.`,
  numeric: (a: string): string => `The ${display(a)} must be a number.`,
  date: (a: string): string => `The ${display(a)} is not a valid date.`,
  dateFormat: (a: string, format: string): string => `The ${display(a)} does not match the format ${format}.`,
  ip: (a: string): string => `The ${display(a)} must be a valid IP address.`,
  in: (a: string): string => `The selected ${display(a)} is invalid.`,
  exists: (a: string): string => `The selected ${display(a)} is invalid.`,
  unique: (a: string): string => `The ${display(a)} has already been taken.`,
  maxString: (a: string, max: number): string =>
    `The ${display(a)} may not be greater than ${max} characters.`,
  maxItems: (a: string, max: number): string => `The ${display(a)} may not have more than ${max} items.`,
  regex: (a: string): string => `The ${display(a)} format is invalid.`,
};

/**
 * A string's size as Laravel's `max` rule measures it (`mb_strlen`): in Unicode code points, so an
 * emoji outside the Basic Multilingual Plane counts once, not as its two UTF-16 units. Confirmed for
 * Laravel; that MailerLite's limits are Laravel `max` rules is inferred from its Laravel-shaped 422
 * answers. The sync's record validator counts the same way (src/validation/record-validator.ts).
 */
export function characterLength(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/** *Unconfirmed*: the longest value a text field takes, in characters (the sync refuses longer names). */
export const MAX_TEXT_FIELD_LENGTH = 255;

/** Collects errors per attribute and renders MailerLite's 422 body. */
export class ValidationErrors {
  private readonly errors: Record<string, string[]> = {};

  add(attribute: string, message: string): void {
    (this.errors[attribute] ??= []).push(message);
  }

  get isEmpty(): boolean {
    return Object.keys(this.errors).length === 0;
  }

  toResponse(): ApiResponse {
    return { status: 422, body: { message: VALIDATION_MESSAGE, errors: this.errors } };
  }
}

/**
 * Email check. MailerLite's exact rule is *unconfirmed*; this one rejects what any strict validator
 * does (no `@`, no domain, spaces, consecutive or edge dots, no TLD) and accepts plus-addressing.
 */
export function isValidEmail(email: string): boolean {
  const at = email.lastIndexOf('@');
  if (at <= 0 || at !== email.indexOf('@')) return false;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length > 64 || email.length > 254) return false;
  if (!/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/.test(local)) return false;
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  if (!labels.every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l))) return false;
  return /^[A-Za-z]{2,}$/.test(labels[labels.length - 1]!);
}

export function isNumericValue(value: unknown): boolean {
  return (
    (typeof value === 'number' && Number.isFinite(value)) ||
    (typeof value === 'string' && isPhpNumeric(value))
  );
}

export function isValidIp(value: unknown): value is string {
  return typeof value === 'string' && isIP(value) !== 0;
}

/** `Y-m-d H:i:s`, the format MailerLite documents for subscriber timestamps. */
export function isSqlDateTime(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value) &&
    !Number.isNaN(Date.parse(value.replace(' ', 'T')))
  );
}

/** Date field values: a calendar date, optionally with a time. */
export function isDateValue(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    /^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?$/.test(value) &&
    !Number.isNaN(Date.parse(value.slice(0, 10)))
  );
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
