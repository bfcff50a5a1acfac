import { joined, MAX_SEAM, seamSize, seamWindow, tailLength } from '../../src/shared/sales-seams';
import { orderNumberValue } from '../../src/shared/order-number';
import { isPurchase, orderStanding } from '../../src/shared/order-status';

/**
 * A model of EDD's sales list (newest first, offset paging) that changes between reads, to check
 * the seam rule itself: every order listed throughout is read, whatever moves between two reads.
 */
function windowRows(list: readonly number[], w: { page: number; number: number }): number[] {
  const start = (w.page - 1) * w.number;
  return list.slice(start, start + w.number);
}

describe('seam windows', () => {
  it.each([1, 2, 5, 10, 25, 100, 250, 1000])(
    'straddle every page boundary at page size %i, with EDD-valid offsets',
    (pageSize) => {
      for (let page = 2; page < 400; page++) {
        const boundary = (page - 1) * pageSize;
        for (const scale of [1, 4, 16]) {
          const w = seamWindow(boundary, pageSize, scale);
          const start = (w.page - 1) * w.number;
          expect(start).toBeGreaterThanOrEqual(0);
          expect(start).toBeLessThan(boundary);
          expect(start + w.number).toBeGreaterThan(boundary);
          expect(w.before).toBe(boundary - start);
          expect(w.number).toBeLessThanOrEqual(2 * Math.max(2 * boundary, MAX_SEAM));
          // At least half of the target lies before the boundary (or all rows above it).
          const target = Math.min(seamSize(pageSize) * scale, MAX_SEAM);
          expect(w.before).toBeGreaterThanOrEqual(Math.min(Math.ceil(target / 2), boundary));
        }
      }
    },
  );

  it('joins two reads only through an order they share', () => {
    expect(joined(['9', '8', '7'], ['7', '6', '5'])).toBe(true);
    expect(joined(['9', '8', '7'], ['6', '5'])).toBe(false);
    expect(joined([], ['1'])).toBe(false);
    expect(tailLength(100)).toBe(seamSize(100));
    expect(tailLength(4)).toBe(4);
  });

  it('loses no order that stays listed while refunds move rows up between a page and its seam', () => {
    const pageSize = 50;
    // Orders 1..2000, newest first; before the seam of each page is read, 6 newer orders go.
    let list = Array.from({ length: 2000 }, (_, i) => 2000 - i);
    const refunded = new Set<number>();
    const read = new Set<number>();
    let previousTail: number[] = [];
    for (let page = 1; ; page++) {
      const rows = windowRows(list, { page, number: pageSize });
      if (page > 1) {
        // Refunds above the boundary, between reading the page before and this seam.
        const above = list.slice(0, (page - 1) * pageSize);
        for (const order of above.filter((o) => !refunded.has(o)).slice(0, 6)) refunded.add(order);
        list = list.filter((o) => !refunded.has(o));
        const seam = windowRows(list, seamWindow((page - 1) * pageSize, pageSize));
        expect(joined(previousTail.map(String), seam.map(String))).toBe(true);
        const last = Math.max(...seam.map((o, i) => (previousTail.includes(o) ? i : -1)));
        for (const o of seam.slice(last + 1)) read.add(o);
      }
      const current = windowRows(list, { page, number: pageSize });
      for (const o of page === 1 ? rows : current) read.add(o);
      previousTail = (page === 1 ? rows : current).slice(-tailLength(pageSize));
      if ((page === 1 ? rows : current).length < pageSize) break;
    }
    const stayed = list.filter((o) => !refunded.has(o));
    expect(stayed.filter((o) => !read.has(o))).toEqual([]);
  });
});

describe('order numbers and statuses', () => {
  it('gives the n of a number: whole, without the configured prefix and postfix, or its only digits', () => {
    expect(orderNumberValue('1042')).toEqual({ value: 1042 });
    expect(orderNumberValue('EDD-1042')).toEqual({ value: 1042 });
    expect(orderNumberValue('1042-SHOP')).toEqual({ value: 1042 });
    expect(orderNumberValue('INV2024-7/A', { prefix: 'INV2024-', postfix: '/A' })).toEqual({ value: 7 });
  });

  it('refuses a number with no single n, saying which settings to set or that they do not fit', () => {
    expect(orderNumberValue('INV2024-7')).toEqual({
      problem: expect.stringMatching(
        /^order number 'INV2024-7' gives no order number .* set EDD_ORDER_NUMBER_PREFIX/,
      ) as unknown,
    });
    expect(orderNumberValue('OLD-55/B', { prefix: 'INV-', postfix: '' })).toEqual({
      problem: expect.stringMatching(/it is not EDD_ORDER_NUMBER_PREFIX 'INV-' \+ digits/) as unknown,
    });
    expect(orderNumberValue('0')).toHaveProperty('problem');
    expect(orderNumberValue('')).toHaveProperty('problem');
  });

  it('has one rule per status', () => {
    expect(['complete', 'publish', 'partially_refunded', 'Complete'].every(isPurchase)).toBe(true);
    expect(orderStanding('on_hold')).toBe('on-hold');
    for (const status of ['revoked', 'refunded', 'pending', 'processing', 'failed', 'abandoned', ''])
      expect(orderStanding(status)).toBe('not-a-purchase');
  });
});
