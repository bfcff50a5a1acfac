import { isPurchase } from '../src/shared/order-status';
import { expectedPurchasers, type DemoDataset, type ExpectedPurchasers } from './emulators';

export interface ExpectedSync {
  /** Orders of the album that count as purchases: complete or partially refunded (what a sync fetches). */
  orders: number;
  /** Orders whose buyer was generated with a defect (what a sync must report as invalid). */
  invalidOrders: number;
  /** Valid orders of a buyer who has a newer order of the album. */
  supersededOrders: number;
  /** The emulator's valid purchasers by lower-cased email, each with the newest order: what MailerLite must hold. */
  subscribers: Map<string, ExpectedPurchasers['valid'][number]>;
}

/**
 * What a sync of one album must do, from the demo data's ground truth (the defects the generator
 * put in on purpose and the emulator's own count of purchasers), not from the project's validator.
 */
export function expectedSync(dataset: DemoDataset, productId: number): ExpectedSync {
  const product = dataset.products.find((p) => p.id === productId);
  if (!product?.campaign) throw new RangeError(`product ${productId} is not an album of the demo data`);
  const purchasers = expectedPurchasers(dataset, product.campaign);
  const invalidCustomers = new Set(purchasers.invalid.map((p) => p.customerId));
  const orders = dataset.sales.filter(
    (s) => isPurchase(s.status) && s.products.some((p) => p.id === productId),
  );
  const invalidOrders = orders.filter((s) => invalidCustomers.has(s.customerId)).length;
  return {
    orders: orders.length,
    invalidOrders,
    supersededOrders: orders.length - invalidOrders - purchasers.valid.length,
    subscribers: new Map(purchasers.valid.map((p) => [p.email.toLowerCase(), p])),
  };
}
