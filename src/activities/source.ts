import type { EddCustomer, EddSale } from '../providers';
import type { SourceRecord } from '../shared/sync-types';
import { mapWithConcurrency } from './concurrency';
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

export function sourceActivities({ providers, eddConcurrency = 8 }: ActivityDeps) {
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
      // One look-up per distinct customer of the page, a few at a time.
      const customerIds = [...new Set(purchases.map((sale) => sale.customer_id))];
      const found = await mapWithConcurrency(customerIds, eddConcurrency, (id) =>
        providers.edd.getCustomer(id),
      );
      const customers = new Map(customerIds.map((id, i) => [id, found[i]]));
      const records = purchases.map((sale) => toRecord(sale, customers.get(sale.customer_id)));
      return { records, salesScanned: sales.length, done: sales.length < input.pageSize };
    },
  };
}

function toRecord(sale: EddSale, customer: EddCustomer | undefined): SourceRecord {
  const record: SourceRecord = {
    orderId: sale.ID,
    customerId: sale.customer_id,
    // The order's email is the buyer's address for this purchase; the customer's is a fallback.
    email: (sale.email || customer?.info.email || '').trim(),
    firstName: (customer?.info.first_name ?? '').trim(),
    lastName: (customer?.info.last_name ?? '').trim(),
  };
  if (!customer)
    record.sourceProblems = [`customer ${sale.customer_id} of order ${sale.ID} was not found in EDD`];
  return record;
}
