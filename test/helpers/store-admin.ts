import { DEMO_MAILERLITE_TOKEN, type StoreActivitySettings } from '../../dev/emulators';
import { fieldKey, purchaseFieldName, tierGroupName } from '../../src/shared/campaign';
import type { Stack } from './stack';

// The EDD emulator's store admin API (orders added, statuses changed, store activity) and the
// MailerLite emulator's account state, as the store-changes and incremental tests use them.

export interface StateSubscriber {
  email: string;
  status: string;
  fields: Record<string, string | number | null>;
  groups: string[];
}

/** One request to the MailerLite emulator's API with the demo token (what a person does in the app); fails on any answer but 2xx. */
export async function mailerliteApi<T>(
  stack: Stack,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(`${stack.mailerlite.url}/api${path}`, {
    method,
    headers: { Authorization: `Bearer ${DEMO_MAILERLITE_TOKEN}`, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

/** Every subscriber of the MailerLite emulator, by lower-cased email (`GET /_admin/state`). */
export async function mailerliteState(stack: Stack): Promise<Map<string, StateSubscriber>> {
  const res = await fetch(`${stack.mailerlite.url}/_admin/state`);
  const state = (await res.json()) as { subscribers: StateSubscriber[] };
  return new Map(state.subscribers.map((s) => [s.email.toLowerCase(), s]));
}

/** A campaign's purchase group members (lower-cased emails) and each one's purchase field. */
export async function purchaseGroup(stack: Stack, campaign: string): Promise<Map<string, number | null>> {
  const group = tierGroupName(campaign, 'Bronze Purchase');
  const key = fieldKey(purchaseFieldName(campaign));
  const members = new Map<string, number | null>();
  for (const [email, s] of await mailerliteState(stack)) {
    if (s.groups.includes(group)) members.set(email, s.fields[key] === null ? null : Number(s.fields[key]));
  }
  return members;
}

/** One request to the EDD emulator's admin API; fails on any answer but 2xx. */
export async function eddAdmin(
  stack: Stack,
  method: string,
  path: string,
  body?: unknown,
): Promise<Record<string, unknown>> {
  const res = await fetch(`${stack.edd.url}${path}`, {
    method,
    headers: { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
  return res.status === 204 ? {} : ((await res.json()) as Record<string, unknown>);
}

/** Changes an order's status now (a refund, a revocation, a hold, a completion). */
export const setOrderStatus = (stack: Stack, orderId: number, status: string) =>
  eddAdmin(stack, 'POST', `/_admin/orders/${orderId}/status`, { status });

/** Adds an order now; its database ID and its number as EDD shows it. */
export const addOrder = async (stack: Stack, customerId: number, productIds: number[], status = 'complete') =>
  (await eddAdmin(stack, 'POST', '/_admin/orders', { customerId, productIds, status })) as {
    id: number;
    number: string;
  };

/** Starts (or with null stops) the store's activity; what it added and changed so far. */
export async function storeActivity(stack: Stack, settings: StoreActivitySettings | null) {
  if (settings) await eddAdmin(stack, 'PUT', '/_admin/store-activity', settings);
  else await eddAdmin(stack, 'DELETE', '/_admin/store-activity');
  return (await eddAdmin(stack, 'GET', '/_admin/store-activity')) as {
    added: { number: string }[];
    changed: { id: number; number: string; status: string }[];
  };
}
