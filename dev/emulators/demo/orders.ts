import type { Rng } from '../shared/prng';
import { parseSqlDateTime } from '../shared/dates';
import { ALBUMS, MERCH, STORE_END } from './catalog';
import type { CatalogEntry } from './catalog';

/**
 * The statuses the demo store's orders take. EDD 3 lists `complete`, `partially_refunded`,
 * `revoked` and `on_hold` in its sales lists and leaves `refunded` and `pending` out.
 */
export type OrderStatus = 'complete' | 'partially_refunded' | 'revoked' | 'on_hold' | 'refunded' | 'pending';

/** An order before IDs are assigned: IDs follow time order across all customers, like a real store. */
export interface OrderDraft {
  ms: number;
  customerId: number;
  /** Position among this customer's drafts; breaks ties when two orders share a second. */
  seq: number;
  status: OrderStatus;
  items: CatalogEntry[];
  gateway: string;
  key: string;
  transactionId: string;
  taxRate: number;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const HEX = '0123456789abcdef';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Share of customers who buy one more album than the previous bucket: 70% one, 20% two, 8% three, 2% four. */
const EXTRA_ALBUM_THRESHOLDS = [0.7, 0.9, 0.98] as const;
const SAME_CART_SHARE = 0.45;
const REPEAT_PURCHASE_SHARE = 0.012;
const REFUNDED_ORDER_SHARE = 0.03;
const MERCH_SHARE = 0.08;
const TAXED_ORDER_SHARE = 0.15;
const VAT_RATE = 0.2;

// Parsed once: the generator asks for release instants several times per customer.
const RELEASE_MS = new Map<CatalogEntry, number>(
  [...ALBUMS, MERCH].map((e) => [e, parseSqlDateTime(e.createDate)]),
);
const releaseMs = (entry: CatalogEntry): number =>
  RELEASE_MS.get(entry) ?? parseSqlDateTime(entry.createDate);

function weightedPick(rng: Rng, entries: readonly CatalogEntry[]): CatalogEntry {
  const total = entries.reduce((sum, e) => sum + e.weight, 0);
  let r = rng.next() * total;
  for (const entry of entries) {
    r -= entry.weight;
    if (r < 0) return entry;
  }
  return entries[entries.length - 1]!;
}

/** A moment after `fromMs` (1 h to 240 days later), whole seconds, always before the store's end. */
function laterThan(rng: Rng, fromMs: number): number {
  let ms = fromMs + rng.int(HOUR, 240 * DAY);
  if (ms >= STORE_END) ms = STORE_END - rng.int(60_000, HOUR);
  return Math.floor(ms / 1000) * 1000;
}

function payment(rng: Rng): Pick<OrderDraft, 'gateway' | 'key' | 'transactionId' | 'taxRate'> {
  const g = rng.next();
  const gateway = g < 0.6 ? 'stripe' : g < 0.95 ? 'paypal_commerce' : 'manual';
  const transactionId =
    gateway === 'stripe'
      ? `pi_${rng.chars(24, ALNUM)}`
      : gateway === 'paypal_commerce'
        ? rng.chars(17, UPPER_ALNUM)
        : '';
  return {
    gateway,
    key: rng.chars(32, HEX),
    transactionId,
    taxRate: rng.chance(TAXED_ORDER_SHARE) ? VAT_RATE : 0,
  };
}

/**
 * One customer's orders. The first happens when the customer record is created (EDD creates
 * customers at checkout) and always holds an album already released then; more albums come either
 * in that same cart or in later orders; a few customers buy the same album again; a few have an
 * extra refunded order, which must not count as a purchase.
 */
export function draftOrders(rng: Rng, customerId: number, createdMs: number): OrderDraft[] {
  const drafts: OrderDraft[] = [];
  const add = (ms: number, items: CatalogEntry[], status: OrderDraft['status']): void => {
    if (ms >= releaseMs(MERCH) && rng.chance(MERCH_SHARE)) items.push(MERCH);
    drafts.push({ ms, customerId, seq: drafts.length, status, items, ...payment(rng) });
  };

  const availableAtStart = ALBUMS.filter((a) => releaseMs(a) <= createdMs);
  const firstAlbum = weightedPick(rng, availableAtStart.length > 0 ? availableAtStart : ALBUMS);
  const u = rng.next();
  const extraCount = EXTRA_ALBUM_THRESHOLDS.filter((t) => u >= t).length;
  const others: CatalogEntry[] = [];
  let pool = ALBUMS.filter((a) => a !== firstAlbum);
  for (let i = 0; i < extraCount && pool.length > 0; i++) {
    const next = weightedPick(rng, pool);
    others.push(next);
    pool = pool.filter((a) => a !== next);
  }

  const cart = [firstAlbum];
  let later = others;
  if (others.length > 0 && rng.chance(SAME_CART_SHARE)) {
    cart.push(...others.filter((a) => releaseMs(a) <= createdMs));
    later = others.filter((a) => releaseMs(a) > createdMs);
  }
  const firstOrderMs = Math.floor((createdMs + rng.int(5_000, 120_000)) / 1000) * 1000;
  add(firstOrderMs, cart, 'complete');
  for (const album of later) {
    add(laterThan(rng, Math.max(firstOrderMs, releaseMs(album))), [album], 'complete');
  }
  if (rng.chance(REPEAT_PURCHASE_SHARE)) add(laterThan(rng, firstOrderMs), [firstAlbum], 'complete');
  if (rng.chance(REFUNDED_ORDER_SHARE)) {
    const album = weightedPick(rng, ALBUMS);
    add(laterThan(rng, Math.max(firstOrderMs, releaseMs(album))), [album], 'refunded');
  }
  return drafts;
}
