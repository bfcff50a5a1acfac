import { campaignCode } from '../../src/shared/campaign';
import { expectedPurchasers, generateDemoData } from '../../dev/emulators';
import type { DemoDataset } from '../../dev/emulators';

/** A strict-enough check: one `@`, a dotted domain without empty labels, no spaces. */
const looksValid = (email: string): boolean => /^[^\s@]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$/.test(email);

describe('generateDemoData', () => {
  let ds: DemoDataset;

  beforeAll(() => {
    ds = generateDemoData();
  });

  it('defaults to seed 42 and 2000 customers', () => {
    expect(ds.seed).toBe(42);
    expect(ds.customers).toHaveLength(2000);
  });

  it('gives identical data for the same seed and size, and different data for another seed', () => {
    expect(generateDemoData({ seed: 7, customers: 300 })).toEqual(
      generateDemoData({ seed: 7, customers: 300 }),
    );
    const other = generateDemoData({ seed: 8, customers: 300 });
    const same = generateDemoData({ seed: 7, customers: 300 });
    expect(other.customers.map((c) => c.email)).not.toEqual(same.customers.map((c) => c.email));
  });

  it('has albums under both campaign-code rules and one non-album product', () => {
    const albums = ds.products.filter((p) => p.campaign !== null);
    expect(albums.length).toBeGreaterThanOrEqual(3);
    for (const album of albums) {
      expect(album.title).toBe(`${album.artist} - ${album.album}`);
      expect(album.campaign).toBe(campaignCode(album.year, album.artist, album.album));
    }
    const codes = albums.map((a) => a.campaign);
    expect(codes).toContain('2024_ETB_NBL');
    expect(codes).toContain('2023_AURORA_MIDNIGHT');
    const others = ds.products.filter((p) => p.campaign === null);
    expect(others).toHaveLength(1);
    expect(others[0]!.title).not.toContain(' - ');
  });

  it('breaks about 3% of emails and 2% of first names, a few customers both', () => {
    const bad = ds.customers.filter((c) => c.defects.includes('bad_email'));
    const noName = ds.customers.filter((c) => c.defects.includes('missing_first_name'));
    expect(bad.length / ds.customers.length).toBeGreaterThan(0.02);
    expect(bad.length / ds.customers.length).toBeLessThan(0.04);
    expect(noName.length / ds.customers.length).toBeGreaterThan(0.012);
    expect(noName.length / ds.customers.length).toBeLessThan(0.028);
    expect(ds.customers.filter((c) => c.defects.length === 2).length).toBeGreaterThanOrEqual(1);
    for (const c of bad) expect(looksValid(c.email)).toBe(false);
    for (const c of noName) expect(c.firstName).toBe('');
  });

  it('gives valid customers unique, well-formed addresses at reserved domains, and varied names', () => {
    const valid = ds.customers.filter((c) => c.defects.length === 0);
    const emails = valid.map((c) => c.email.toLowerCase());
    expect(new Set(emails).size).toBe(emails.length);
    for (const email of emails) {
      expect(looksValid(email)).toBe(true);
      expect(email).toMatch(/@([a-z]+\.)?example\.(com|org|net)$/);
    }
    expect(valid.some((c) => /[^\p{ASCII}]/u.test(c.firstName))).toBe(true);
    expect(valid.every((c) => c.firstName !== '' && !c.firstName.includes(' '))).toBe(true);
  });

  it('makes every customer order at least one album, with multi-album carts, repeats and refunds', () => {
    const albumIds = new Set(ds.products.filter((p) => p.campaign).map((p) => p.id));
    const buyers = new Set(
      ds.sales.filter((s) => s.products.some((p) => albumIds.has(p.id))).map((s) => s.customerId),
    );
    expect(buyers.size).toBe(ds.customers.length);
    expect(ds.sales.some((s) => s.products.filter((p) => albumIds.has(p.id)).length > 1)).toBe(true);
    expect(ds.sales.some((s) => s.status === 'refunded')).toBe(true);
    const seen = new Map<string, number>();
    for (const s of ds.sales.filter((x) => x.status === 'complete')) {
      for (const p of s.products)
        seen.set(`${s.customerId}/${p.id}`, (seen.get(`${s.customerId}/${p.id}`) ?? 0) + 1);
    }
    expect([...seen.values()].some((n) => n > 1)).toBe(true);
  });

  it('puts a few percent of the orders in each status EDD lists, and some refunded or pending', () => {
    const share = (status: string) => ds.sales.filter((s) => s.status === status).length / ds.sales.length;
    for (const status of ['partially_refunded', 'revoked', 'on_hold']) {
      expect(share(status)).toBeGreaterThan(0.01);
      expect(share(status)).toBeLessThan(0.04);
    }
    expect(share('pending')).toBeGreaterThan(0.003);
    expect(share('complete')).toBeGreaterThan(0.85);
  });

  it('keeps sale IDs in date order and sale emails equal to the customer email', () => {
    const byId = new Map(ds.customers.map((c) => [c.id, c]));
    for (let i = 1; i < ds.sales.length; i++) {
      expect(ds.sales[i]!.id).toBeGreaterThan(ds.sales[i - 1]!.id);
      expect(ds.sales[i]!.date >= ds.sales[i - 1]!.date).toBe(true);
    }
    for (const s of ds.sales) expect(s.email).toBe(byId.get(s.customerId)!.email);
    for (const s of ds.sales) expect(s.total).toBeCloseTo(s.subtotal + s.tax, 2);
  });
});

describe('expectedPurchasers', () => {
  const ds = generateDemoData({ customers: 1500 });

  it.each(ds.products.filter((p) => p.campaign).map((p) => [p.campaign!, p.id] as const))(
    '%s lists each buyer once (complete or partially refunded), with the latest order, split by defects',
    (campaign, productId) => {
      const { valid, invalid } = expectedPurchasers(ds, campaign);
      const complete = ds.sales.filter(
        (s) =>
          (s.status === 'complete' || s.status === 'partially_refunded') &&
          s.products.some((p) => p.id === productId),
      );
      const latest = new Map<number, number>();
      for (const s of complete) latest.set(s.customerId, Math.max(latest.get(s.customerId) ?? 0, s.id));
      expect(valid.length + invalid.length).toBe(latest.size);
      for (const v of valid) expect(v.orderId).toBe(latest.get(v.customerId));
      for (const i of invalid) {
        expect(i.orderId).toBe(latest.get(i.customerId));
        expect(i.defects.length).toBeGreaterThan(0);
      }
      const customers = new Map(ds.customers.map((c) => [c.id, c]));
      expect(valid.every((v) => customers.get(v.customerId)!.defects.length === 0)).toBe(true);
    },
  );

  it('does not count a refunded order as a purchase', () => {
    const refundedOnly = ds.sales.find(
      (r) =>
        r.status === 'refunded' &&
        !ds.sales.some(
          (s) =>
            s.status === 'complete' &&
            s.customerId === r.customerId &&
            s.products.some((p) => p.id === r.products[0]!.id),
        ),
    );
    expect(refundedOnly).toBeDefined();
    const campaign = ds.products.find((p) => p.id === refundedOnly!.products[0]!.id)!.campaign!;
    const { valid, invalid } = expectedPurchasers(ds, campaign);
    expect([...valid, ...invalid].some((p) => p.customerId === refundedOnly!.customerId)).toBe(false);
  });

  it('rejects an unknown campaign code', () => {
    expect(() => expectedPurchasers(ds, '1999_NOPE_NOPE')).toThrow(/1999_NOPE_NOPE/);
  });
});

describe('scale', () => {
  // How fast is the benchmarks' business (npm run bench generates this size): a timed test fails on
  // a busy machine.
  it('generates 200,000 customers, each with sales', () => {
    const big = generateDemoData({ customers: 200_000 });
    expect(big.customers).toHaveLength(200_000);
    expect(big.sales.length).toBeGreaterThan(200_000);
  });
});
