import type { EddClient, EddSale } from '../providers';
import { seamWindow, tailLength, type SalesWindow } from '../shared/sales-seams';

/**
 * How a reader gets a window of the sales list: from EDD, or from a pass shared by several syncs
 * (`store-pass.ts`); `fresh` asks for EDD's answer now (a page read again because its seam did not
 * meet it).
 */
export type SalesLister = (window: SalesWindow, fresh: boolean) => Promise<EddSale[]>;

/** Every window read from EDD. */
export function listFrom(edd: Pick<EddClient, 'listSales'>): SalesLister {
  return (window) => edd.listSales(window);
}

/** Reads pages of EDD's sales list with their seams: see `src/shared/sales-seams.ts`. */

export interface SalesPage {
  /** The page's sales. */
  sales: EddSale[];
  /**
   * Sales of the seam that come before the page's first sale: they belong to the page before,
   * unless an order moved up across the boundary. Empty on page 1.
   */
  seamBefore: EddSale[];
  /** Every order number of the seam (to join with the page before's `tail`). Empty on page 1. */
  seam: string[];
  /** The page's last order numbers (for the next page's seam). */
  tail: string[];
  /** The page was short: the list ends here. */
  done: boolean;
}

/** Tries of a page whose own seam does not meet it (orders moved between the two reads). */
const WHOLE_PAGE_TRIES = 3;

export class ListMovedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListMovedError';
  }
}

/**
 * Reads page `page` of the sales list with its seam, both at once; if the seam does not meet the
 * page (more orders moved between the two reads than the seam absorbs), reads both again, up to
 * three times, then throws {@link ListMovedError} (a retryable failure of the page).
 */
export async function readSalesPage(
  list: SalesLister,
  page: number,
  pageSize: number,
  seamScale = 1,
): Promise<SalesPage> {
  for (let attempt = 1; ; attempt++) {
    const seamAt = page > 1 ? seamWindow((page - 1) * pageSize, pageSize, seamScale) : undefined;
    const fresh = attempt > 1;
    const [sales, seamSales] = await Promise.all([
      list({ page, number: pageSize }, fresh),
      seamAt ? list({ page: seamAt.page, number: seamAt.number }, fresh) : Promise.resolve([] as EddSale[]),
    ]);
    const done = sales.length < pageSize;
    const tail = sales.slice(-tailLength(pageSize)).map((s) => s.ID);
    if (!seamAt) return { sales, seamBefore: [], seam: [], tail, done };
    const onPage = new Set(sales.map((s) => s.ID));
    const meet = seamSales.findIndex((s) => onPage.has(s.ID));
    // Past the end of the list the page is empty, and the seam holds only the page before's end.
    if (meet >= 0 || sales.length === 0) {
      const seamBefore = meet >= 0 ? seamSales.slice(0, meet) : seamSales;
      return { sales, seamBefore, seam: seamSales.map((s) => s.ID), tail, done };
    }
    if (attempt >= WHOLE_PAGE_TRIES) {
      throw new ListMovedError(
        `EDD's sales list moved by more than ${seamAt.before} orders between two reads of page ${page}, ` +
          `${WHOLE_PAGE_TRIES} times: the page is read again later`,
      );
    }
  }
}
