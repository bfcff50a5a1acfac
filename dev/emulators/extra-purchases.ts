import type { DemoCustomer, DemoDataset, DemoSale } from './demo-data';
import { formatSqlDateTime, parseSqlDateTime } from './shared/dates';

/** A customer to add to a demo store, with exactly the email and names given (nothing is checked). */
export interface ExtraCustomer {
  email: string;
  firstName: string;
  lastName: string;
}

/** A complete order of one product to add, by an added customer, an existing one, or nobody. */
export interface ExtraPurchase {
  /**
   * Who bought: an index into the `customers` passed alongside, `{ existing: id }` for a customer
   * of the data set, or `{ missing: id }` for a customer ID EDD does not know (an orphan order).
   */
  buyer: number | { existing: number } | { missing: number };
  productId: number;
  /** The order's email; the buyer's by default (EDD copies it, but an order may carry another spelling). */
  email?: string;
}

export interface ExtraRecords {
  customers: ExtraCustomer[];
  purchases: ExtraPurchase[];
}

/** What {@link withExtraPurchases} added, so a test can find each record again. */
export interface AddedRecords {
  /** The added customers, in the order given. */
  customers: DemoCustomer[];
  /** The added orders, in the order given (later ones have larger IDs and dates). */
  sales: DemoSale[];
}

/**
 * A copy of a demo data set with hand-made customers and complete orders appended, for tests that
 * need records the generator never makes (hostile emails and names, duplicates differing only in
 * case, orders of unknown customers). New customers and orders take the next IDs and dates after
 * the data set's last ones, as EDD would give them, so they are the newest (EDD lists newest
 * first). Emails and names are stored exactly as given: the emulator serves them as EDD would.
 * Start the emulators with the returned data set (`startStack({ dataset })`).
 */
export function withExtraPurchases(
  dataset: DemoDataset,
  extra: ExtraRecords,
): { dataset: DemoDataset; added: AddedRecords } {
  const lastCustomer = dataset.customers.reduce((max, c) => Math.max(max, c.id), 0);
  const lastSale = dataset.sales.reduce((max, s) => Math.max(max, s.id), 0);
  const lastMs = Math.max(
    ...dataset.customers.map((c) => parseSqlDateTime(c.dateCreated)),
    ...dataset.sales.map((s) => parseSqlDateTime(s.date)),
    Date.UTC(2020, 0, 1),
  );
  const customers: DemoCustomer[] = extra.customers.map((c, i) => ({
    id: lastCustomer + 1 + i,
    userId: 0,
    username: '',
    displayName: '',
    firstName: c.firstName,
    lastName: c.lastName,
    email: c.email,
    dateCreated: formatSqlDateTime(lastMs + (i + 1) * 1000),
    // Ground truth is the test's to state: the generator's defect kinds do not describe these.
    defects: [],
  }));
  const byId = new Map(dataset.customers.map((c) => [c.id, c]));
  const sales: DemoSale[] = extra.purchases.map((p, i) => {
    const product = dataset.products.find((x) => x.id === p.productId);
    if (!product) throw new RangeError(`product ${p.productId} is not in the data set`);
    let customerId: number;
    let email: string;
    if (typeof p.buyer === 'number') {
      const customer = customers[p.buyer];
      if (!customer) throw new RangeError(`purchase ${i}: no added customer ${p.buyer}`);
      customerId = customer.id;
      email = customer.email;
    } else if ('existing' in p.buyer) {
      const customer = byId.get(p.buyer.existing);
      if (!customer) throw new RangeError(`purchase ${i}: no customer ${p.buyer.existing} in the data set`);
      customerId = customer.id;
      email = customer.email;
    } else {
      customerId = p.buyer.missing;
      email = p.email ?? '';
    }
    return {
      id: lastSale + 1 + i,
      customerId,
      userId: 0,
      email: p.email ?? email,
      date: formatSqlDateTime(lastMs + (extra.customers.length + i + 1) * 1000),
      status: 'complete',
      gateway: 'manual',
      key: `extra-${lastSale + 1 + i}`,
      transactionId: '',
      products: [{ id: product.id, name: product.title, price: product.price, quantity: 1, priceName: '' }],
      subtotal: product.price,
      tax: 0,
      total: product.price,
    };
  });
  return {
    dataset: {
      ...dataset,
      customers: [...dataset.customers, ...customers],
      sales: [...dataset.sales, ...sales],
    },
    added: { customers, sales },
  };
}
