import { phpInt } from '../../shared/php';
import { SUBSCRIBER_STATUSES } from '../facts';
import type { SubscriberStatus } from '../facts';
import { ValidationErrors, rule } from '../validation';

/**
 * `limit`: the default when absent or not a non-negative integer (*unconfirmed*: the real API may
 * answer 422), clamped to `max`.
 */
export function limitParam(query: URLSearchParams, fallback: number, max: number): number {
  const raw = query.get('limit');
  if (raw === null || !/^\s*\d+\s*$/.test(raw)) return fallback;
  return Math.min(phpInt(raw), max);
}

/**
 * `limit` of a cursor list: the default when absent or not a non-negative integer, and a 422 on
 * `limit` (Laravel's `max.numeric` text) above `max`. See `DEFAULT_MAX_LIST_LIMIT` in facts.ts.
 */
export function cursorLimitParam(
  query: URLSearchParams,
  fallback: number,
  max: number,
): number | ValidationErrors {
  const raw = query.get('limit');
  if (raw === null || !/^\s*\d+\s*$/.test(raw)) return fallback;
  const limit = phpInt(raw);
  if (limit <= max) return limit;
  const errors = new ValidationErrors();
  errors.add('limit', `The limit may not be greater than ${max}.`);
  return errors;
}

/** `page`, from 1. */
export function pageParam(query: URLSearchParams): number {
  const page = phpInt(query.get('page') ?? '1');
  return page < 1 ? 1 : page;
}

/** `filter[status]`: undefined when absent, errors when not a known status. */
export function statusFilter(query: URLSearchParams): SubscriberStatus | undefined | ValidationErrors {
  const raw = query.get('filter[status]');
  if (raw === null || raw === '') return undefined;
  if (SUBSCRIBER_STATUSES.includes(raw as SubscriberStatus)) return raw as SubscriberStatus;
  const errors = new ValidationErrors();
  errors.add('filter.status', rule.in('filter.status'));
  return errors;
}

/** `sort=name` / `sort=-name`: the key and whether it is descending; null when absent or not allowed. */
export function sortParam(
  query: URLSearchParams,
  allowed: readonly string[],
): { key: string; desc: boolean } | null {
  const raw = query.get('sort');
  if (!raw) return null;
  const desc = raw.startsWith('-');
  const key = desc ? raw.slice(1) : raw;
  return allowed.includes(key) ? { key, desc } : null;
}
