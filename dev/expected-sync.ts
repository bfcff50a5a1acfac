import type { DemoDataset } from './emulators';

export interface ExpectedSync {
  /** Complete orders of the album (what a sync fetches). */
  orders: number;
  /** Orders whose buyer was generated with a defect (what a sync must report as invalid). */
  invalidOrders: number;
  /** Valid orders of a buyer who has a newer valid order of the album. */
  supersededOrders: number;
  /** Distinct valid buyers, each with the newest order: what MailerLite must end up holding. */
  subscribers: Map<string, { email: string; firstName: string; lastName: string; orderId: number }>;
}

/**
 * What a sync of one album must do, computed from the demo data's ground truth (the defects the
 * generator put in on purpose), not from the project's validator.
 */
export function expectedSync(dataset: DemoDataset, productId: number): ExpectedSync {
  const customers = new Map(dataset.customers.map((c) => [c.id, c]));
  const orders = dataset.sales.filter(
    (s) => s.status === 'complete' && s.products.some((p) => p.id === productId),
  );
  const subscribers: ExpectedSync['subscribers'] = new Map();
  let invalidOrders = 0;
  let validOrders = 0;
  for (const sale of orders) {
    const customer = customers.get(sale.customerId);
    if (!customer || customer.defects.length > 0) {
      invalidOrders++;
      continue;
    }
    validOrders++;
    const key = sale.email.toLowerCase();
    const seen = subscribers.get(key);
    if (!seen || sale.id > seen.orderId) {
      subscribers.set(key, {
        email: sale.email,
        firstName: customer.firstName,
        lastName: customer.lastName,
        orderId: sale.id,
      });
    }
  }
  return {
    orders: orders.length,
    invalidOrders,
    supersededOrders: validOrders - subscribers.size,
    subscribers,
  };
}
