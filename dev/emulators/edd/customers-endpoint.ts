import type { DemoCustomer } from '../demo-data';
import { parseSqlDateTime } from '../shared/dates';
import { isPhpNumeric, phpInt } from '../shared/php';
import { isWordPressEmail } from './is-email';
import { pageParam } from './paging';
import type { EddStore } from './store';

/** EDD's v2 customers query cannot take -1, so EDD turns a negative `number` into this. */
const ALL_CUSTOMERS = 99_999_999;
/** `number=0` is dropped by EDD's `array_filter`, leaving `edd_get_customers()`'s own default. */
const EDD_GET_CUSTOMERS_DEFAULT = 30;
const DEFAULT_PER_PAGE = 10;
const DAY_MS = 86_400_000;

/**
 * EDD splits the stored customer name at spaces: the first word is `first_name`, the rest
 * `last_name`. The demo stores `first + ' ' + last` trimmed, as EDD's checkout does.
 */
function splitName(customer: DemoCustomer): { first: string; last: string } {
  const names = `${customer.firstName} ${customer.lastName}`.trim().split(' ');
  const first = names[0] ?? '';
  const last = names[1] ? names.slice(1).join(' ') : '';
  return { first, last };
}

function customerJson(store: EddStore, customer: DemoCustomer): unknown {
  const { first, last } = splitName(customer);
  const totals = store.totalsOf(customer.id);
  const registered = customer.userId > 0;
  return {
    info: {
      // Database values reach the JSON as strings; a guest's user_id is the literal 0 EDD writes.
      customer_id: String(customer.id),
      user_id: registered ? String(customer.userId) : 0,
      username: registered ? customer.username : '',
      display_name: registered ? customer.displayName : '',
      first_name: first,
      last_name: last,
      email: customer.email,
      additional_emails: null,
      date_created: customer.dateCreated,
    },
    stats: {
      total_purchases: totals.purchaseCount,
      total_spent: totals.purchaseValueCents / 100,
      total_downloads: 0,
    },
  };
}

/** `date` filter on `date_created`: `today`, `yesterday`, or `range` with `startdate`/`enddate` (YYYYMMDD or YYYY-MM-DD). */
function dateRange(query: URLSearchParams): [number, number] | null {
  const date = query.get('date');
  if (!date) return null;
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  if (date === 'today') return [today, today + DAY_MS];
  if (date === 'yesterday') return [today - DAY_MS, today];
  if (date !== 'range') return null;
  const parse = (text: string | null): number | null => {
    const m = text ? /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(text) : null;
    return m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null;
  };
  const start = parse(query.get('startdate'));
  const end = parse(query.get('enddate'));
  return [start ?? Number.NEGATIVE_INFINITY, end === null ? Number.POSITIVE_INFINITY : end + DAY_MS];
}

/** `GET /edd-api/v2/customers`, reproducing EDD_API_V2::get_customers(). */
export function customersEndpoint(store: EddStore, query: URLSearchParams): Record<string, unknown> {
  const raw = query.get('number');
  const requested = raw === null ? DEFAULT_PER_PAGE : phpInt(raw);
  const perPage = requested < 0 ? ALL_CUSTOMERS : requested;
  const offset = perPage * (pageParam(query) - 1);
  const limit = perPage === 0 ? EDD_GET_CUSTOMERS_DEFAULT : perPage;

  let candidates: DemoCustomer[] = store.customersDesc;
  let byCustomer = false;
  // PHP's empty() treats '0' as absent.
  const filter = query.get('customer') === '0' ? null : query.get('customer');
  // A value that is neither numeric nor an email is ignored by EDD: the request lists everyone.
  if (filter && isPhpNumeric(filter)) {
    byCustomer = true;
    const found = store.customer(Number(filter));
    candidates = found ? [found] : [];
  } else if (filter && isWordPressEmail(filter)) {
    byCustomer = true;
    const found = store.customerByEmailAddress(filter);
    candidates = found ? [found] : [];
  }
  const range = dateRange(query);
  if (range) {
    const [from, to] = range;
    candidates = candidates.filter((c) => {
      const ms = parseSqlDateTime(c.dateCreated);
      return ms >= from && ms < to;
    });
  }

  const page = candidates.slice(offset, offset + limit);
  if (page.length === 0) {
    // Past the last page EDD answers HTTP 200 with an error body, not an empty list.
    return { error: byCustomer ? 'Customer not found!' : 'No customers found!' };
  }
  return { customers: page.map((c) => customerJson(store, c)) };
}
