import { parseDuration } from './duration';

/**
 * An incremental run's lookback, in pure functions (the sync workflow runs them): EDD's sales list
 * has no "since" filter and orders keep the number they got when created, so a run reads on past
 * the watermark by a number of orders and a span of order dates.
 */

/** What a lookback is made of: a span of order dates, and a least number of orders. */
export interface Lookback {
  lookback: string;
  lookbackOrders: number;
}

/** An EDD date (`YYYY-MM-DD HH:MM:SS`, UTC) less a duration, in the same form. */
export function dateMinus(date: string, duration: string): string {
  const ms = Date.parse(`${date.replace(' ', 'T')}Z`) - parseDuration(duration);
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Whether a page lies within the lookback of the newest order read (what the next incremental run
 * will read again below its watermark): among the first `lookbackOrders` sales, or dated after the
 * newest order's date less `lookback`.
 */
export function withinLookback(
  lookback: Lookback,
  page: { oldestDate?: string },
  salesBefore: number,
  newestDate: string | undefined,
): boolean {
  return (
    newestDate !== undefined &&
    (salesBefore < lookback.lookbackOrders ||
      (page.oldestDate ?? '') >= dateMinus(newestDate, lookback.lookback))
  );
}

/**
 * Whether an incremental run has read back far enough: `lookbackOrders` sales past the watermark,
 * and a page ending with a sale dated before `cutoff` (the watermark's date less the lookback).
 */
export function pastLookback(
  lookback: Lookback,
  readPast: number,
  page: { oldestDate?: string },
  cutoff: string,
): boolean {
  return readPast >= lookback.lookbackOrders && page.oldestDate !== undefined && page.oldestDate < cutoff;
}
