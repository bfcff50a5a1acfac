/**
 * Reading EDD's sales list while the store keeps selling.
 *
 * The list is newest first and paged by offset (`number`, `page`), so it moves under a reader: a new
 * order pushes every row one place down (a row is read twice, which is harmless), and a refund takes
 * a row out, moving every later row one place up, so the row at the next page's boundary would never
 * be read. To see that, each page after the first comes with a *seam*: a small window read at the
 * same time that straddles the boundary with the page before. A page is whole when its seam shares
 * an order with it; two pages are joined when the seam also shares an order with the page before
 * (the last orders of which travel with it as its `tail`). Rows of the seam before the page's first
 * row are read here too, so an order that moved up across the boundary is not lost. Reads that happen
 * at different moments still chain: between two windows that share an order, no order that stayed in
 * the list can fall out.
 */

/** One request's window: EDD takes `number` as the size and `page` from 1 (offset (page-1)·number). */
export interface SalesWindow {
  page: number;
  number: number;
}

/** The largest seam asked for (the window found may be up to twice as large). */
export const MAX_SEAM = 1000;

/** Size of a seam: enough rows before a boundary to absorb the orders refunded meanwhile. */
export function seamSize(pageSize: number): number {
  return Math.max(16, Math.ceil(pageSize / 4));
}

/**
 * A window across offset `boundary` (the first row of a page): at least half of it before the
 * boundary, where refunds between two reads move rows (it absorbs that many minus one), and at
 * least an eighth after it, to meet the page itself (read at the same moment). EDD's offsets are
 * multiples of the window's size, so sizes are tried upward from `seamSize` until one fits; near
 * the top of the list, a window from offset 0.
 */
export function seamWindow(boundary: number, pageSize: number, scale = 1): SalesWindow & { before: number } {
  // At most MAX_SEAM rows, so a larger seam stays one quick request.
  const target = Math.min(seamSize(pageSize) * scale, MAX_SEAM);
  if (target > boundary) return { page: 1, number: 2 * boundary, before: boundary };
  for (let size = target; ; size++) {
    const minBefore = Math.ceil(size / 2);
    const minAfter = Math.max(1, Math.floor(size / 8));
    const start = Math.floor((boundary - minBefore) / size) * size;
    const before = boundary - start;
    if (start >= 0 && size - before >= minAfter) return { page: start / size + 1, number: size, before };
  }
}

/**
 * How many of a page's last order numbers travel with it, to join it with the next page's seam: a
 * seam reaching back past the orders refunded meanwhile holds the last of them.
 */
export function tailLength(pageSize: number): number {
  return Math.min(pageSize, seamSize(pageSize));
}

/**
 * Seams tried for one page, each larger: when a seam does not reach back to the page before (more
 * orders were refunded between the two reads than it absorbs), the page is read again with the next.
 */
export const SEAM_SCALES = [1, 4, 16] as const;

/** Whether a page's seam meets the page before (through that page's tail). */
export function joined(previousTail: readonly string[], seam: readonly string[]): boolean {
  const tail = new Set(previousTail);
  return seam.some((id) => tail.has(id));
}
