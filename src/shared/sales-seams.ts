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

/** Size of a seam: enough rows either side of a boundary to absorb the orders that move meanwhile. */
export function seamSize(pageSize: number): number {
  return Math.max(8, Math.ceil(pageSize / 4));
}

/**
 * A window holding rows on both sides of offset `boundary` (the first row of a page), at least a
 * third of `seamSize` on each side (or `boundary` rows, if fewer). EDD's offsets are multiples of the
 * window's size, so the size is searched upward from the target until one fits; one always does by
 * `2·boundary + 1` (a window from offset 0).
 */
export function seamWindow(boundary: number, pageSize: number): SalesWindow & { before: number } {
  const target = seamSize(pageSize);
  // Near the top of the list a window from offset 0 does: `boundary` rows either side.
  if (target > 2 * boundary) return { page: 1, number: 2 * boundary, before: boundary };
  const margin = Math.max(1, Math.min(Math.floor(target / 3), boundary));
  for (let size = target; ; size++) {
    const start = Math.floor((boundary - Math.floor(size / 2)) / size) * size;
    const before = boundary - start;
    const after = start + size - boundary;
    if (start >= 0 && before >= margin && after >= margin)
      return { page: start / size + 1, number: size, before };
  }
}

/** How many of a page's last order numbers travel with it, to join it with the next page's seam. */
export function tailLength(pageSize: number): number {
  return Math.min(pageSize, 3 * seamSize(pageSize));
}

/** Whether a page's seam meets the page before (through that page's tail). */
export function joined(previousTail: readonly string[], seam: readonly string[]): boolean {
  const tail = new Set(previousTail);
  return seam.some((id) => tail.has(id));
}
