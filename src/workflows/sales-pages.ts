import { ApplicationFailure } from '@temporalio/workflow';
import type { FetchPurchasersInput, HeldSalesPage, PurchasersPage } from '../activities';
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

/**
 * A page of sales as the sync sees it: what joins it to the next and what the run counts, and its
 * purchases' orders (in a loaded page, the seam's rescued ones first), without their records.
 */
export type ReadPage = HeldSalesPage;

/** A page of the album's purchasers, joined to the page before and validated. */
export interface LoadedPage<V> {
  page: ReadPage;
  /** The valid records, or where they are kept. */
  valid: V;
  validCount: number;
  invalid: InvalidRecordReport[];
}

/**
 * Where a sync's pages are read and validated, and where their valid records are kept: in the
 * workflow (`activityPages`), or on the worker that read them (the list path's `HostPages`).
 */
export interface PageSource<V> {
  /** Reads a page (the last read of a page is the one validated). */
  read(input: FetchPurchasersInput): Promise<ReadPage>;
  /**
   * Validates the page last read as `page`, with the seam's purchases at `rescued` first; nothing
   * to validate when both are empty.
   */
  validate(
    page: number,
    read: ReadPage,
    rescued: number[],
    before: PageJoin | undefined,
  ): Promise<{ valid: V; validCount: number; invalid: InvalidRecordReport[] }>;
  /**
   * A read or validation failed because the worker holding the page is gone: get ready to load the
   * page again elsewhere (resolves once that can start), or rethrow.
   */
  recover?(err: unknown): Promise<void>;
}

/**
 * Pages read and validated by activities of the shared queue, their records kept in the workflow:
 * each page's records pass through history as the read's result and the validation's input.
 */
export function activityPages(campaign: string): PageSource<SourceRecord[]> {
  const read = new Map<number, PurchasersPage>();
  return {
    async read(input) {
      const page = await source.fetchPurchasersPage(input);
      read.set(input.page, page);
      const { records, seamRecords, ...facts } = page;
      return {
        ...facts,
        orderIds: records.map((r) => r.orderId),
        seamOrders: seamRecords.map((r) => ({ number: r.number, orderId: r.record.orderId })),
      };
    },
    async validate(page, facts, rescued) {
      const full = read.get(page);
      read.delete(page);
      if (!full || rescued.length + facts.orderIds.length === 0)
        return { valid: [], validCount: 0, invalid: [] };
      const records = [...rescued.map((i) => full.seamRecords[i]!.record), ...full.records];
      const checked = await quick.validateRecords({ campaign, records });
      const valid = keepValid(records, checked.invalidAt);
      return { valid, validCount: valid.length, invalid: checked.invalid };
    },
  };
}

export interface SalesPagesOptions<V> {
  campaign: string;
  source: PageSource<V>;
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
 * validated, where its source reads them (`PageSource`). A page whose worker was lost before it was
 * validated is read again.
 */
export class SalesPages<V> {
  /** Each page's last order numbers and its purchases' orders, once the page is final. */
  private readonly joins = new Map<number, Promise<PageJoin>>();
  private readonly loading = new Map<number, Promise<LoadedPage<V>>>();
  /** Each page's current loader: a loader of an older generation, superseded after a loss, stops. */
  private readonly generation = new Map<number, number>();

  constructor(private readonly opts: SalesPagesOptions<V>) {
    if (opts.before) this.joins.set(opts.before.page, Promise.resolve(opts.before.join));
  }

  /** Page `page`, read, joined and validated; the pages after it are read meanwhile. */
  async take(page: number): Promise<LoadedPage<V>> {
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

  private load(page: number): Promise<LoadedPage<V>> {
    let pending = this.loading.get(page);
    if (!pending) {
      let joined = this.expectJoin(page);
      const generation = (this.generation.get(page) ?? 0) + 1;
      this.generation.set(page, generation);
      pending = this.loadPage(
        page,
        () => this.generation.get(page) === generation,
        (join) => joined.resolve(join),
        () => (joined = this.expectJoin(page)),
      );
      // A page read ahead past the end, a timeout or a continue-as-new is never used: its failure
      // must not count as unhandled.
      pending.catch(() => undefined);
      // A page that fails fails the one after it too (it waits for this join).
      pending.catch((err: unknown) => joined.reject(err));
      this.loading.set(page, pending);
    }
    return pending;
  }

  /** A join of `page` to come: the next page waits for it. */
  private expectJoin(page: number): { resolve: (join: PageJoin) => void; reject: (err: unknown) => void } {
    let resolve!: (join: PageJoin) => void;
    let reject!: (err: unknown) => void;
    const join = new Promise<PageJoin>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Awaited by the next page; a failure is this page's own, and handled there.
    join.catch(() => undefined);
    this.joins.set(page, join);
    return { resolve, reject };
  }

  /**
   * Reads, joins and validates a page. The page's join is known once it is read (`joined`): the
   * next page joins to it while this one is validated. When its source lost it meanwhile (the
   * worker that read it is gone), it is read again elsewhere, and the pages after it, joined to
   * the read that was lost, are read again too (`rejoin` gives the page a new join to wait for).
   */
  private async loadPage(
    page: number,
    current: () => boolean,
    joined: (join: PageJoin) => void,
    rejoin: () => void,
  ): Promise<LoadedPage<V>> {
    const { source: pages } = this.opts;
    for (;;) {
      try {
        const { read, rescued, before } = await this.readJoined(page);
        // Superseded by a loader started after a loss: that one reads and validates the page.
        if (!current()) throw new SupersededLoad(page);
        const orderIds = [...rescued.map((i) => read.seamOrders[i]!.orderId), ...read.orderIds];
        joined({ tail: read.tail, orderIds, done: read.done });
        const checked = await pages.validate(page, read, rescued, before);
        return { page: { ...read, orderIds }, ...checked };
      } catch (err) {
        if (!pages.recover || err instanceof SupersededLoad || !current()) throw err;
        await pages.recover(err);
        if (!current()) throw new SupersededLoad(page);
        for (const later of [...this.loading.keys()]) {
          if (later > page) {
            this.loading.delete(later);
            this.joins.delete(later);
            // Its loader in flight stops at its next step: `take` starts another.
            this.generation.set(later, (this.generation.get(later) ?? 0) + 1);
          }
        }
        rejoin();
      }
    }
  }

  /**
   * Reads a page and joins it to the page before; a seam that does not reach the page before (more
   * orders refunded between two reads than it absorbs) is read again larger.
   */
  private async readJoined(
    page: number,
  ): Promise<{ read: ReadPage; rescued: number[]; before: PageJoin | undefined }> {
    const { productId, pageSize, watermarkDate, storePass, source: pages } = this.opts;
    const read = (seamScale: number) =>
      pages.read({
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
      if (before?.done) {
        return { read: { ...batch, orderIds: [], seamOrders: [], done: true }, rescued: [], before };
      }
      if (!before || joined(before.tail, batch.seam)) {
        return { read: batch, rescued: rescuedFromSeam(batch, before), before };
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

/** A page's loader replaced by another after a loss (never handed to the reading loop). */
class SupersededLoad extends Error {
  constructor(page: number) {
    super(`the load of page ${page} was superseded`);
  }
}

/**
 * The purchases a page's seam holds that the page before missed (their positions in the seam's
 * purchases): those after the last order of the page before's tail that the seam holds (earlier ones
 * are that page's, or older pages'), and not among the page before's own purchases.
 */
export function rescuedFromSeam(
  batch: Pick<ReadPage, 'seam' | 'seamOrders'>,
  before: PageJoin | undefined,
): number[] {
  if (!before || batch.seamOrders.length === 0) return [];
  const tail = new Set(before.tail);
  let lastKnown = -1;
  batch.seam.forEach((number, i) => {
    if (tail.has(number)) lastKnown = i;
  });
  const position = new Map(batch.seam.map((number, i) => [number, i]));
  const held = new Set(before.orderIds);
  const rescued: number[] = [];
  batch.seamOrders.forEach((r, i) => {
    if ((position.get(r.number) ?? -1) > lastKnown && !held.has(r.orderId)) rescued.push(i);
  });
  return rescued;
}
