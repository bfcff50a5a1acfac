/**
 * Both providers are PHP applications; these reproduce PHP's conversions where they change what a
 * request means (a page number, a numeric field value).
 */

/** PHP `is_numeric()`: optional surrounding whitespace, sign, decimals and exponent. */
export function isPhpNumeric(text: string): boolean {
  return /^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$/.test(text);
}

/** PHP's string-to-int in arithmetic: the leading integer, 0 when there is none (`'5x'` → 5, `'x'` → 0). */
export function phpInt(text: string): number {
  const match = /^\s*([+-]?\d+)/.exec(text);
  return match ? Number.parseInt(match[1]!, 10) : 0;
}
