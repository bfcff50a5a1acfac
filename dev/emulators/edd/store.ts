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

/** Read-only indexes over the demo data set, built once when the emulator starts. */
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

  constructor(readonly dataset: DemoDataset) {
    this.customersDesc = [...dataset.customers].sort((a, b) => b.id - a.id);
    for (const customer of dataset.customers) {
      this.customerById.set(customer.id, customer);
      // MySQL's default collation compares emails case-insensitively.
      this.customerByEmail.set(customer.email.toLowerCase(), customer);
    }
    const salesAsc = [...dataset.sales].sort((a, b) => a.id - b.id);
    let nextItemId = 1;
    for (const sale of salesAsc) {
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

  product(id: number): DemoProduct | undefined {
    return this.dataset.products.find((p) => p.id === id);
  }
}
