import { z } from 'zod';
import type { EddCredentials } from '../config';
import {
  ProviderNotFoundError,
  ProviderPermissionError,
  ProviderRequestError,
  ProviderTransientError,
} from '../shared/errors';
import type { ContractPage, ContractSubscriber, SubscriberSource } from './contract';
import {
  infoPermissionsOf,
  judgeEddPermissions,
  missingCapabilities,
  missingCapabilitiesMessage,
  type EddPermissionEvidence,
  type EddPermissions,
} from './edd-permissions';
import { HttpClient, parseResponse, type RequestObservation } from './http';

/** EDD sends numbers as strings in places (values come from WordPress meta); accept both. */
const id = z.coerce.number().int();
const text = z
  .string()
  .nullish()
  .transform((v) => v ?? '');

export const EddCustomerSchema = z.object({
  info: z.object({
    customer_id: id,
    user_id: z.coerce.number().int().nullish(),
    username: text,
    display_name: text,
    first_name: text,
    last_name: text,
    email: text,
    date_created: text,
  }),
});
export type EddCustomer = z.output<typeof EddCustomerSchema>;

/** Only what a sync needs of a listed customer: checked and kept field by field, the rest ignored. */
const EddCustomerNamesSchema = z.object({
  info: z.object({ customer_id: id, first_name: text, last_name: text, email: text }),
});
export interface EddCustomerNames {
  id: number;
  firstName: string;
  lastName: string;
  email: string;
}

export const EddSaleSchema = z.object({
  /** The order *number* (`EDD-1042` with sequential order numbers), not the database ID. */
  ID: z.union([z.string(), z.number()]).transform(String),
  status: text,
  customer_id: id,
  user_id: z.coerce.number().int().nullish(),
  email: text,
  date: text,
  /** The order's creation time in UTC (`date` is the site's time zone). */
  date_utc: text,
  products: z
    .array(z.object({ id: id, name: text, quantity: z.coerce.number().nullish(), price_name: text }))
    .nullish()
    .transform((v) => v ?? []),
});
export type EddSale = z.output<typeof EddSaleSchema>;

export const EddProductSchema = z.object({
  info: z.object({
    id: id,
    slug: text,
    title: text,
    create_date: text,
    status: text,
  }),
  /** Only for keys with `view_shop_reports`; `total.sales` is a string in EDD's answer. */
  stats: z
    .object({ total: z.object({ sales: z.coerce.number() }).partial().nullish() })
    .partial()
    .nullish(),
});
export type EddProduct = z.output<typeof EddProductSchema>;

export interface EddClientOptions {
  credentials: EddCredentials;
  timeoutMs: number;
  observe?: (o: RequestObservation) => void;
}

export interface PageRequest {
  /** Page number, from 1. */
  page: number;
  /** Page size (EDD's `number`). */
  number: number;
}

/**
 * Client of the EDD REST API v2 (`/edd-api/v2/...`). Auth is EDD's: `key` and `token` in the
 * query string, which is why the HTTP layer never puts a URL into an error.
 */
export class EddClient implements SubscriberSource {
  readonly provider = 'edd' as const;
  /** The store's address as configured (`EDD_BASE_URL`), for messages: it holds no credentials. */
  readonly baseUrl: string;
  private readonly http: HttpClient;

  constructor(options: EddClientOptions) {
    const { baseUrl, publicKey, token } = options.credentials;
    this.baseUrl = baseUrl;
    this.http = new HttpClient({
      provider: 'edd',
      baseUrl: `${baseUrl.replace(/\/+$/, '')}/edd-api/v2`,
      timeoutMs: options.timeoutMs,
      query: { key: publicKey, token },
      // A page of sales needs a customer look-up per buyer: a blip on one read should not fail the page.
      getRetries: 2,
      observe: options.observe,
    });
  }

  /**
   * Proves the URL, the key and the token are right (`GET /customers?number=1`), and that the key's
   * user may see sales and customers: EDD answers a user without `view_shop_reports` or
   * `view_shop_sensitive_data` with HTTP 200 and no data, which would read as a store without
   * purchasers. Two requests (customers, info), more only on a site that does not answer `info`.
   * @throws ProviderPermissionError naming each capability the user lacks and the roles that have it.
   */
  async validateConnection(): Promise<void> {
    const permissions = await this.readPermissions();
    const missing = missingCapabilities(permissions);
    if (missing.length > 0)
      throw new ProviderPermissionError('edd', missing, missingCapabilitiesMessage(permissions, missing));
  }

  /** What the key's user may see, told from EDD's answers (the rule is in edd-permissions.ts). */
  async readPermissions(): Promise<EddPermissions> {
    const evidence: EddPermissionEvidence = {
      customers: (await this.http.request('GET', '/customers', { query: { number: 1 } })).body,
    };
    evidence.infoPermissions = await this.readInfoPermissions();
    if (evidence.infoPermissions === undefined) {
      const { body } = await this.http.request<{ products?: unknown }>('GET', '/products', {
        query: { number: 1 },
      });
      const first: unknown = Array.isArray(body?.products) ? body.products[0] : undefined;
      evidence.product =
        typeof first === 'object' && first !== null ? (first as Record<string, unknown>) : null;
      if (evidence.product === null)
        evidence.sales = (await this.http.request('GET', '/sales', { query: { number: 1 } })).body;
    }
    return judgeEddPermissions(evidence);
  }

  /** `info.permissions` of `GET /info`, or undefined when the site refuses the query or answers otherwise. */
  private async readInfoPermissions(): Promise<Record<string, unknown> | undefined> {
    try {
      return infoPermissionsOf((await this.http.request('GET', '/info')).body);
    } catch (err) {
      // "Invalid query!" (400) where an extension removed the mode; other failures are real ones.
      if (err instanceof ProviderRequestError || err instanceof ProviderNotFoundError) return undefined;
      throw err;
    }
  }

  /**
   * The `key` list of an EDD query's answer (`GET /sales` answers `{sales: [...]}`), each item
   * checked against `item`; empty when EDD leaves the key out, as it does past the last page and
   * when nothing matched (answering 200 with an `error`). `endpoint` names the query in metrics
   * and errors.
   */
  private async listOf<S extends z.ZodType>(
    key: 'sales' | 'customers' | 'products',
    endpoint: string,
    query: Record<string, string | number | undefined>,
    item: S,
  ): Promise<z.output<S>[]> {
    const { body } = await this.http.request<Record<string, unknown> | undefined>('GET', `/${key}`, {
      endpoint,
      query,
    });
    const list = body?.[key];
    return list === undefined ? [] : parseResponse('edd', `GET ${endpoint}`, z.array(item), list);
  }

  /** One page of sales; an empty array past the last page (EDD then omits the `sales` key). */
  async listSales(page: PageRequest): Promise<EddSale[]> {
    return this.listOf('sales', '/sales', { ...page }, EddSaleSchema);
  }

  /** One page of customers; an empty array past the last page (EDD answers 200 with an `error`). */
  async listCustomers(page: PageRequest): Promise<EddCustomer[]> {
    return this.listOf('customers', '/customers', { ...page }, EddCustomerSchema);
  }

  /**
   * One page of customers, only their IDs, names and emails: what reading a whole store's list
   * needs (EDD has no field selection, so the rest of each customer is parsed but not kept).
   */
  async listCustomerNames(page: PageRequest): Promise<EddCustomerNames[]> {
    const customers = await this.listOf('customers', '/customers', { ...page }, EddCustomerNamesSchema);
    return customers.map(({ info }) => ({
      id: info.customer_id,
      firstName: info.first_name,
      lastName: info.last_name,
      email: info.email,
    }));
  }

  /**
   * One order by database ID, whatever its status, or undefined when EDD has none. EDD 3.3.9 and
   * later answer an unknown ID with no `sales`; earlier releases die with a PHP fatal error (HTTP
   * 500, WordPress's "critical error" page), which looks like an outage: a 500 for the ID counts as
   * "no such order" only when the site answers another sales query at once, so a real outage still
   * fails (and is retried) as one.
   */
  async getSale(saleId: number): Promise<EddSale | undefined> {
    try {
      // The answer's `ID` is the order's number, which differs from the database ID asked for when
      // the store numbers its orders sequentially.
      return (await this.listOf('sales', '/sales?id', { id: saleId }, EddSaleSchema))[0];
    } catch (err) {
      if (!(err instanceof ProviderTransientError && err.status === 500)) throw err;
      await this.listSales({ page: 1, number: 1 });
      return undefined;
    }
  }

  /**
   * Every order of an email address that EDD lists (the net statuses: complete, partially refunded,
   * revoked, on hold), newest first: `sales?email=`, page by page.
   */
  async listSalesOfEmail(email: string): Promise<EddSale[]> {
    const all: EddSale[] = [];
    const number = 100;
    for (let page = 1; ; page++) {
      const sales = await this.listOf('sales', '/sales?email', { email, number, page }, EddSaleSchema);
      all.push(...sales);
      if (sales.length < number) return all;
    }
  }

  /** A customer by ID or email, or undefined when EDD has none. */
  async getCustomer(idOrEmail: number | string): Promise<EddCustomer | undefined> {
    const query = { customer: idOrEmail };
    return (await this.listOf('customers', '/customers?customer', query, EddCustomerSchema))[0];
  }

  /**
   * The contract's read: EDD customers as subscribers. EDD has no subscription status, so every
   * customer counts as `active` and other statuses have none. The cursor is the next page number.
   */
  async getSubscribers(
    opts: { status?: string; cursor?: string | null; limit?: number } = {},
  ): Promise<ContractPage<ContractSubscriber>> {
    if ((opts.status ?? 'active') !== 'active') return { items: [], nextCursor: null };
    const page = opts.cursor ? Number(opts.cursor) : 1;
    if (!Number.isInteger(page) || page < 1)
      throw new RangeError(`not an EDD customers cursor: '${opts.cursor}'`);
    const number = opts.limit ?? 100;
    const customers = await this.listCustomers({ page, number });
    return {
      items: customers.map(({ info }) => ({
        id: String(info.customer_id),
        email: info.email,
        status: 'active',
        groups: [],
        fields: { name: info.first_name, last_name: info.last_name },
      })),
      nextCursor: customers.length < number ? null : String(page + 1),
    };
  }

  /** Every product of the store, page by page (a store has few: albums and merchandise). */
  async listAllProducts(): Promise<EddProduct[]> {
    const all: EddProduct[] = [];
    for (let page = 1; ; page++) {
      const products = await this.listProducts({ page, number: 100 });
      all.push(...products);
      if (products.length < 100) return all;
    }
  }

  /** One page of products; an empty array past the last page. */
  async listProducts(page: PageRequest): Promise<EddProduct[]> {
    return this.listOf('products', '/products', { ...page }, EddProductSchema);
  }
}
