import type { EddCustomer, EddCustomerNames } from '../providers';
import type { Logger } from '../observability/logger';
import { mapWithConcurrency } from './concurrency';
import { CustomerTableBuilder, type CustomerTable } from './customer-table';

/** What a sync needs of an EDD customer. */
export interface CustomerNames {
  firstName: string;
  lastName: string;
  email: string;
}

/**
 * How a worker finds the customers of a page of sales:
 * - `each`: one `GET /customers?customer=<id>` per customer, always;
 * - `list`: read the store's whole customer list (`GET /customers?number=1000&page=N`) on first
 *   need, keep it for a while, and look up one by one only customers it lacks;
 * - `auto`: one by one until the worker has needed more than `listAfter` customers since it last
 *   read the list, then as `list`. A big campaign reads the list after its first page or two; a
 *   small one never does.
 */
export type CustomerLookupMode = 'auto' | 'list' | 'each';

export interface CustomerDirectoryOptions {
  edd: {
    listCustomerNames(page: { page: number; number: number }): Promise<EddCustomerNames[]>;
    getCustomer(id: number): Promise<EddCustomer | undefined>;
  };
  mode: CustomerLookupMode;
  /** Look-ups in flight at once. */
  concurrency: number;
  /** List pages in flight at once (at most `concurrency`): each is a large answer parsed whole. */
  listConcurrency?: number;
  logger?: Logger;
  /** `auto` reads the list once more than this many customers were needed since the last read. */
  listAfter?: number;
  /** Customers per list page (EDD's `number`). */
  listPageSize?: number;
  /** How long a list read is used (and kept in memory) before it is read again. */
  maxAgeMs?: number;
  /** Most customers kept; past this the list read stops and the rest are looked up one by one. */
  maxEntries?: number;
  now?: () => number;
}

export const CUSTOMER_LIST_DEFAULTS = {
  listAfter: 200,
  listConcurrency: 4,
  listPageSize: 1000,
  maxAgeMs: 10 * 60_000,
  maxEntries: 2_000_000,
};

interface ListRead {
  /** The customers read, outside the heap. */
  table: CustomerTable;
  /** Customers looked up one by one since, because the list lacked them. */
  added: Map<number, CustomerNames>;
  readAt: number;
  /** Set once the memory limit stopped the read: some customers were left out. */
  partial: boolean;
}

/**
 * The worker's view of EDD customers for the sync's source pages. EDD has no batch look-up by ID,
 * so a campaign of many purchasers costs one request per purchaser one by one, while the whole
 * customer list costs one request per 1,000 customers of the store; this picks between the two
 * (see {@link CustomerLookupMode}). A list read is shared by every page this worker reads while
 * it is fresh; customers it lacks (created since, or left out by the memory limit) are looked up
 * one by one, so a list read never hides a customer. A failed list read falls back to look-ups.
 */
export class CustomerDirectory {
  private readonly listAfter: number;
  private readonly listPageSize: number;
  private readonly listConcurrency: number;
  private readonly maxAgeMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  private read: ListRead | undefined;
  private reading: Promise<ListRead | undefined> | undefined;
  /** Customers needed since the last list read (or the start). */
  private demand = 0;
  /** When the last list read failed or came back empty: not tried again for `maxAgeMs`. */
  private unusableAt: number | undefined;
  private dropTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: CustomerDirectoryOptions) {
    this.listAfter = opts.listAfter ?? CUSTOMER_LIST_DEFAULTS.listAfter;
    this.listPageSize = opts.listPageSize ?? CUSTOMER_LIST_DEFAULTS.listPageSize;
    this.listConcurrency = Math.max(
      1,
      Math.min(opts.concurrency, opts.listConcurrency ?? CUSTOMER_LIST_DEFAULTS.listConcurrency),
    );
    this.maxAgeMs = opts.maxAgeMs ?? CUSTOMER_LIST_DEFAULTS.maxAgeMs;
    this.maxEntries = opts.maxEntries ?? CUSTOMER_LIST_DEFAULTS.maxEntries;
    this.now = opts.now ?? Date.now;
  }

  /** The customers of these IDs; an ID EDD does not know maps to undefined. */
  async find(ids: readonly number[]): Promise<Map<number, CustomerNames | undefined>> {
    const wanted = [...new Set(ids)];
    const read = await this.currentRead(wanted.length);
    this.demand += wanted.length;
    const found = new Map<number, CustomerNames | undefined>();
    const missing: number[] = [];
    for (const id of wanted) {
      const added = read?.added.get(id);
      const names = added ? { ...added } : read?.table.get(id);
      if (names === undefined) missing.push(id);
      else found.set(id, names);
    }
    const looked = await mapWithConcurrency(missing, this.opts.concurrency, (id) =>
      this.opts.edd.getCustomer(id),
    );
    missing.forEach((id, i) => {
      const customer = looked[i];
      const names = customer ? namesOf(customer) : undefined;
      found.set(id, names);
      if (names && read && sizeOf(read) < this.maxEntries) read.added.set(id, { ...names });
    });
    return found;
  }

  /** How many customers the current list read holds (0 when none): for tests and logs. */
  get listed(): number {
    const read = this.fresh();
    return read ? sizeOf(read) : 0;
  }

  private fresh(): ListRead | undefined {
    return this.read && this.now() - this.read.readAt < this.maxAgeMs ? this.read : undefined;
  }

  /** A fresh list read, starting one when the mode and the demand call for it. */
  private async currentRead(needed: number): Promise<ListRead | undefined> {
    const fresh = this.fresh();
    if (fresh) return fresh;
    if (this.reading) return this.reading;
    const { mode } = this.opts;
    if (mode === 'each') return undefined;
    if (this.unusableAt !== undefined && this.now() - this.unusableAt < this.maxAgeMs) return undefined;
    if (mode === 'auto' && this.demand + needed <= this.listAfter) return undefined;
    this.reading = this.readList().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readList(): Promise<ListRead | undefined> {
    const started = this.now();
    this.read = undefined;
    const entries = new CustomerTableBuilder();
    let partial = false;
    try {
      // The first page alone (most stores fit in it), then waves of `listConcurrency` pages, until
      // one comes back short (EDD answers past the end with no customers). The list is newest
      // first: a customer added meanwhile shifts the rest down a place, so one may be read twice,
      // and none that existed at the start is skipped.
      let next = 1;
      for (;;) {
        const wave = next === 1 ? 1 : this.listConcurrency;
        const pages = Array.from({ length: wave }, (_, i) => next + i);
        next += wave;
        const answers = await Promise.all(
          pages.map((page) => this.opts.edd.listCustomerNames({ page, number: this.listPageSize })),
        );
        let ended = false;
        for (const customers of answers) {
          if (customers.length < this.listPageSize) ended = true;
          for (const customer of customers) {
            if (entries.size >= this.maxEntries) {
              partial = true;
              break;
            }
            entries.add(customer.id, customer);
          }
        }
        if (ended || partial) break;
      }
    } catch (err) {
      this.unusableAt = this.now();
      this.opts.logger?.warn(
        { err: (err as Error).message },
        'reading the EDD customer list failed; customers are looked up one by one for now',
      );
      return undefined;
    }
    if (entries.size === 0) {
      // A key without `view_shop_sensitive_data` sees no customers, and no error.
      this.unusableAt = this.now();
      this.opts.logger?.warn(
        {},
        'the EDD customer list came back empty; customers are looked up one by one for now',
      );
      return undefined;
    }
    const table = entries.build();
    const read: ListRead = { table, added: new Map(), readAt: this.now(), partial };
    this.read = read;
    this.demand = 0;
    this.unusableAt = undefined;
    this.opts.logger?.info(
      { customers: table.size, bytes: table.bytes, partial, ms: Math.round(this.now() - started) },
      'read the EDD customer list',
    );
    // Give the memory back once it is stale, whether or not another page comes.
    clearTimeout(this.dropTimer);
    this.dropTimer = setTimeout(() => {
      if (this.read === read) this.read = undefined;
    }, this.maxAgeMs);
    this.dropTimer.unref();
    return read;
  }
}

function namesOf(customer: EddCustomer): CustomerNames {
  const { first_name, last_name, email } = customer.info;
  return { firstName: first_name, lastName: last_name, email };
}

function sizeOf(read: ListRead): number {
  return read.table.size + read.added.size;
}
