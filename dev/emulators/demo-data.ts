import { campaignCode } from '../../src/shared/campaign';
import { isPurchase } from '../../src/shared/order-status';
import { ALBUMS, CUSTOMERS_FROM, CUSTOMERS_UNTIL, MERCH } from './demo/catalog';
import type { CatalogEntry } from './demo/catalog';
import { BAD_EMAIL_KINDS, asciiSlug, breakEmail, validEmail } from './demo/emails';
import { FIRST_NAMES, LAST_NAMES } from './demo/names';
import { draftOrders } from './demo/orders';
import type { OrderDraft, OrderStatus } from './demo/orders';
import { formatSqlDateTime } from './shared/dates';
import { Rng } from './shared/prng';

/** A product ("download") in the demo store. */
export interface DemoProduct {
  id: number;
  slug: string;
  /** `Artist - Album` for albums; a plain title (no ` - `) for other products. */
  title: string;
  artist: string;
  album: string;
  year: number;
  /** `YYYY-MM-DD HH:MM:SS` (UTC). */
  createDate: string;
  price: number;
  /** `campaignCode(year, artist, album)` for albums, `null` for non-album products. */
  campaign: string | null;
}

/** What was deliberately broken in a demo customer. */
export type CustomerDefect = 'bad_email' | 'missing_first_name';

/** A customer as EDD's v2 API reports it. */
export interface DemoCustomer {
  id: number;
  /** WordPress user ID; 0 for guest checkouts. */
  userId: number;
  /** Empty for guests. */
  username: string;
  /** Empty for guests. */
  displayName: string;
  /**
   * Empty for `missing_first_name` customers. Their whole EDD name is empty, so `lastName` is too:
   * EDD derives both from one stored name, and a name holding only a surname would come back as the
   * first name.
   */
  firstName: string;
  lastName: string;
  email: string;
  /** `YYYY-MM-DD HH:MM:SS` (UTC); the customer's first order follows within two minutes. */
  dateCreated: string;
  /** Ground truth of what was deliberately broken; empty when the customer is valid. */
  defects: CustomerDefect[];
}

export interface DemoSaleItem {
  id: number;
  name: string;
  /** The line total as EDD reports it (after discounts, including tax). */
  price: number;
  quantity: number;
  priceName: string;
}

/** An order. IDs increase with `date`, so a larger ID is a later order. */
export interface DemoSale {
  id: number;
  customerId: number;
  userId: number;
  /** Always the customer's email. */
  email: string;
  /** `YYYY-MM-DD HH:MM:SS` (UTC). */
  date: string;
  /** See {@link OrderStatus}: a few percent of the orders are in each status other than `complete`. */
  status: OrderStatus;
  gateway: string;
  key: string;
  /** Empty for the manual gateway. */
  transactionId: string;
  products: DemoSaleItem[];
  subtotal: number;
  tax: number;
  total: number;
}

export interface DemoDataset {
  seed: number;
  products: DemoProduct[];
  customers: DemoCustomer[];
  /** Ordered by ID (and so by date), oldest first. */
  sales: DemoSale[];
}

export interface GenerateDemoDataOptions {
  /** PRNG seed; the same seed and size always give the same data. Default 42. */
  seed?: number;
  /** Number of customers. Default 2000. */
  customers?: number;
}

export interface ExpectedPurchasers {
  valid: { customerId: number; email: string; firstName: string; lastName: string; orderId: number }[];
  invalid: { customerId: number; email: string; orderId: number; defects: CustomerDefect[] }[];
}

/** Order IDs start here so that, in small data sets, an order ID is never mistaken for a customer ID. */
const FIRST_ORDER_ID = 1001;
/** Customers with a WordPress account; the rest checked out as guests (user_id 0). */
const REGISTERED_SHARE = 0.6;
/** Cumulative thresholds: both defects, then bad email only, then missing first name only (≈3% and ≈2%). */
const BOTH_DEFECTS_BELOW = 0.0015;
const BAD_EMAIL_BELOW = 0.03;
const MISSING_FIRST_NAME_BELOW = 0.0485;
const FIRST_WP_USER_ID = 2;

function toProduct(entry: CatalogEntry): DemoProduct {
  const isAlbum = entry.title === undefined;
  return {
    id: entry.id,
    slug: entry.slug,
    title: entry.title ?? `${entry.artist} - ${entry.album}`,
    artist: entry.artist,
    album: entry.album,
    year: entry.year,
    createDate: entry.createDate,
    price: entry.priceCents / 100,
    campaign: isAlbum ? campaignCode(entry.year, entry.artist, entry.album) : null,
  };
}

function makeCustomer(
  rng: Rng,
  id: number,
  createdMs: number,
  nextUserId: () => number,
  used: Set<string>,
): DemoCustomer {
  const first = rng.pick(FIRST_NAMES);
  const last = rng.pick(LAST_NAMES);
  const u = rng.next();
  const badEmail = u < BAD_EMAIL_BELOW;
  const missingFirstName = u < BOTH_DEFECTS_BELOW || (u >= BAD_EMAIL_BELOW && u < MISSING_FIRST_NAME_BELOW);
  const defects: CustomerDefect[] = [];
  let email = validEmail(rng, first, last, id, used);
  if (badEmail) {
    email = breakEmail(email, rng.pick(BAD_EMAIL_KINDS));
    defects.push('bad_email');
  }
  if (missingFirstName) defects.push('missing_first_name');
  const firstName = missingFirstName ? '' : first;
  const lastName = missingFirstName ? '' : last;
  const registered = rng.chance(REGISTERED_SHARE);
  const userId = registered ? nextUserId() : 0;
  const username = registered ? `${asciiSlug(first)}${asciiSlug(last)}${userId}` : '';
  const displayName = !registered ? '' : missingFirstName ? username : `${first} ${last}`;
  return {
    id,
    userId,
    username,
    displayName,
    firstName,
    lastName,
    email,
    dateCreated: formatSqlDateTime(createdMs),
    defects,
  };
}

function toSale(draft: OrderDraft, id: number, customer: DemoCustomer): DemoSale {
  let subtotalCents = 0;
  let taxCents = 0;
  const products = draft.items.map((item) => {
    const itemTax = Math.round(item.priceCents * draft.taxRate);
    subtotalCents += item.priceCents;
    taxCents += itemTax;
    return {
      id: item.id,
      name: item.title ?? `${item.artist} - ${item.album}`,
      price: (item.priceCents + itemTax) / 100,
      quantity: 1,
      priceName: '',
    };
  });
  return {
    id,
    customerId: customer.id,
    userId: customer.userId,
    email: customer.email,
    date: formatSqlDateTime(draft.ms),
    status: draft.status,
    gateway: draft.gateway,
    key: draft.key,
    transactionId: draft.transactionId,
    products,
    subtotal: subtotalCents / 100,
    tax: taxCents / 100,
    total: (subtotalCents + taxCents) / 100,
  };
}

/**
 * Cumulative shares of complete orders that later changed status: partially refunded (another
 * line or part of the amount refunded; still a purchase), revoked, on hold, and still pending.
 */
const LATER_STATUSES: readonly [number, OrderStatus][] = [
  [0.03, 'partially_refunded'],
  [0.05, 'revoked'],
  [0.07, 'on_hold'],
  [0.08, 'pending'],
];

/**
 * Moves a few percent of the complete orders to each other status, from a PRNG of its own, so the
 * rest of the data set (customers, orders, IDs) is what the same seed always gave.
 */
function assignLaterStatuses(sales: DemoSale[], seed: number): void {
  const rng = new Rng((seed ^ 0x5eed_57a7) >>> 0);
  for (const sale of sales) {
    if (sale.status !== 'complete') continue;
    const u = rng.next();
    const later = LATER_STATUSES.find(([below]) => u < below);
    if (later) sale.status = later[1];
  }
}

/** Builds the deterministic demo store: same seed and size, same data, on every machine. */
export function generateDemoData(opts: GenerateDemoDataOptions = {}): DemoDataset {
  const seed = opts.seed ?? 42;
  const count = opts.customers ?? 2000;
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new RangeError(`customers must be a non-negative integer, got ${count}`);
  }
  const rng = new Rng(seed);
  const usedEmails = new Set<string>();
  let wpUserId = FIRST_WP_USER_ID;
  const nextUserId = (): number => wpUserId++;

  const customers: DemoCustomer[] = [];
  const drafts: OrderDraft[] = [];
  const span = CUSTOMERS_UNTIL - CUSTOMERS_FROM;
  for (let i = 0; i < count; i++) {
    // Evenly spread with jitter keeps creation dates increasing with the customer ID, as in EDD.
    const createdMs = Math.floor((CUSTOMERS_FROM + ((i + rng.next()) / count) * span) / 1000) * 1000;
    const customer = makeCustomer(rng, i + 1, createdMs, nextUserId, usedEmails);
    customers.push(customer);
    for (const draft of draftOrders(rng, customer.id, createdMs)) drafts.push(draft);
  }

  drafts.sort((a, b) => a.ms - b.ms || a.customerId - b.customerId || a.seq - b.seq);
  const sales = drafts.map((draft, index) =>
    toSale(draft, FIRST_ORDER_ID + index, customers[draft.customerId - 1]!),
  );
  assignLaterStatuses(sales, seed);

  return { seed, products: [...ALBUMS, MERCH].map(toProduct), customers, sales };
}

/**
 * Ground truth for tests and the demo: per campaign code, the purchasers (orders containing the
 * album whose status counts as a purchase: complete or partially refunded, see
 * `src/shared/order-status.ts`), split into valid / invalid by `defects`. One entry per (campaign,
 * customer): if a customer bought the album twice, the latest such order counts. Sorted by
 * customer ID.
 */
export function expectedPurchasers(ds: DemoDataset, campaign: string): ExpectedPurchasers {
  const product = ds.products.find((p) => p.campaign === campaign);
  if (!product) throw new RangeError(`no album in the data set has campaign code ${campaign}`);
  const latestOrder = new Map<number, number>();
  for (const sale of ds.sales) {
    if (!isPurchase(sale.status) || !sale.products.some((item) => item.id === product.id)) continue;
    // Order IDs follow time, so the largest ID is the latest order.
    if ((latestOrder.get(sale.customerId) ?? 0) < sale.id) latestOrder.set(sale.customerId, sale.id);
  }
  const result: ExpectedPurchasers = { valid: [], invalid: [] };
  for (const customer of ds.customers) {
    const orderId = latestOrder.get(customer.id);
    if (orderId === undefined) continue;
    if (customer.defects.length === 0) {
      const { firstName, lastName, email } = customer;
      result.valid.push({ customerId: customer.id, email, firstName, lastName, orderId });
    } else {
      result.invalid.push({
        customerId: customer.id,
        email: customer.email,
        orderId,
        defects: [...customer.defects],
      });
    }
  }
  return result;
}
