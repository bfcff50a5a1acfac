import type { EddSale } from '../providers';
import type { SourceRecord } from '../shared/sync-types';
import { CustomerDirectory, type CustomerNames } from './customer-directory';
import type { ActivityDeps } from './deps';

export interface PurchasersPage {
  /** The campaign's purchases on this page of sales (every complete order of the album). */
  records: SourceRecord[];
  /** Sales read on this page (of every product). */
  salesScanned: number;
  /** True when this was the last page of sales. */
  done: boolean;
}

/** EDD calls a completed order `complete` (v2) or `publish` (its post status). */
const COMPLETE_STATUSES = new Set(['complete', 'publish']);

export function sourceActivities({
  providers,
  logger,
  eddConcurrency = 8,
  customerLookup = 'auto',
  customerList,
}: ActivityDeps) {
  // One per worker: a list of customers read for one page serves the pages after it.
  const directory = new CustomerDirectory({
    edd: providers.edd,
    mode: customerLookup,
    concurrency: eddConcurrency,
    logger,
    ...customerList,
  });
  return {
    /**
     * Reads one page of EDD sales and returns the campaign album's purchasers on it, with names
     * from their customer records. Only the page number travels between steps, never the dataset.
     */
    async fetchPurchasersPage(input: {
      productId: number;
      page: number;
      pageSize: number;
    }): Promise<PurchasersPage> {
      const sales = await providers.edd.listSales({ page: input.page, number: input.pageSize });
      const purchases = sales.filter(
        (sale) =>
          COMPLETE_STATUSES.has(sale.status.toLowerCase()) &&
          sale.products.some((p) => p.id === input.productId),
      );
      // The page's distinct customers: from the worker's list read, or looked up a few at a time.
      const customers = await directory.find(purchases.map((sale) => sale.customer_id));
      const records = purchases.map((sale) => toRecord(sale, customers.get(sale.customer_id)));
      return { records, salesScanned: sales.length, done: sales.length < input.pageSize };
    },
  };
}

function toRecord(sale: EddSale, customer: CustomerNames | undefined): SourceRecord {
  const record: SourceRecord = {
    orderId: sale.ID,
    customerId: sale.customer_id,
    // The order's email is the buyer's address for this purchase; the customer's is a fallback.
    email: (sale.email || customer?.email || '').trim(),
    firstName: (customer?.firstName ?? '').trim(),
    lastName: (customer?.lastName ?? '').trim(),
  };
  if (!customer)
    record.sourceProblems = [`customer ${sale.customer_id} of order ${sale.ID} was not found in EDD`];
  return record;
}
