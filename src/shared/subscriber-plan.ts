import type { SourceRecord } from './sync-types';

/**
 * What the destination holds for one email, as far as a campaign sync cares: kept small because it
 * passes through workflow history.
 */
export interface DestinationSnapshot {
  email: string;
  exists: boolean;
  status?: string;
  /** Values of the fields the sync writes (name, last_name, the purchase field), as strings. */
  fields: Record<string, string>;
  /** Whether the subscriber is in the campaign's purchase group. */
  inGroup: boolean;
}

/** A subscriber upsert, as sent in a MailerLite batch (`POST api/subscribers`). */
export interface SubscriberUpsert {
  email: string;
  fields: Record<string, string | number>;
  groups: string[];
  status?: 'active';
}

export type WritePlan =
  | { kind: 'unchanged' | 'superseded' }
  | { kind: 'skipped'; reason: string }
  | { kind: 'create' | 'update'; upsert: SubscriberUpsert };

/**
 * Statuses that mean the person withdrew or cannot be mailed: a sync never writes to them, so it
 * can never set them back to active or put them into a campaign's groups.
 */
export const NO_CONSENT_STATUSES: readonly string[] = ['unsubscribed', 'bounced', 'junk'];

export interface PlanContext {
  groupId: string;
  purchaseFieldKey: string;
  /** `upsert` creates and updates; `update-only` never creates a subscriber. Default `upsert`. */
  mode?: SyncMode;
}

/** How a sync writes: create and update (default), or only update subscribers MailerLite already has. */
export type SyncMode = 'upsert' | 'update-only';

/**
 * Decides what to write for one valid record given what MailerLite holds: nothing when it is
 * already there as it should be; otherwise only an upsert. Pure, so the workflow runs it.
 *
 * - The purchase field keeps the newest order of the album, and the names go with it: an order
 *   older than the one MailerLite holds changes no field (`superseded`), and at most puts the
 *   subscriber back into the purchase group. Names come from the order's EDD customer, so an older
 *   order with other names is another customer whose email differs only in case (EDD keeps
 *   `Ann@x.com` and `ann@x.com` apart, MailerLite does not): its names must not overwrite those of
 *   the newer order's customer.
 *   That holds while the newer order still counts (`heldStillCounts`, see {@link heldNewerOrder}):
 *   once it was refunded or revoked, the field moves to this order, the buyer's newest remaining one.
 * - Someone unsubscribed, bounced or marked junk is not written at all (`skipped`, with the
 *   reason); an existing subscriber's status is never sent. New subscribers are created active.
 */
export function planWrite(
  record: SourceRecord,
  snapshot: DestinationSnapshot,
  ctx: PlanContext,
  heldStillCounts = true,
): WritePlan {
  if (snapshot.exists && snapshot.status && NO_CONSENT_STATUSES.includes(snapshot.status)) {
    return {
      kind: 'skipped',
      reason: `subscriber is ${snapshot.status} in MailerLite: not rewritten (consent)`,
    };
  }
  const newerHeld = heldStillCounts && heldNewerOrder(record, snapshot, ctx) !== undefined;
  const fields: Record<string, string | number> = newerHeld
    ? {}
    : { name: record.firstName, last_name: record.lastName, [ctx.purchaseFieldKey]: record.orderId };
  if (!snapshot.exists && ctx.mode === 'update-only') {
    return { kind: 'skipped', reason: 'not in MailerLite, and the sync is update-only: not created' };
  }
  if (!snapshot.exists) {
    return {
      kind: 'create',
      upsert: { email: record.email, fields, groups: [ctx.groupId], status: 'active' },
    };
  }
  const same =
    snapshot.inGroup &&
    Object.entries(fields).every(([key, value]) => (snapshot.fields[key] ?? '') === String(value).trim());
  if (same) return { kind: newerHeld ? 'superseded' : 'unchanged' };
  return { kind: 'update', upsert: { email: record.email, fields, groups: [ctx.groupId] } };
}

/**
 * The order a subscriber's purchase field holds when it is newer than the record's: before planning,
 * the sync asks EDD whether it still counts (a refunded or revoked order does not, and the field
 * then moves to the record's order). Undefined when there is nothing to ask: no subscriber, one the
 * sync may not write to, or a field holding this order or an older one.
 */
export function heldNewerOrder(
  record: SourceRecord,
  snapshot: DestinationSnapshot,
  ctx: Pick<PlanContext, 'purchaseFieldKey'>,
): number | undefined {
  if (!snapshot.exists || (snapshot.status && NO_CONSENT_STATUSES.includes(snapshot.status)))
    return undefined;
  const held = Number(snapshot.fields[ctx.purchaseFieldKey] ?? NaN);
  return Number.isFinite(held) && held > record.orderId ? held : undefined;
}

/**
 * One record per subscriber (email, case-insensitive): the newest order. Two orders of one buyer
 * in a page would otherwise race each other; the older ones are counted as superseded.
 */
export function newestPerEmail(records: SourceRecord[]): { latest: SourceRecord[]; superseded: number } {
  const byEmail = new Map<string, SourceRecord>();
  for (const record of records) {
    const key = record.email.toLowerCase();
    const seen = byEmail.get(key);
    if (!seen || record.orderId > seen.orderId) byEmail.set(key, record);
  }
  return { latest: [...byEmail.values()], superseded: records.length - byEmail.size };
}
