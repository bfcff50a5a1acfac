/**
 * EDD order numbers and the `<CAMPAIGN>_PURCHASE` field.
 *
 * EDD's v2 sales show each order's *number* as `ID` (`Order::get_number()`): the database ID by
 * default, or with the store's "sequential order numbers" setting on, `prefix + n + postfix`
 * (`EDD-1042`), where n counts up as orders are created. The purchase field is a MailerLite number
 * field, so it holds the number's n: the whole number when it is numeric, otherwise the number
 * without the store's prefix and postfix (`EDD_ORDER_NUMBER_PREFIX`, `EDD_ORDER_NUMBER_POSTFIX`),
 * as EDD's own `Number::unformat()` does; when those are not set, the only run of digits in it.
 * A number that gives no n (`INV2024-1042` with no prefix set) makes its record invalid, reported
 * with what to set. Transitions find the order again by the member's email and this n, never by
 * `sales?id=` (which takes the database ID).
 */
export interface OrderNumberFormat {
  prefix: string;
  postfix: string;
}

export const NO_ORDER_NUMBER_FORMAT: OrderNumberFormat = { prefix: '', postfix: '' };

export function orderNumberValue(
  number: string,
  format: OrderNumberFormat = NO_ORDER_NUMBER_FORMAT,
): { value: number } | { problem: string } {
  const text = number.trim();
  let rest = text;
  if (format.prefix && rest.startsWith(format.prefix)) rest = rest.slice(format.prefix.length);
  if (format.postfix && rest.endsWith(format.postfix))
    rest = rest.slice(0, rest.length - format.postfix.length);
  let digits: string | undefined = /^\d+$/.test(rest) ? rest : undefined;
  if (digits === undefined && !format.prefix && !format.postfix) {
    const runs = rest.match(/\d+/g) ?? [];
    if (runs.length === 1) digits = runs[0];
  }
  const value = digits === undefined ? NaN : Number(digits);
  if (!Number.isSafeInteger(value) || value <= 0) {
    const set = format.prefix || format.postfix;
    return {
      problem:
        `order number '${text.slice(0, 40)}' gives no order number for the purchase field: ` +
        (set
          ? `it is not EDD_ORDER_NUMBER_PREFIX '${format.prefix}' + digits + EDD_ORDER_NUMBER_POSTFIX '${format.postfix}'; ` +
            "set them to the store's sequential order number prefix and postfix"
          : "set EDD_ORDER_NUMBER_PREFIX and EDD_ORDER_NUMBER_POSTFIX to the store's sequential order number prefix and postfix"),
    };
  }
  return { value };
}
