import { ApplicationFailure } from '@temporalio/workflow';
import type { PurchasersPage } from '../activities';
import { joined, SEAM_SCALES } from '../shared/sales-seams';
import { keepValid, type InvalidRecordReport, type SourceRecord } from '../shared/sync-types';
import { quick, source } from './sync-activities';

/** What joins a page to the next: see `shared/sales-seams.ts`. */
export interface PageJoin {
  tail: string[];
  orderIds: number[];
  /** The page was the list's last. */
  done?: boolean;
}

/** A page of the album's purchasers, joined to the page before and validated. */
export interface LoadedPage {
  page: PurchasersPage;
  valid: SourceRecord[];
  invalid: InvalidRecordReport[];
}

export interface SalesPagesOptions {
  campaign: string;
  productId: number;
  pageSize: number;
  /** An incremental run's watermark date: each page counts its sales at or before it. */
  watermarkDate?: string;
  /** `sync all`'s pass over the store (see `store-pass.ts`). */
  storePass?: string;
  /** Pages read at once: the one being handed over and the ones after it. */
  readAhead: number;
  /** The last page to read (`maxPages`), if any. */
  lastPage?: number;
  /** A continued run's join with the page before its first (from its resume). */
  before?: { page: number; join: PageJoin };
}

/**
 * The EDD side of a sync: pages of the album's purchasers, read ahead (EDD has no rate limit, so
 * the next pages are read while this one is handed over) and handed over strictly in page order,
 * each joined to the page before by its seam (orders that moved up a page are rescued from it) and
 * validated. The validation answers with verdicts only: the valid records are already here, and
 * need not pass through history a second time.
 */
export class SalesPages {
  /** Each page's last order numbers and its purchases' orders, once the page is final. */
  private readonly joins = new Map<number, Promise<PageJoin>>();
  private readonly loading = new Map<number, Promise<LoadedPage>>();

  constructor(private readonly opts: SalesPagesOptions) {
    if (opts.before) this.joins.set(opts.before.page, Promise.resolve(opts.before.join));
  }

  /** Page `page`, read, joined and validated; the pages after it are read meanwhile. */
  async take(page: number): Promise<LoadedPage> {
    const current = this.load(page);
    for (let next = page + 1; next < page + this.opts.readAhead; next++) {
      if (this.opts.lastPage === undefined || next <= this.opts.lastPage) void this.load(next);
    }
    const loaded = await current;
    this.loading.delete(page);
    this.joins.delete(page - 1);
    return loaded;
  }

  /** The join of page `page` (what a run continued at `page + 1` starts from). */
  joinOf(page: number): Promise<PageJoin | undefined> {
    return this.joins.get(page) ?? Promise.resolve(undefined);
  }

  private load(page: number): Promise<LoadedPage> {
    let pending = this.loading.get(page);
    if (!pending) {
      pending = this.loadPage(page);
      // A page read ahead past the end, a timeout or a continue-as-new is never used: its failure
      // must not count as unhandled.
      pending.catch(() => undefined);
      this.loading.set(page, pending);
    }
    return pending;
  }

  private async loadPage(page: number): Promise<LoadedPage> {
    const final = this.readJoined(page);
    const join = final.then((b) => ({
      tail: b.tail,
      orderIds: b.records.map((r) => r.orderId),
      done: b.done,
    }));
    // Awaited by the next page; a failure is this page's own, and handled there.
    join.catch(() => undefined);
    this.joins.set(page, join);
    const batch = await final;
    const records = batch.records;
    if (records.length === 0) return { page: batch, valid: [], invalid: [] };
    const checked = await quick.validateRecords({
      campaign: this.opts.campaign,
      records,
      returnValid: false,
    });
    return { page: batch, valid: keepValid(records, checked.invalidAt ?? []), invalid: checked.invalid };
  }

  /**
   * Reads a page and joins it to the page before; a seam that does not reach the page before (more
   * orders refunded between two reads than it absorbs) is read again larger.
   */
  private async readJoined(page: number): Promise<PurchasersPage> {
    const { productId, pageSize, watermarkDate, storePass } = this.opts;
    const read = (seamScale: number) =>
      source.fetchPurchasersPage({
        productId,
        page,
        pageSize,
        ...(seamScale > 1 ? { seamScale } : {}),
        ...(watermarkDate !== undefined ? { watermarkDate } : {}),
        ...(storePass !== undefined ? { storePass } : {}),
      });
    // The page is read at once (read-ahead); only joining it waits for the page before. If that
    // one fails, this read is never awaited: its own failure must not count as unhandled.
    const first = read(SEAM_SCALES[0]);
    first.catch(() => undefined);
    const before = page > 1 ? await this.joins.get(page - 1) : undefined;
    for (const [i, seamScale] of SEAM_SCALES.entries()) {
      const batch = i === 0 ? await first : await read(seamScale);
      // Past the end: the page before was the last, and this one holds nothing to join.
      if (before?.done) return { ...batch, records: [], seamRecords: [], done: true };
      if (!before || joined(before.tail, batch.seam)) {
        return { ...batch, records: [...rescuedFromSeam(batch, before), ...batch.records] };
      }
    }
    // More orders were refunded between two reads than the largest seam absorbs: stop rather
    // than miss a buyer (and, in mirror mode, remove one).
    throw ApplicationFailure.create({
      type: 'SalesListMovedError',
      nonRetryable: true,
      message:
        `EDD's sales list changed by more orders than the sync can follow between reading pages ${page - 1} ` +
        `and ${page} of ${this.opts.campaign} (orders refunded meanwhile): it stopped so that no buyer is missed ` +
        'and nobody is removed; what was written is kept. Run it again.',
    });
  }
}

/**
 * The purchases a page's seam holds that the page before missed: those after the last order of the
 * page before's tail that the seam holds (earlier ones are that page's, or older pages'), and not
 * among the page before's own purchases.
 */
export function rescuedFromSeam(
  batch: Pick<PurchasersPage, 'seam' | 'seamRecords'>,
  before: PageJoin | undefined,
): SourceRecord[] {
  if (!before || batch.seamRecords.length === 0) return [];
  const tail = new Set(before.tail);
  let lastKnown = -1;
  batch.seam.forEach((number, i) => {
    if (tail.has(number)) lastKnown = i;
  });
  const position = new Map(batch.seam.map((number, i) => [number, i]));
  const held = new Set(before.orderIds);
  return batch.seamRecords
    .filter((r) => (position.get(r.number) ?? -1) > lastKnown && !held.has(r.record.orderId))
    .map((r) => r.record);
}
