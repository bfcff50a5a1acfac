import {
  DEMO_EDD_LIMITED_KEYS,
  DEMO_EDD_PUBLIC_KEY,
  DEMO_EDD_SECRET_KEY,
  eddToken,
  generateDemoData,
  startEddEmulator,
} from '../../dev/emulators';
import type { DemoDataset, EmulatorHandle } from '../../dev/emulators';
import { getJson } from './http-helpers';

type Body = Record<string, unknown> & { request_speed?: number };

/**
 * EDD answers a key whose user lacks a capability with HTTP 200 and no data, never an error
 * (class-edd-api-v2.php get_recent_sales() and get_customers(); class-edd-api.php
 * get_product_data() and get_info()).
 */
describe('EDD emulator: keys of users with fewer capabilities', () => {
  let ds: DemoDataset;
  let edd: EmulatorHandle & { token: string };
  const keys = {
    admin: { publicKey: DEMO_EDD_PUBLIC_KEY, secretKey: DEMO_EDD_SECRET_KEY },
    ...DEMO_EDD_LIMITED_KEYS,
  };
  const get = (who: keyof typeof keys, path: string) => {
    const { publicKey, secretKey } = keys[who];
    const sep = path.includes('?') ? '&' : '?';
    return getJson<Body>(
      `${edd.url}/edd-api/v2/${path}${sep}key=${publicKey}&token=${eddToken(publicKey, secretKey)}`,
    );
  };
  /** The body without `request_speed`, which every answered query carries. */
  const data = async (who: keyof typeof keys, path: string) => {
    const res = await get(who, path);
    expect(res.status).toBe(200);
    expect(typeof res.body.request_speed).toBe('number');
    const { request_speed: _speed, ...rest } = res.body;
    return rest;
  };

  beforeAll(async () => {
    ds = generateDemoData({ seed: 3, customers: 120 });
    edd = await startEddEmulator({
      dataset: ds,
      publicKey: DEMO_EDD_PUBLIC_KEY,
      secretKey: DEMO_EDD_SECRET_KEY,
      apiKeys: Object.values(DEMO_EDD_LIMITED_KEYS),
    });
  });
  afterAll(() => edd.close());

  it('authenticates each key with its own token only', async () => {
    const { publicKey } = DEMO_EDD_LIMITED_KEYS.shopWorker;
    const wrong = await getJson<Body>(`${edd.url}/edd-api/v2/info?key=${publicKey}&token=${edd.token}`);
    expect(wrong.status).toBe(403);
    expect(wrong.body).toEqual({ error: 'Your request could not be authenticated!' });
    expect((await get('shopWorker', 'info')).status).toBe(200);
  });

  it('without view_shop_reports: sales are {} (only request_speed), even for an order ID that exists or not', async () => {
    const sale = ds.sales[0]!;
    for (const who of ['noReports', 'shopWorker'] as const) {
      expect(await data(who, 'sales?number=5')).toEqual({});
      expect(await data(who, `sales?id=${sale.id}`)).toEqual({});
      // Real EDD returns before it looks the order up: no fatal error for an unknown ID either.
      expect(await data(who, 'sales?id=99999999')).toEqual({});
      expect(await data(who, `sales?email=${encodeURIComponent(sale.email)}`)).toEqual({});
    }
    expect((await data('shopAccountant', 'sales?number=5')).sales).toHaveLength(5);
  });

  it('without view_shop_sensitive_data: customers are {}, neither a list nor "No customers found!"', async () => {
    const customer = ds.customers[0]!;
    for (const who of ['shopAccountant', 'shopWorker'] as const) {
      expect(await data(who, 'customers?number=5')).toEqual({});
      expect(await data(who, `customers?customer=${customer.id}`)).toEqual({});
      expect(await data(who, 'customers?number=5&page=1000')).toEqual({});
    }
    expect((await data('noReports', 'customers?number=5')).customers).toHaveLength(5);
    // With the capability, past the last page: the error EDD gives, which tells "no data" from "no permission".
    expect(await data('noReports', 'customers?number=5&page=1000')).toEqual({ error: 'No customers found!' });
  });

  it('products: stats only for view_shop_reports, notes only for view_shop_sensitive_data, neither in public', async () => {
    const first = async (who: keyof typeof keys) =>
      ((await data(who, 'products?number=1')).products as Record<string, unknown>[])[0]!;
    const shape = (p: Record<string, unknown>) => ({ stats: 'stats' in p, notes: 'notes' in p });
    expect(shape(await first('admin'))).toEqual({ stats: true, notes: true });
    expect(shape(await first('shopAccountant'))).toEqual({ stats: true, notes: false });
    expect(shape(await first('noReports'))).toEqual({ stats: false, notes: true });
    expect(shape(await first('shopWorker'))).toEqual({ stats: false, notes: false });
    const anonymous = await getJson<{ products: Record<string, unknown>[] }>(
      `${edd.url}/edd-api/v2/products?number=1`,
    );
    expect(shape(anonymous.body.products[0]!)).toEqual({ stats: false, notes: false });
    expect((await first('admin')).notes).toBe('');
  });

  it('info lists the permissions the user has (absent, never false), and the versions only to sensitive-data users', async () => {
    const currency = {
      currency: 'USD',
      currency_position: 'before',
      decimal_separator: '.',
      thousands_separator: ',',
    };
    expect(await data('admin', 'info')).toEqual({
      info: {
        permissions: { view_shop_reports: true, view_shop_sensitive_data: true, manage_shop_discounts: true },
        site: { wp_version: expect.any(String) as unknown, edd_version: '3.6.5', ...currency },
      },
    });
    expect(await data('shopAccountant', 'info')).toEqual({
      info: { permissions: { view_shop_reports: true }, site: currency },
    });
    expect(await data('noReports', 'info')).toEqual({
      info: {
        permissions: { view_shop_sensitive_data: true },
        site: { wp_version: expect.any(String) as unknown, edd_version: '3.6.5', ...currency },
      },
    });
    expect(await data('shopWorker', 'info')).toEqual({ info: { site: currency } });
  });

  it('info is not public: without credentials it is refused like any non-product query', async () => {
    const res = await getJson<Body>(`${edd.url}/edd-api/v2/info`);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'You must specify both a token and API key!' });
  });
});
