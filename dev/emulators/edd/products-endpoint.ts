import type { DemoProduct } from '../demo-data';
import { parseSqlDateTime } from '../shared/dates';
import { phpInt } from '../shared/php';
import type { EddCapability } from './auth';
import { pageParam } from './paging';
import type { EddStore } from './store';

const DEFAULT_PER_PAGE = 10;
const THIRTY_DAYS_MS = 30 * 86_400_000;

export interface ProductsContext {
  /** Site URL used in `link` and `permalink`. */
  siteUrl: string;
  /**
   * The capabilities of the key's user; none for a public request (products are public). EDD adds
   * `stats` only for `view_shop_reports` and `notes` (and `files`, when there are any) only for
   * `view_shop_sensitive_data` (EDD_API::get_product_data()).
   */
  capabilities: ReadonlySet<EddCapability>;
}

function productJson(store: EddStore, product: DemoProduct, ctx: ProductsContext): unknown {
  const json: Record<string, unknown> = {
    info: {
      // WP_Post casts its ID to int, unlike EDD's own tables.
      id: product.id,
      slug: product.slug,
      title: product.title,
      create_date: product.createDate,
      modified_date: product.createDate,
      status: 'publish',
      link: `${ctx.siteUrl}/?post_type=download&p=${product.id}`,
      permalink: `${ctx.siteUrl}/downloads/${product.slug}/`,
      content: '',
      excerpt: '',
      thumbnail: false,
      category: false,
      tags: false,
    },
  };
  if (ctx.capabilities.has('view_shop_reports')) {
    const totals = store.productTotalsOf(product.id);
    const months = Math.floor((Date.now() - parseSqlDateTime(product.createDate)) / THIRTY_DAYS_MS);
    const earnings = totals.earningsCents / 100;
    // Sales and earnings are post meta, hence strings; the monthly averages are PHP arithmetic on them.
    json.stats = {
      total: { sales: String(totals.sales), earnings: earnings.toFixed(2) },
      monthly_average: {
        sales: months > 0 ? totals.sales / months : String(totals.sales),
        earnings: months > 0 ? earnings / months : earnings.toFixed(2),
      },
    };
  }
  json.pricing = { amount: product.price.toFixed(2) };
  // The demo products have no files and no notes: `files` is left out, `notes` is EDD's empty string.
  if (ctx.capabilities.has('view_shop_sensitive_data')) json.notes = '';
  return json;
}

/** WP_Query's `posts_per_page`: -1 is all, 0 becomes 1, below -1 its absolute value. */
function perPage(query: URLSearchParams): number {
  const raw = query.get('number');
  const n = raw === null ? DEFAULT_PER_PAGE : phpInt(raw);
  if (n === 0) return 1;
  return n < -1 ? -n : n;
}

/** `GET /edd-api/v2/products`, reproducing EDD_API_V2::get_products() for the parameters the emulator supports. */
export function productsEndpoint(
  store: EddStore,
  query: URLSearchParams,
  ctx: ProductsContext,
): Record<string, unknown> {
  const productId = Math.abs(phpInt(query.get('product') ?? ''));
  if (productId > 0) {
    const product = store.product(productId);
    if (!product) return { error: `Product ${productId} not found!` };
    return { products: [productJson(store, product, ctx)] };
  }
  let rows = store.productsByDateDesc;
  const search = query.get('s')?.toLowerCase();
  if (search) rows = rows.filter((p) => p.title.toLowerCase().includes(search));
  if (query.get('order')?.toUpperCase() === 'ASC') rows = [...rows].reverse();
  const size = perPage(query);
  const pageRows = size === -1 ? rows : rows.slice((pageParam(query) - 1) * size, pageParam(query) * size);
  // Past the last page the list is simply empty: `{"products": []}`.
  return { products: pageRows.map((p) => productJson(store, p, ctx)) };
}
