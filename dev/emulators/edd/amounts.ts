/**
 * MySQL returns DECIMAL(18,9) columns as strings with all nine decimals, and EDD 3 passes order
 * amounts through untouched: a 12.99 order total arrives as `"12.990000000"`.
 */
export function mysqlDecimal(amount: number): string {
  return amount.toFixed(9);
}
