import {
  DEMO_EDD_PUBLIC_KEY,
  DEMO_EDD_SECRET_KEY,
  generateDemoData,
  startEddEmulator,
  type DemoDataset,
  type EmulatorHandle,
} from '../../dev/emulators';
import { CustomerDirectory, type CustomerLookupMode } from '../../src/activities/customer-directory';
import { sourceActivities } from '../../src/activities/source';
import type { ActivityDeps } from '../../src/activities';
import { createLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { EddClient } from '../../src/providers';
import { setFaults } from '../helpers/stack';

// How source pages find their customers: look-ups one by one, or the store's customer list read
// once and kept, against the EDD emulator (a real HTTP server) through the real client.

let dataset: DemoDataset;
let edd: EmulatorHandle & { token: string };
/** Requests the client made, by endpoint: `/customers` (list pages) and `/customers?customer` (look-ups). */
let requests: Map<string, number>;
let client: EddClient;

beforeAll(async () => {
  dataset = generateDemoData({ seed: 5, customers: 700 });
  edd = await startEddEmulator({ dataset, publicKey: DEMO_EDD_PUBLIC_KEY, secretKey: DEMO_EDD_SECRET_KEY });
  client = new EddClient({
    credentials: { baseUrl: edd.url, publicKey: DEMO_EDD_PUBLIC_KEY, token: edd.token },
    timeoutMs: 5_000,
    observe: (o) => requests.set(o.endpoint, (requests.get(o.endpoint) ?? 0) + 1),
  });
});
afterAll(() => edd.close());
beforeEach(async () => {
  requests = new Map();
  await setFaults(edd, {});
});

const lists = () => requests.get('/customers') ?? 0;
const lookups = () => requests.get('/customers?customer') ?? 0;

/** What EDD stores for a demo customer: the name split at its first space, as EDD does. */
function expectedNames(id: number) {
  const c = dataset.customers.find((x) => x.id === id)!;
  const words = `${c.firstName} ${c.lastName}`.trim().split(' ');
  return { firstName: words[0] ?? '', lastName: words.slice(1).join(' '), email: c.email };
}

function directory(
  mode: CustomerLookupMode,
  more: Partial<ConstructorParameters<typeof CustomerDirectory>[0]> = {},
) {
  return new CustomerDirectory({ edd: client, mode, concurrency: 4, listPageSize: 100, ...more });
}

const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

describe('CustomerDirectory', () => {
  it('each: looks up every distinct customer once and never reads the list', async () => {
    const found = await directory('each').find([...ids(1, 300), 5, 5]);
    expect(lookups()).toBe(300);
    expect(lists()).toBe(0);
    for (const id of [1, 150, 300]) expect(found.get(id)).toEqual(expectedNames(id));
  });

  it('list: reads the whole list once in pages, then serves every customer from it', async () => {
    const d = directory('list');
    const first = await d.find(ids(1, 50));
    // 700 customers in pages of 100: page 1, then waves of 4 (2-5, 6-9) until page 8 is empty.
    expect(lists()).toBe(9);
    expect(d.listed).toBe(700);
    const again = await d.find(ids(400, 300));
    expect(lists()).toBe(9);
    expect(lookups()).toBe(0);
    for (const id of [1, 50]) expect(first.get(id)).toEqual(expectedNames(id));
    for (const id of [400, 699]) expect(again.get(id)).toEqual(expectedNames(id));
  });

  it('auto: looks up one by one until more than listAfter customers were needed, then reads the list', async () => {
    const d = directory('auto', { listAfter: 120 });
    await d.find(ids(1, 60));
    await d.find(ids(61, 60));
    expect(lookups()).toBe(120);
    expect(lists()).toBe(0);
    const third = await d.find(ids(121, 60));
    expect(lists()).toBe(9);
    expect(lookups()).toBe(120);
    expect(third.get(150)).toEqual(expectedNames(150));
  });

  it('answers the same names whichever way it finds them', async () => {
    const wanted = ids(1, 700);
    const each = await directory('each').find(wanted);
    const listed = await directory('list').find(wanted);
    expect([...listed].sort(([a], [b]) => a - b)).toEqual([...each].sort(([a], [b]) => a - b));
  });

  it('looks up what the list lacks: customers past its memory limit, and unknown IDs', async () => {
    // The list read stops at 200 customers: page 1, then pages 2 and 3, of which 3 is not kept.
    const d = directory('list', { maxEntries: 200, concurrency: 2 });
    const found = await d.find([...ids(1, 10), 9_999_999]);
    expect(lists()).toBe(3);
    expect(d.listed).toBe(200);
    // The newest 200 (IDs 501-700) are listed; IDs 1-10 and the unknown one are looked up.
    expect(lookups()).toBe(11);
    expect(found.get(9_999_999)).toBeUndefined();
    expect(found.get(3)).toEqual(expectedNames(3));
  });

  it('reads the list again once it is older than maxAgeMs', async () => {
    let now = 1_000_000;
    const d = directory('auto', { listAfter: 10, maxAgeMs: 60_000, now: () => now });
    await d.find(ids(1, 50));
    expect(lists()).toBe(9);
    now += 59_000;
    await d.find(ids(1, 50));
    expect(lists()).toBe(9);
    now += 2_000;
    await d.find(ids(1, 50));
    expect(lists()).toBe(18);
    expect(lookups()).toBe(0);
  });

  it('falls back to look-ups when the list cannot be read, and does not retry it at once', async () => {
    // The first list page fails all three tries the client makes of a GET.
    await setFaults(edd, {
      routeFaults: [{ method: 'GET', path: '/edd-api/v2/customers', status: 500, times: 3 }],
    });
    const d = directory('list', { concurrency: 1 });
    const found = await d.find(ids(1, 20));
    expect(lists()).toBe(3);
    expect(lookups()).toBe(20);
    expect(found.get(7)).toEqual(expectedNames(7));
    await d.find(ids(21, 20));
    expect(lists()).toBe(3);
    expect(lookups()).toBe(40);
  });
});

describe('fetchPurchasersPage', () => {
  const deps = (customerLookup: CustomerLookupMode): ActivityDeps => ({
    providers: { edd: client, mailerlite: undefined as never },
    logger: createLogger({ level: 'silent' }),
    metrics: createMetrics(),
    customerLookup,
  });
  const album = () => dataset.products.find((p) => p.campaign)!;

  it('makes the same records from the list as from look-ups, with far fewer requests', async () => {
    const input = { productId: album().id, page: 1, pageSize: 1000 };
    const each = await sourceActivities(deps('each')).fetchPurchasersPage(input);
    const eachRequests = lookups();
    requests = new Map();
    const listed = await sourceActivities(deps('list')).fetchPurchasersPage(input);
    expect(listed).toEqual(each);
    expect(each.records.length).toBeGreaterThan(100);
    expect(eachRequests).toBeGreaterThan(100);
    // 700 customers in pages of 1,000: one list page.
    expect(lists()).toBe(1);
    expect(lookups()).toBe(0);
  });
});
