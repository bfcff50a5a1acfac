import type { EddClient, EddSale } from '../providers';
import { mapWithConcurrency } from './concurrency';
import type { ActivityDeps } from './deps';
import { orderNumberValue, type OrderNumberFormat } from '../shared/order-number';
import { orderStanding, type OrderStanding } from '../shared/order-status';

/** What EDD says of the order a purchase field names for one subscriber. */
export type OrderLookup =
  | { found: true; sale: EddSale; standing: OrderStanding }
  | { found: false; reason: 'not-found' | 'email-mismatch' };

/**
 * Finds the order whose number gives `value` (what a purchase field holds) among the orders of
 * `email`: `sales?email=` lists the email's orders in the net statuses, matched by their number's n
 * (see `shared/order-number.ts`), so it works with sequential order numbers too. An order not listed
 * there is looked up by database ID (`sales?id=`, which finds every status): that tells a refunded
 * order, or one placed with another email, on a store whose numbers are its IDs; an answer whose own
 * number does not give `value` is another order (sequential numbers) and is not used.
 */
export async function lookUpOrder(
  edd: EddClient,
  email: string,
  value: number,
  format?: OrderNumberFormat,
): Promise<OrderLookup> {
  const gives = (sale: EddSale) => {
    const n = orderNumberValue(sale.ID, format);
    return 'value' in n && n.value === value;
  };
  const listed = (await edd.listSalesOfEmail(email)).find(gives);
  if (listed) return { found: true, sale: listed, standing: orderStanding(listed.status) };
  const byId = await edd.getSale(value);
  if (!byId || !gives(byId)) return { found: false, reason: 'not-found' };
  const orderEmail = byId.email.trim() || (await edd.getCustomer(byId.customer_id))?.info.email || '';
  if (orderEmail.trim().toLowerCase() !== email.trim().toLowerCase()) {
    return { found: false, reason: 'email-mismatch' };
  }
  return { found: true, sale: byId, standing: orderStanding(byId.status) };
}

/**
 * Whether each subscriber's purchase field still names a purchase of the album: an order of theirs
 * that holds it and counts as a purchase or is on hold. A refunded, revoked or vanished order does
 * not, and the sync then moves the field to the buyer's newest remaining purchase.
 */
export async function heldOrdersStillCount(
  deps: Pick<ActivityDeps, 'providers' | 'eddConcurrency' | 'orderNumberFormat'>,
  productId: number,
  checks: { email: string; orderId: number }[],
  /** Called after each look-up (an activity heartbeats there). */
  onEach?: () => void,
): Promise<boolean[]> {
  return mapWithConcurrency(checks, deps.eddConcurrency ?? 8, async ({ email, orderId }) => {
    const found = await lookUpOrder(deps.providers.edd, email, orderId, deps.orderNumberFormat);
    onEach?.();
    return (
      found.found &&
      found.standing !== 'not-a-purchase' &&
      found.sale.products.some((p) => p.id === productId)
    );
  });
}
