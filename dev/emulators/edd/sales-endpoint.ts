import type { DemoSale } from '../demo-data';
import { phpInt } from '../shared/php';
import { mysqlDecimal } from './amounts';
import { pageParam } from './paging';
import type { EddStore } from './store';

const DEFAULT_PER_PAGE = 10;

function saleJson(store: EddStore, sale: DemoSale): unknown {
  const itemIds = store.itemIdsOf(sale);
  // Everything read from the orders tables is a MySQL string, amounts with nine decimals.
  return {
    // `Order::get_number()`: the database ID, or with sequential numbers on, prefix + n + postfix.
    ID: store.numberOf(sale),
    mode: 'live',
    status: sale.status,
    transaction_id: sale.transactionId,
    key: sale.key,
    subtotal: mysqlDecimal(sale.subtotal),
    tax: mysqlDecimal(sale.tax),
    total: mysqlDecimal(sale.total),
    gateway: sale.gateway,
    customer_id: String(sale.customerId),
    user_id: String(sale.userId),
    email: sale.email,
    // `date` is in the site's timezone and `date_utc` in UTC; the demo store runs in UTC.
    date: sale.date,
    date_utc: sale.date,
    products: sale.products.map((item, i) => ({
      object_id: String(itemIds[i] ?? 0),
      id: String(item.id),
      quantity: String(item.quantity),
      name: item.name,
      price: mysqlDecimal(item.price),
      price_name: item.priceName,
    })),
    fees: null,
    discounts: null,
  };
}

/**
 * Paging as EDD 3 really does it: the query layer takes `absint(number)` as LIMIT and `absint(offset)`,
 * with 0 meaning "no limit". So `number=-1` returns ONE sale per page (not all of them), and
 * `number=0` returns all.
 */
function page(rows: DemoSale[], query: URLSearchParams): DemoSale[] {
  const raw = query.get('number');
  const perPage = raw === null ? DEFAULT_PER_PAGE : phpInt(raw);
  const limit = Math.abs(perPage);
  const offset = Math.abs((pageParam(query) - 1) * perPage);
  return limit === 0 ? rows.slice(offset) : rows.slice(offset, offset + limit);
}

/** `GET /edd-api/v2/sales`, reproducing EDD_API_V2::get_recent_sales(). */
export function salesEndpoint(store: EddStore, query: URLSearchParams): Record<string, unknown> {
  let rows: DemoSale[];
  if (query.has('id')) {
    // A single order by database ID (not its number) is found whatever its status, refunded
    // included. An unknown ID gives `false`, which EDD 3.3.9 and later filter out: no `sales` key.
    const sale = store.sale(phpInt(query.get('id') ?? ''));
    rows = sale ? [sale] : [];
  } else if (query.has('purchasekey')) {
    const sale = store.saleWithKey(query.get('purchasekey') ?? '');
    rows = sale ? [sale] : [];
  } else if (query.has('email')) {
    rows = page(store.netSalesOfEmail(query.get('email') ?? ''), query);
  } else {
    rows = page(store.netSalesDesc, query);
  }
  // An empty result leaves out the `sales` key altogether (the response is then only request_speed).
  return rows.length === 0 ? {} : { sales: rows.map((s) => saleJson(store, s)) };
}
