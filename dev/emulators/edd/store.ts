import type { DemoCustomer, DemoDataset, DemoProduct, DemoSale } from '../demo-data';

/** Per-customer totals EDD keeps on the customer row (complete orders only; refunds are subtracted). */
export interface CustomerTotals {
  purchaseCount: number;
  purchaseValueCents: number;
}

export interface ProductTotals {
  sales: number;
  earningsCents: number;
}

/**
 * EDD 3's sales endpoint lists only orders in its "net" statuses (complete, partially_refunded,
 * revoked, on_hold); a refunded order is left out of lists but still found by `id` or `purchasekey`.
 */
const NET_ORDER_STATUSES: ReadonlySet<string> = new Set([
  'complete',
  'partially_refunded',
  'revoked',
  'on_hold',
]);

/**
 * The store's "sequential order numbers" setting (Payments > General; off by default): each new
 * order gets `prefix + n + postfix`, n counting up from `start`, which the v2 API shows as the
 * sale's `ID` in place of the database ID that `sales?id=` looks up.
 */
export interface SequentialOrderNumbers {
  prefix: string;
  postfix: string;
  /** The first order's n. Default 1. */
  start?: number;
}

export function isNetStatus(status: string): boolean {
  return NET_ORDER_STATUSES.has(status);
}

/**
 * Indexes over the demo data set, built when the emulator starts. Orders can be added and change
 * status while it runs (the admin API's store activity), as in a store that keeps selling.
 */
export class EddStore {
  /** Customers newest first: EDD's customer query defaults to `ORDER BY id DESC`. */
  readonly customersDesc: DemoCustomer[];
  /** Net-status orders newest first: EDD's order query defaults to `ORDER BY id DESC`. */
  readonly netSalesDesc: DemoSale[];
  /** Products newest first: the v2 products endpoint defaults to `orderby=date, order=DESC`. */
  readonly productsByDateDesc: DemoProduct[];
  private readonly customerById = new Map<number, DemoCustomer>();
  private readonly customerByEmail = new Map<string, DemoCustomer>();
  private readonly saleById = new Map<number, DemoSale>();
  private readonly saleByKey = new Map<string, DemoSale>();
  private readonly netSalesByEmail = new Map<string, DemoSale[]>();
  private readonly customerTotals = new Map<number, CustomerTotals>();
  private readonly productTotals = new Map<number, ProductTotals>();
  /** Order item row IDs (`object_id`), numbered in order of the sales, as the table would. */
  private readonly itemIds = new Map<DemoSale, number[]>();

  /** Sequential order numbers (n) by order, when the setting is on. */
  private readonly sequence = new Map<DemoSale, number>();
  private nextSequence: number;

  constructor(
    readonly dataset: DemoDataset,
    private readonly orderNumbers?: SequentialOrderNumbers,
  ) {
    this.nextSequence = orderNumbers?.start ?? 1;
    this.customersDesc = [...dataset.customers].sort((a, b) => b.id - a.id);
    for (const customer of dataset.customers) {
      this.customerById.set(customer.id, customer);
      // MySQL's default collation compares emails case-insensitively.
      this.customerByEmail.set(customer.email.toLowerCase(), customer);
    }
    const salesAsc = [...dataset.sales].sort((a, b) => a.id - b.id);
    let nextItemId = 1;
    for (const sale of salesAsc) {
      if (orderNumbers) this.sequence.set(sale, this.nextSequence++);
      this.saleById.set(sale.id, sale);
      this.saleByKey.set(sale.key, sale);
      this.itemIds.set(
        sale,
        sale.products.map(() => nextItemId++),
      );
      if (sale.status === 'complete') this.countComplete(sale);
    }
    this.netSalesDesc = salesAsc.filter((s) => NET_ORDER_STATUSES.has(s.status)).reverse();
    for (const sale of this.netSalesDesc) {
      const key = sale.email.toLowerCase();
      const list = this.netSalesByEmail.get(key);
      if (list) list.push(sale);
      else this.netSalesByEmail.set(key, [sale]);
    }
    this.productsByDateDesc = [...dataset.products].sort(
      (a, b) => b.createDate.localeCompare(a.createDate) || b.id - a.id,
    );
  }

  private countComplete(sale: DemoSale): void {
    const totals = this.customerTotals.get(sale.customerId) ?? { purchaseCount: 0, purchaseValueCents: 0 };
    totals.purchaseCount += 1;
    totals.purchaseValueCents += Math.round(sale.total * 100);
    this.customerTotals.set(sale.customerId, totals);
    for (const item of sale.products) {
      const p = this.productTotals.get(item.id) ?? { sales: 0, earningsCents: 0 };
      p.sales += item.quantity;
      p.earningsCents += Math.round(item.price * 100);
      this.productTotals.set(item.id, p);
    }
  }

  customer(id: number): DemoCustomer | undefined {
    return this.customerById.get(id);
  }

  customerByEmailAddress(email: string): DemoCustomer | undefined {
    return this.customerByEmail.get(email.toLowerCase());
  }

  totalsOf(customerId: number): CustomerTotals {
    return this.customerTotals.get(customerId) ?? { purchaseCount: 0, purchaseValueCents: 0 };
  }

  productTotalsOf(productId: number): ProductTotals {
    return this.productTotals.get(productId) ?? { sales: 0, earningsCents: 0 };
  }

  sale(id: number): DemoSale | undefined {
    return this.saleById.get(id);
  }

  saleWithKey(key: string): DemoSale | undefined {
    return this.saleByKey.get(key);
  }

  netSalesOfEmail(email: string): DemoSale[] {
    return this.netSalesByEmail.get(email.toLowerCase()) ?? [];
  }

  itemIdsOf(sale: DemoSale): number[] {
    return this.itemIds.get(sale) ?? [];
  }

  /** The order's number as EDD shows it (`Order::get_number()`): the ID, or the sequential number. */
  numberOf(sale: DemoSale): string {
    const n = this.sequence.get(sale);
    if (n === undefined || !this.orderNumbers) return String(sale.id);
    return `${this.orderNumbers.prefix}${n}${this.orderNumbers.postfix}`;
  }

  /** The newest order's database ID (new orders take the next one). */
  lastSaleId(): number {
    let last = 0;
    for (const id of this.saleById.keys()) if (id > last) last = id;
    return last;
  }

  /** Adds a new order (its ID must be above every other): listed first when its status is net. */
  addSale(sale: DemoSale): void {
    if (this.saleById.has(sale.id)) throw new RangeError(`order ${sale.id} exists already`);
    if (this.orderNumbers) this.sequence.set(sale, this.nextSequence++);
    this.dataset.sales.push(sale);
    this.saleById.set(sale.id, sale);
    this.saleByKey.set(sale.key, sale);
    const last = [...this.itemIds.values()].reduce((m, ids) => Math.max(m, ...ids), 0);
    this.itemIds.set(
      sale,
      sale.products.map((_, i) => last + 1 + i),
    );
    if (sale.status === 'complete') this.countComplete(sale);
    if (NET_ORDER_STATUSES.has(sale.status)) {
      this.netSalesDesc.unshift(sale);
      const key = sale.email.toLowerCase();
      this.netSalesByEmail.set(key, [sale, ...(this.netSalesByEmail.get(key) ?? [])]);
    }
  }

  /**
   * Changes an order's status (a refund, a revocation, a pending order completing). An order that
   * leaves the net statuses leaves the lists (every later row moves up); one that enters them takes
   * its place by ID.
   */
  setStatus(sale: DemoSale, status: DemoSale['status']): void {
    const wasNet = NET_ORDER_STATUSES.has(sale.status);
    sale.status = status;
    const isNet = NET_ORDER_STATUSES.has(status);
    if (wasNet === isNet) return;
    const key = sale.email.toLowerCase();
    const ofEmail = this.netSalesByEmail.get(key) ?? [];
    if (wasNet) {
      const at = this.netSalesDesc.indexOf(sale);
      if (at >= 0) this.netSalesDesc.splice(at, 1);
      const mine = ofEmail.indexOf(sale);
      if (mine >= 0) ofEmail.splice(mine, 1);
    } else {
      insertDesc(this.netSalesDesc, sale);
      insertDesc(ofEmail, sale);
      this.netSalesByEmail.set(key, ofEmail);
    }
  }

  get sales(): readonly DemoSale[] {
    return this.dataset.sales;
  }

  product(id: number): DemoProduct | undefined {
    return this.dataset.products.find((p) => p.id === id);
  }
}

/** Inserts an order into a list kept newest (highest ID) first. */
function insertDesc(list: DemoSale[], sale: DemoSale): void {
  const at = list.findIndex((s) => s.id < sale.id);
  if (at < 0) list.push(sale);
  else list.splice(at, 0, sale);
}
