/**
 * What an EDD order's status means for a campaign, one rule for sync, mirror and transitions.
 *
 * EDD 3 lists the "net" statuses (`complete`, `partially_refunded`, `revoked`, `on_hold`) in its
 * sales lists and leaves fully refunded and unfinished orders out; `sales?id=` answers any status.
 *
 * - `purchase`: `complete` (and `publish`, EDD 2's name for it) and `partially_refunded`. A partial
 *   refund leaves the order and every line of it in the API's answer (EDD's v2 sales list gives no
 *   per-line status), so the buyer is taken to still own the album.
 * - `on-hold`: `on_hold` (a dispute or a manual hold). Neither written nor removed: a sync leaves
 *   whatever MailerLite holds, mirror keeps the buyer in the purchase group, a transition waits.
 * - `not-a-purchase`: `revoked` (access withdrawn), `refunded`, and everything unfinished
 *   (`pending`, `processing`, `failed`, `abandoned`, `cancelled`, ...): never written, and mirror
 *   removes a buyer who has no other purchase.
 */
export type OrderStanding = 'purchase' | 'on-hold' | 'not-a-purchase';

const PURCHASE_STATUSES: ReadonlySet<string> = new Set(['complete', 'publish', 'partially_refunded']);

export function orderStanding(status: string): OrderStanding {
  const s = status.trim().toLowerCase();
  if (PURCHASE_STATUSES.has(s)) return 'purchase';
  if (s === 'on_hold') return 'on-hold';
  return 'not-a-purchase';
}

/** Whether the order counts as a purchase of what it holds. */
export function isPurchase(status: string): boolean {
  return orderStanding(status) === 'purchase';
}
