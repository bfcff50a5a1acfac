import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';

import type { DemoSale } from '../demo-data';
import { formatSqlDateTime } from '../shared/dates';
import { jsonReply, readBody, sendReply } from '../shared/http';
import { Rng } from '../shared/prng';
import { isNetStatus, type EddStore } from './store';

/**
 * What happens in the store before each page of the sales list is answered, as in a store that
 * keeps selling while a sync reads: new orders (which push every row to a later page) and refunds
 * (which take a row out of the list, moving every later row up a page).
 */
const ActivitySettingsSchema = z
  .object({
    /** New complete orders before each sales list request. */
    ordersPerRequest: z.number().int().min(0).max(1000).default(0),
    /** The products new orders hold (one each, picked in turn). Default: every album. */
    orderProductIds: z.array(z.number().int().positive()).optional(),
    /** Complete orders refunded before each sales list request, picked among the newest half. */
    refundsPerRequest: z.number().int().min(0).max(1000).default(0),
    /** Orders holding one of these products are never refunded (so a test's ground truth holds). */
    spareProductIds: z.array(z.number().int().positive()).default([]),
    seed: z.number().int().default(7),
  })
  .strict();
export type StoreActivitySettings = z.input<typeof ActivitySettingsSchema>;

const StatusChangeSchema = z
  .object({
    status: z.enum(['complete', 'partially_refunded', 'revoked', 'on_hold', 'refunded', 'pending']),
  })
  .strict();

const NewOrderSchema = z
  .object({
    customerId: z.number().int().positive(),
    productIds: z.array(z.number().int().positive()).min(1),
    status: StatusChangeSchema.shape.status.default('complete'),
  })
  .strict();

interface OrderEvent {
  id: number;
  number: string;
  email: string;
  productIds: number[];
  status: string;
  at: string;
}

/**
 * The EDD emulator's store activity, driven by its admin API:
 * - `PUT /_admin/store-activity` {@link StoreActivitySettings}; `DELETE` stops it; `GET` gives the
 *   settings and every order added and every status changed so far (`added`, `changed`);
 * - `POST /_admin/orders` `{customerId, productIds, status?}` adds one order now;
 * - `POST /_admin/orders/<id>/status` `{status}` changes one order's status now (a refund).
 */
export class StoreActivity {
  private settings: z.output<typeof ActivitySettingsSchema> | undefined;
  private rng = new Rng(7);
  private turn = 0;
  private readonly added: OrderEvent[] = [];
  private readonly changed: (OrderEvent & { from: string })[] = [];

  constructor(private readonly store: EddStore) {}

  /** Called before each page of the sales list is read. */
  beforeSalesList(): void {
    const s = this.settings;
    if (!s) return;
    for (let i = 0; i < s.ordersPerRequest; i++) {
      const products =
        s.orderProductIds ?? this.store.dataset.products.filter((p) => p.campaign).map((p) => p.id);
      const productId = products[this.turn++ % products.length]!;
      const customer = this.rng.pick(this.store.dataset.customers);
      this.addOrder(customer.id, [productId], 'complete');
    }
    for (let i = 0; i < s.refundsPerRequest; i++) {
      const spared = new Set(s.spareProductIds);
      const net = this.store.netSalesDesc;
      const candidates = net
        .slice(0, Math.ceil(net.length / 2))
        .filter((sale) => sale.status === 'complete' && !sale.products.some((p) => spared.has(p.id)));
      if (candidates.length === 0) break;
      this.changeStatus(this.rng.pick(candidates), 'refunded');
    }
  }

  private event(sale: DemoSale): OrderEvent {
    return {
      id: sale.id,
      number: this.store.numberOf(sale),
      email: sale.email,
      productIds: sale.products.map((p) => p.id),
      status: sale.status,
      at: new Date().toISOString(),
    };
  }

  private addOrder(customerId: number, productIds: number[], status: DemoSale['status']): DemoSale {
    const customer = this.store.customer(customerId);
    if (!customer) throw new RangeError(`no customer ${customerId}`);
    const products = productIds.map((id) => {
      const product = this.store.product(id);
      if (!product) throw new RangeError(`no product ${id}`);
      return { id, name: product.title, price: product.price, quantity: 1, priceName: '' };
    });
    const total = products.reduce((sum, p) => sum + p.price, 0);
    const id = this.store.lastSaleId() + 1;
    const sale: DemoSale = {
      id,
      customerId,
      userId: customer.userId,
      email: customer.email,
      date: formatSqlDateTime(Date.now()),
      status,
      gateway: 'manual',
      key: `activity-${id}-${this.rng.chars(16, 'abcdef0123456789')}`,
      transactionId: '',
      products,
      subtotal: total,
      tax: 0,
      total,
    };
    this.store.addSale(sale);
    this.added.push(this.event(sale));
    return sale;
  }

  private changeStatus(sale: DemoSale, status: DemoSale['status']): void {
    const from = sale.status;
    this.store.setStatus(sale, status);
    this.changed.push({ ...this.event(sale), from });
  }

  async serveAdmin(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    if (path === '/_admin/store-activity') {
      if (req.method === 'GET') {
        sendReply(
          res,
          jsonReply(200, { settings: this.settings ?? null, added: this.added, changed: this.changed }),
        );
      } else if (req.method === 'DELETE') {
        this.settings = undefined;
        sendReply(res, { status: 204, headers: {} });
      } else if (req.method === 'PUT') {
        const parsed = await parseBody(req, ActivitySettingsSchema);
        if (!parsed.success)
          sendReply(res, jsonReply(422, { message: 'Invalid store activity.', errors: parsed.errors }));
        else {
          this.settings = parsed.data;
          this.rng = new Rng(parsed.data.seed);
          sendReply(res, jsonReply(200, this.settings));
        }
      } else sendReply(res, jsonReply(405, { message: `${req.method ?? ''} is not supported here.` }));
      return true;
    }
    if (path === '/_admin/orders' && req.method === 'POST') {
      const parsed = await parseBody(req, NewOrderSchema);
      if (!parsed.success) {
        sendReply(res, jsonReply(422, { message: 'Invalid order.', errors: parsed.errors }));
        return true;
      }
      try {
        const { customerId, productIds, status } = parsed.data;
        sendReply(res, jsonReply(201, this.event(this.addOrder(customerId, productIds, status))));
      } catch (err) {
        if (!(err instanceof RangeError)) throw err;
        sendReply(res, jsonReply(404, { message: err.message }));
      }
      return true;
    }
    const match = /^\/_admin\/orders\/(\d+)\/status$/.exec(path);
    if (match && req.method === 'POST') {
      const sale = this.store.sale(Number(match[1]));
      if (!sale) {
        sendReply(res, jsonReply(404, { message: `No order has ID ${match[1]}.` }));
        return true;
      }
      const parsed = await parseBody(req, StatusChangeSchema);
      if (!parsed.success) {
        sendReply(res, jsonReply(422, { message: 'Invalid status.', errors: parsed.errors }));
        return true;
      }
      this.changeStatus(sale, parsed.data.status);
      sendReply(res, jsonReply(200, { ...this.event(sale), listed: isNetStatus(sale.status) }));
      return true;
    }
    return false;
  }
}

async function parseBody<T extends z.ZodTypeAny>(
  req: IncomingMessage,
  schema: T,
): Promise<{ success: true; data: z.output<T> } | { success: false; errors: Record<string, string[]> }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readBody(req)) as unknown;
  } catch {
    return { success: false, errors: { body: ['must be a JSON object.'] } };
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { success: true, data: parsed.data };
  const errors: Record<string, string[]> = {};
  for (const issue of parsed.error.issues)
    (errors[issue.path.join('.') || 'body'] ??= []).push(issue.message);
  return { success: false, errors };
}
