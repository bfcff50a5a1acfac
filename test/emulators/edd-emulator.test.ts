import { createHash } from 'node:crypto';

import {
  DEMO_EDD_PUBLIC_KEY,
  DEMO_EDD_SECRET_KEY,
  generateDemoData,
  startEddEmulator,
} from '../../dev/emulators';
import type { DemoDataset, EmulatorHandle } from '../../dev/emulators';
import { getJson } from './http-helpers';

interface CustomerJson {
  info: {
    customer_id: string;
    user_id: string | number;
    username: string;
    first_name: string;
    last_name: string;
    email: string;
    additional_emails: unknown;
    date_created: string;
  };
  stats: { total_purchases: number; total_spent: number; total_downloads: number };
}
interface SaleJson {
  ID: string;
  status: string;
  customer_id: string;
  email: string;
  subtotal: string;
  tax: string;
  total: string;
  date: string;
  products: { id: string; quantity: string; name: string; price: string; price_name: string }[];
}
interface ProductJson {
  info: { id: number; title: string; create_date: string };
  stats?: { total: { sales: string } };
  pricing: { amount: string };
}
type EddBody = {
  error?: string;
  request_speed?: number;
  customers?: CustomerJson[];
  sales?: SaleJson[];
  products?: ProductJson[];
};

describe('EDD emulator', () => {
  let ds: DemoDataset;
  let edd: EmulatorHandle & { token: string };
  let auth: string;
  const get = (path: string) => getJson<EddBody>(`${edd.url}${path}`);

  beforeAll(async () => {
    ds = generateDemoData({ seed: 3, customers: 300 });
    edd = await startEddEmulator({
      dataset: ds,
      publicKey: DEMO_EDD_PUBLIC_KEY,
      secretKey: DEMO_EDD_SECRET_KEY,
    });
    auth = `key=${DEMO_EDD_PUBLIC_KEY}&token=${edd.token}`;
  });
  afterAll(() => edd.close());

  describe('auth and routing', () => {
    it('derives the token as md5(secret + public)', () => {
      const md5 = createHash('md5')
        .update(DEMO_EDD_SECRET_KEY + DEMO_EDD_PUBLIC_KEY)
        .digest('hex');
      expect(edd.token).toBe(md5);
    });

    it.each([
      ['no credentials', '', 401, 'You must specify both a token and API key!'],
      [
        'a key without token',
        `key=${DEMO_EDD_PUBLIC_KEY}`,
        401,
        'You must specify both a token and API key!',
      ],
      ['an unknown key', 'key=nope&token=abc', 403, 'Invalid API key!'],
      [
        'a wrong token',
        `key=${DEMO_EDD_PUBLIC_KEY}&token=abc`,
        403,
        'Your request could not be authenticated!',
      ],
    ])('answers %s with %i', async (_case, qs, status, error) => {
      const res = await get(`/edd-api/v2/customers?${qs}`);
      expect(res.status).toBe(status);
      expect(res.body).toEqual({ error });
    });

    it('rejects an unknown endpoint with 400 before checking credentials', async () => {
      const res = await get('/edd-api/v2/orders');
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'Invalid query!' });
    });

    it('rejects an unknown API version with 404', async () => {
      const res = await get(`/edd-api/v9/customers?${auth}`);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'Invalid API version!' });
    });

    it('serves the same data without the version segment and with a trailing slash', async () => {
      const a = await get(`/edd-api/v2/customers?${auth}&number=3`);
      const b = await get(`/edd-api/customers/?${auth}&number=3`);
      expect(b.body.customers).toEqual(a.body.customers);
    });
  });

  describe('customers', () => {
    it('pages newest first with number/page and string IDs', async () => {
      const res = await get(`/edd-api/v2/customers?${auth}&number=5&page=2`);
      expect(res.status).toBe(200);
      expect(typeof res.body.request_speed).toBe('number');
      const ids = res.body.customers!.map((c) => c.info.customer_id);
      expect(ids).toEqual(['295', '294', '293', '292', '291']);
    });

    it('defaults to 10 a page, and number=-1 returns everyone', async () => {
      expect((await get(`/edd-api/v2/customers?${auth}`)).body.customers).toHaveLength(10);
      expect((await get(`/edd-api/v2/customers?${auth}&number=-1`)).body.customers).toHaveLength(300);
    });

    it('visits every customer exactly once when walking the pages, then says "No customers found!"', async () => {
      const seen: string[] = [];
      for (let page = 1; ; page++) {
        const res = await get(`/edd-api/v2/customers?${auth}&number=70&page=${page}`);
        expect(res.status).toBe(200);
        if (!res.body.customers) {
          expect(res.body.error).toBe('No customers found!');
          expect(page).toBe(6);
          break;
        }
        seen.push(...res.body.customers.map((c) => c.info.customer_id));
      }
      expect(new Set(seen).size).toBe(300);
    });

    it('reports names, types and totals as EDD does', async () => {
      const registered = ds.customers.find(
        (c) => c.userId > 0 && c.defects.length === 0 && c.lastName.includes(' '),
      );
      const guest = ds.customers.find((c) => c.userId === 0)!;
      expect(registered).toBeDefined();
      const r = (await get(`/edd-api/v2/customers?${auth}&customer=${registered!.id}`)).body.customers![0]!;
      expect(r.info).toMatchObject({
        customer_id: String(registered!.id),
        user_id: String(registered!.userId),
        first_name: registered!.firstName,
        last_name: registered!.lastName,
        email: registered!.email,
        additional_emails: null,
      });
      const completes = ds.sales.filter((s) => s.customerId === registered!.id && s.status === 'complete');
      expect(r.stats.total_purchases).toBe(completes.length);
      expect(r.stats.total_spent).toBeCloseTo(
        completes.reduce((sum, s) => sum + s.total, 0),
        2,
      );
      const g = (await get(`/edd-api/v2/customers?${auth}&customer=${guest.id}`)).body.customers![0]!;
      expect(g.info.user_id).toBe(0);
      expect(g.info.username).toBe('');
    });

    it('filters by email, ignoring case', async () => {
      const c = ds.customers.find((x) => x.defects.length === 0)!;
      const res = await get(
        `/edd-api/v2/customers?${auth}&customer=${encodeURIComponent(c.email.toUpperCase())}`,
      );
      expect(res.body.customers!.map((x) => x.info.customer_id)).toEqual([String(c.id)]);
    });

    it('answers "Customer not found!" for an unknown ID or email', async () => {
      for (const who of ['99999', 'nobody@example.com']) {
        const res = await get(`/edd-api/v2/customers?${auth}&customer=${who}`);
        expect(res.status).toBe(200);
        expect(res.body.error).toBe('Customer not found!');
      }
    });

    it('ignores a customer filter that is neither an ID nor an email, like EDD', async () => {
      const res = await get(`/edd-api/v2/customers?${auth}&customer=not-an-email&number=3`);
      expect(res.body.customers).toHaveLength(3);
    });

    it('filters by creation date range', async () => {
      const c = ds.customers[100]!;
      const day = c.dateCreated.slice(0, 10).replace(/-/g, '');
      const res = await get(
        `/edd-api/v2/customers?${auth}&date=range&startdate=${day}&enddate=${day}&number=-1`,
      );
      const ids = res.body.customers!.map((x) => x.info.customer_id);
      expect(ids).toContain(String(c.id));
      const sameDay = ds.customers.filter((x) => x.dateCreated.startsWith(c.dateCreated.slice(0, 10)));
      expect(ids).toHaveLength(sameDay.length);
    });
  });

  describe('sales', () => {
    const netSales = () =>
      ds.sales.filter((s) => ['complete', 'partially_refunded', 'revoked', 'on_hold'].includes(s.status));

    it('lists the net statuses (complete, partially refunded, revoked, on hold), not refunded or pending ones', async () => {
      const res = await get(`/edd-api/v2/sales?${auth}&number=0`);
      const statuses = new Set(res.body.sales!.map((s) => s.status));
      expect([...statuses].sort()).toEqual(['complete', 'on_hold', 'partially_refunded', 'revoked']);
      const listed = new Set(res.body.sales!.map((s) => s.ID));
      for (const status of ['refunded', 'pending']) {
        const left = ds.sales.filter((s) => s.status === status);
        expect(left.length).toBeGreaterThan(0);
        expect(left.some((s) => listed.has(String(s.id)))).toBe(false);
      }
    });

    it('lists only net orders, newest first, with MySQL-style string amounts', async () => {
      const res = await get(`/edd-api/v2/sales?${auth}&number=3`);
      const newest = [...netSales()].reverse().slice(0, 3);
      expect(res.body.sales!.map((s) => s.ID)).toEqual(newest.map((s) => String(s.id)));
      const first = res.body.sales![0]!;
      expect(first.total).toBe(newest[0]!.total.toFixed(9));
      expect(first.customer_id).toBe(String(newest[0]!.customerId));
      expect(first.products[0]).toMatchObject({
        id: String(newest[0]!.products[0]!.id),
        quantity: '1',
        price_name: '',
      });
    });

    it('walks every listed order once, then omits the sales key past the last page', async () => {
      const seen: string[] = [];
      for (let page = 1; ; page++) {
        const res = await get(`/edd-api/v2/sales?${auth}&number=100&page=${page}`);
        if (!res.body.sales) {
          expect(Object.keys(res.body)).toEqual(['request_speed']);
          break;
        }
        seen.push(...res.body.sales.map((s) => s.ID));
      }
      expect(seen).toHaveLength(netSales().length);
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen).not.toContain(String(ds.sales.find((s) => s.status === 'refunded')!.id));
    });

    it('returns ONE order for number=-1 (EDD 3 quirk) and all of them for number=0', async () => {
      expect((await get(`/edd-api/v2/sales?${auth}&number=-1`)).body.sales).toHaveLength(1);
      expect((await get(`/edd-api/v2/sales?${auth}&number=0`)).body.sales).toHaveLength(netSales().length);
    });

    it('finds a refunded order by id, and answers an unknown id with no sales key (EDD 3.3.9 and later)', async () => {
      const refunded = ds.sales.find((s) => s.status === 'refunded')!;
      const res = await get(`/edd-api/v2/sales?${auth}&id=${refunded.id}`);
      expect(res.body.sales!.map((s) => [s.ID, s.status])).toEqual([[String(refunded.id), 'refunded']]);
      const missing = await get(`/edd-api/v2/sales?${auth}&id=1`);
      expect(missing.status).toBe(200);
      expect(Object.keys(missing.body)).toEqual(['request_speed']);
    });

    it('filters by email', async () => {
      const sale = netSales()[10]!;
      const res = await get(`/edd-api/v2/sales?${auth}&email=${encodeURIComponent(sale.email)}&number=0`);
      const expected = netSales().filter((s) => s.email === sale.email);
      expect(res.body.sales!.map((s) => s.ID).sort()).toEqual(expected.map((s) => String(s.id)).sort());
    });
  });

  describe('products', () => {
    it('is public without credentials, newest first, without stats', async () => {
      const res = await get('/edd-api/v2/products');
      expect(res.status).toBe(200);
      const dates = res.body.products!.map((p) => p.info.create_date);
      expect(dates).toEqual([...dates].sort().reverse());
      expect(res.body.products!.every((p) => p.stats === undefined)).toBe(true);
      expect(typeof res.body.products![0]!.info.id).toBe('number');
    });

    it('adds stats for an authenticated key', async () => {
      const res = await get(`/edd-api/v2/products?${auth}&product=103`);
      const sold = ds.sales
        .filter((s) => s.status === 'complete')
        .reduce((n, s) => n + s.products.filter((p) => p.id === 103).length, 0);
      expect(res.body.products![0]!.info.title).toBe('Echo The Bard - Neon Blue Lights');
      expect(res.body.products![0]!.stats!.total.sales).toBe(String(sold));
    });

    it('returns an empty list past the last page and an error for an unknown product', async () => {
      expect((await get('/edd-api/v2/products?number=2&page=50')).body.products).toEqual([]);
      expect((await get('/edd-api/v2/products?product=999')).body.error).toBe('Product 999 not found!');
    });
  });

  it('counts requests by endpoint and status in /_admin/stats', async () => {
    const before = (
      await getJson<{ requests: { byRoute: Record<string, Record<string, number>> } }>(
        `${edd.url}/_admin/stats`,
      )
    ).body;
    await get('/edd-api/v2/sales');
    const after = (
      await getJson<{ requests: { byRoute: Record<string, Record<string, number>> } }>(
        `${edd.url}/_admin/stats`,
      )
    ).body;
    expect(after.requests.byRoute.sales!['401']).toBe((before.requests.byRoute.sales?.['401'] ?? 0) + 1);
  });
});

describe('EDD emulator: a store with sequential order numbers that keeps selling', () => {
  const ds = generateDemoData({ seed: 11, customers: 300 });
  let edd: EmulatorHandle & { token: string };
  let auth: string;
  const get = (path: string) => getJson<{ sales?: SaleJson[] }>(`${edd.url}${path}`);
  const admin = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${edd.url}${path}`, {
      method,
      headers: { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : null) as Record<string, unknown> };
  };

  beforeAll(async () => {
    edd = await startEddEmulator({
      dataset: ds,
      publicKey: DEMO_EDD_PUBLIC_KEY,
      secretKey: DEMO_EDD_SECRET_KEY,
      orderNumbers: { prefix: 'EDD-', postfix: '', start: 1 },
    });
    auth = `key=${DEMO_EDD_PUBLIC_KEY}&token=${edd.token}`;
  });
  afterAll(() => edd.close());

  it('shows each order as prefix + n, while sales?id= still looks up the database ID', async () => {
    const listed = (await get(`/edd-api/v2/sales?${auth}&number=5`)).body.sales!;
    expect(listed.every((s) => /^EDD-\d+$/.test(s.ID))).toBe(true);
    const n = Number(listed[0]!.ID.slice('EDD-'.length));
    // n counts orders from 1, the database IDs start at 1001: sales?id=n is another order.
    const byId = (await get(`/edd-api/v2/sales?${auth}&id=${n}`)).body;
    expect(byId.sales?.[0]?.ID).not.toBe(listed[0]!.ID);
  });

  it('adds orders and refunds others between pages, and says which', async () => {
    const first = (await get(`/edd-api/v2/sales?${auth}&number=10&page=1`)).body.sales!;
    const set = await admin('PUT', '/_admin/store-activity', { ordersPerRequest: 2, refundsPerRequest: 1 });
    expect(set.status).toBe(200);
    const second = (await get(`/edd-api/v2/sales?${auth}&number=10&page=1`)).body.sales!;
    await admin('DELETE', '/_admin/store-activity');
    const log = (await admin('GET', '/_admin/store-activity')).body as {
      added: { number: string }[];
      changed: { number: string; from: string; status: string }[];
    };
    expect(log.added).toHaveLength(2);
    expect(log.changed).toHaveLength(1);
    expect(log.changed[0]).toMatchObject({ from: 'complete', status: 'refunded' });
    // The new orders come first; the refunded one is gone from the list.
    expect(second.slice(0, 2).map((s) => s.ID)).toEqual(log.added.map((a) => a.number).reverse());
    expect(second.map((s) => s.ID)).not.toContain(log.changed[0]!.number);
    expect(first.map((s) => s.ID)).not.toEqual(second.map((s) => s.ID));
  });

  it('refunds one order on request, and refuses a bad status with the reason', async () => {
    const sale = ds.sales.find((s) => s.status === 'complete')!;
    const refunded = await admin('POST', `/_admin/orders/${sale.id}/status`, { status: 'refunded' });
    expect(refunded).toMatchObject({ status: 200, body: { status: 'refunded', listed: false } });
    const bad = await admin('POST', `/_admin/orders/${sale.id}/status`, { status: 'lost' });
    expect(bad.status).toBe(422);
    expect(JSON.stringify(bad.body.errors)).toMatch(/status/);
  });
});
