import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import type { EddSale } from '../providers';
import { orderNumberValue, type OrderNumberFormat } from '../shared/order-number';
import { isPurchase } from '../shared/order-status';
import { listFrom, ListMovedError, readSalesPage, type SalesLister } from './sales-reader';
import { StorePassSpool } from './store-pass';
import { heldOrdersStillCount } from './order-lookup';
import type { SourceRecord } from '../shared/sync-types';
import { CustomerDirectory, type CustomerNames } from './customer-directory';
import type { ActivityDeps } from './deps';

export interface PurchasersPage {
  /**
   * The campaign's purchases on this page of sales: every order of the album whose status counts as
   * a purchase (`src/shared/order-status.ts`).
   */
  records: SourceRecord[];
  /**
   * Purchases read in the page's seam before its first sale, with their order numbers (as EDD shows
   * them): the sync keeps those that the page before did not hold (orders that moved up a page).
   */
  seamRecords: { number: string; record: SourceRecord }[];
  /** Every order number of the seam, and the page's last ones: see `sales-reader.ts`. */
  seam: string[];
  tail: string[];
  /** On page 1, the newest order listed (EDD's number) and its date (UTC): the sync reads up to it. */
  newest?: string;
  newestDate?: string;
  /** The date (UTC) of the page's oldest sale; absent on an empty page. */
  oldestDate?: string;
  /** Sales of the page dated at or before `watermarkDate` (an incremental run's count past it). */
  pastWatermark: number;
  /** Sales read on this page (of every product), seam not included. */
  salesScanned: number;
  /** True when this was the last page of sales. */
  done: boolean;
}

export interface FetchPurchasersInput {
  productId: number;
  page: number;
  pageSize: number;
  /** A larger seam, for a page read again because its seam did not reach the page before. */
  seamScale?: number;
  /** An incremental run's watermark date: the page counts its sales at or before it. */
  watermarkDate?: string;
  /** `sync all`'s pass over the store this page belongs to: read from its spool when there. */
  storePass?: string;
}

export function sourceActivities(deps: ActivityDeps) {
  const {
    providers,
    logger,
    eddConcurrency = 8,
    customerLookup = 'auto',
    customerList,
    orderNumberFormat,
  } = deps;
  // One per worker: the pages of `sync all`'s passes over the store (see store-pass.ts).
  const spool = new StorePassSpool();
  const fromEdd = listFrom(providers.edd);
  const lister = (pass: string | undefined): SalesLister =>
    pass === undefined
      ? fromEdd
      : (window, fresh) =>
          fresh
            ? spool.refresh(pass, window, () => providers.edd.listSales(window))
            : spool.window(pass, window, () => providers.edd.listSales(window));
  // One per worker: a list of customers read for one page serves the pages after it.
  const directory = new CustomerDirectory({
    edd: providers.edd,
    mode: customerLookup,
    concurrency: eddConcurrency,
    logger,
    ...customerList,
  });
  return {
    /** Deletes a pass's windows on this worker (the end of a `sync all`; other workers' expire). */
    async endStorePass(input: { storePass: string }): Promise<void> {
      await spool.end(input.storePass);
    },

    /**
     * Whether each subscriber's purchase field still names a purchase of the album in EDD (see
     * `heldOrdersStillCount`): asked by a sync before it keeps a newer order the field holds.
     */
    async checkHeldOrders(input: HeldOrdersInput): Promise<boolean[]> {
      return heldOrdersStillCount(deps, input.productId, input.checks, () => heartbeat());
    },

    /**
     * Reads one page of EDD sales and returns the campaign album's purchasers on it, with names
     * from their customer records. Only the page number travels between steps, never the dataset.
     */
    async fetchPurchasersPage(input: FetchPurchasersInput): Promise<PurchasersPage> {
      const list = lister(input.storePass);
      const page = await readSalesPage(list, input.page, input.pageSize, input.seamScale).catch(
        (err: unknown) => {
          throw err instanceof ListMovedError ? ApplicationFailure.retryable(err.message, err.name) : err;
        },
      );
      const isAlbumPurchase = (sale: EddSale) =>
        isPurchase(sale.status) && sale.products.some((p) => p.id === input.productId);
      const purchases = page.sales.filter(isAlbumPurchase);
      const seamPurchases = page.seamBefore.filter(isAlbumPurchase);
      // The page's distinct customers: from the worker's list read, or looked up a few at a time.
      const customers = await directory.find(
        [...purchases, ...seamPurchases].map((sale) => sale.customer_id),
      );
      const record = (sale: EddSale) => toRecord(sale, customers.get(sale.customer_id), orderNumberFormat);
      return {
        records: purchases.map(record),
        seamRecords: seamPurchases.map((sale) => ({ number: sale.ID, record: record(sale) })),
        seam: page.seam,
        tail: page.tail,
        ...(input.page === 1 && page.sales[0]
          ? { newest: page.sales[0].ID, newestDate: saleDate(page.sales[0]) }
          : {}),
        ...(page.sales.length > 0 ? { oldestDate: saleDate(page.sales[page.sales.length - 1]!) } : {}),
        pastWatermark:
          input.watermarkDate === undefined
            ? 0
            : page.sales.filter((sale) => saleDate(sale) <= input.watermarkDate!).length,
        salesScanned: page.sales.length,
        done: page.done,
      };
    },
  };
}

/** A sale's creation time in UTC, `YYYY-MM-DD HH:MM:SS` (sorts as text). */
function saleDate(sale: EddSale): string {
  return sale.date_utc || sale.date;
}

export interface HeldOrdersInput {
  productId: number;
  checks: { email: string; orderId: number }[];
}

function toRecord(
  sale: EddSale,
  customer: CustomerNames | undefined,
  format: OrderNumberFormat | undefined,
): SourceRecord {
  const number = orderNumberValue(sale.ID, format);
  const record: SourceRecord = {
    orderId: 'value' in number ? number.value : 0,
    customerId: sale.customer_id,
    // The order's email is the buyer's address for this purchase; the customer's is a fallback.
    email: (sale.email || customer?.email || '').trim(),
    firstName: (customer?.firstName ?? '').trim(),
    lastName: (customer?.lastName ?? '').trim(),
  };
  const problems = 'problem' in number ? [number.problem] : [];
  if (!customer) problems.push(`customer ${sale.customer_id} of order ${sale.ID} was not found in EDD`);
  if (problems.length > 0) record.sourceProblems = problems;
  return record;
}
