import { randomBytes } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Activities } from '../../src/activities';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/observability/logger';
import { createMetrics, type Metrics } from '../../src/observability/metrics';
import type { SyncSummary } from '../../src/shared/sync-types';
import { buildActivities } from '../../src/workers/build-activities';
import { startEmulatorPair } from '../../dev/emulator-pair';
import {
  DEMO_MAILERLITE_TOKEN,
  eddToken,
  generateDemoData,
  type DemoDataset,
  type EmulatorHandle,
  type SequentialOrderNumbers,
} from '../../dev/emulators';

export interface Stack {
  dataset: DemoDataset;
  edd: EmulatorHandle & { token: string };
  mailerlite: EmulatorHandle;
  metrics: Metrics;
  mailerliteToken: string;
  /** Activities built exactly as the worker builds them, talking HTTP to the emulators. */
  activities: Activities;
  close(): Promise<void>;
}

/** What `startStack` takes: the demo data, credentials and addresses the activities use, their environment. */
export interface StackOptions {
  customers?: number;
  /** A data set to serve instead of generating one (e.g. with `withExtraPurchases`); `customers` and `seed` are then ignored. */
  dataset?: DemoDataset;
  seed?: number;
  mailerliteToken?: string;
  /** The MailerLite base URL (with `/api`) the activities use instead of the emulator's (e.g. an interposer's). */
  mailerliteBaseUrl?: string;
  /** The MailerLite emulator's account limits (default: MailerLite's). */
  mailerliteLimits?: { maxListLimit?: number; maxGroups?: number };
  eddToken?: string;
  /** The EDD address the activities use instead of the emulator's (e.g. a closed port). */
  eddBaseUrl?: string;
  /** An EDD API key to use instead of the administrator's (e.g. one of `DEMO_EDD_LIMITED_KEYS`). */
  eddKey?: { publicKey: string; secretKey: string };
  /** Environment overrides for the activities' config (e.g. RATE_LIMIT_MAX_WAIT_MS). */
  env?: Record<string, string>;
  /** The test Temporal client (`connectTestTemporal()`), for activities that manage schedules or describe runs. */
  temporal?: { client: Client };
  /** The store's sequential order numbers setting (`EDD-1042`); default off, as in EDD. */
  eddOrderNumbers?: SequentialOrderNumbers;
}

/** Both emulators (real HTTP servers on localhost) with demo data, and real activities pointed at them. */
export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const dataset =
    opts.dataset ?? generateDemoData({ seed: opts.seed ?? 42, customers: opts.customers ?? 2000 });
  const emulators = await startEmulatorPair({
    dataset,
    mailerlite: { rateLimitPerMinute: 0, ...opts.mailerliteLimits },
    ...(opts.eddOrderNumbers ? { eddOrderNumbers: opts.eddOrderNumbers } : {}),
  });
  const { edd, mailerlite } = emulators;
  const metrics = createMetrics();
  const activities = buildActivities({
    config: loadConfig(opts.env ?? {}),
    credentials: {
      edd: {
        ...emulators.credentials.edd,
        ...(opts.eddKey ? { publicKey: opts.eddKey.publicKey } : {}),
        token:
          opts.eddToken ?? (opts.eddKey ? eddToken(opts.eddKey.publicKey, opts.eddKey.secretKey) : edd.token),
        ...(opts.eddBaseUrl ? { baseUrl: opts.eddBaseUrl } : {}),
      },
      mailerlite: {
        ...emulators.credentials.mailerlite,
        apiToken: opts.mailerliteToken ?? DEMO_MAILERLITE_TOKEN,
        ...(opts.mailerliteBaseUrl ? { baseUrl: opts.mailerliteBaseUrl } : {}),
      },
    },
    logger: createLogger({ level: 'silent' }),
    metrics,
    ...(opts.temporal
      ? { temporal: { client: opts.temporal.client, namespace: opts.temporal.client.options.namespace } }
      : {}),
  });
  return {
    dataset,
    edd,
    mailerlite,
    metrics,
    mailerliteToken: DEMO_MAILERLITE_TOKEN,
    activities,
    close: () => emulators.close(),
  };
}

/** A campaign code no other test uses, so each test holds its own lock and its own groups. */
export function uniqueCampaign(): string {
  return `2099_T${randomBytes(4).toString('hex').toUpperCase()}`;
}

/** The demo store's album products with their campaign codes. */
export function albums(dataset: DemoDataset) {
  return dataset.products.filter((p): p is typeof p & { campaign: string } => p.campaign !== null);
}

/** An album product of the demo store, with its campaign code. */
export type Album = ReturnType<typeof albums>[number];

/** The demo store's album at `index` (the first by default); fails when the data has none there. */
export function albumOf(dataset: DemoDataset, index = 0): Album {
  const album = albums(dataset)[index];
  if (!album) throw new Error('the demo data has no album');
  return album;
}

interface MlSubscriberView {
  id: string;
  email: string;
  status: string;
  fields: Record<string, unknown>;
  groups: { id: string; name: string }[];
}

/** Reads MailerLite's state through its public API (cursor pagination), as any client would. */
export async function mailerliteSubscribers(mailerlite: EmulatorHandle): Promise<MlSubscriberView[]> {
  const all: MlSubscriberView[] = [];
  let cursor: string | null | undefined;
  do {
    const url = new URL(`${mailerlite.url}/api/subscribers`);
    url.searchParams.set('limit', '1000');
    // MailerLite leaves groups off listed subscribers unless asked for them.
    url.searchParams.set('include', 'groups');
    if (cursor) url.searchParams.set('cursor', cursor);
    const res = await fetch(url, { headers: { Authorization: `Bearer ${DEMO_MAILERLITE_TOKEN}` } });
    if (!res.ok) throw new Error(`GET /api/subscribers: HTTP ${res.status}`);
    const body = (await res.json()) as { data: MlSubscriberView[]; meta: { next_cursor?: string | null } };
    all.push(...body.data);
    cursor = body.meta.next_cursor;
  } while (cursor);
  return all;
}

export async function mailerliteGet<T>(mailerlite: EmulatorHandle, path: string): Promise<T> {
  const res = await fetch(`${mailerlite.url}/api${path}`, {
    headers: { Authorization: `Bearer ${DEMO_MAILERLITE_TOKEN}` },
  });
  if (!res.ok) throw new Error(`GET ${path}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

/** Turns on an emulator's fault injection (`PUT /_admin/faults`). */
export async function setFaults(emulator: EmulatorHandle, faults: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${emulator.url}/_admin/faults`, {
    method: 'PUT',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(faults),
  });
  if (res.status !== 200) throw new Error(`PUT /_admin/faults: HTTP ${res.status} ${await res.text()}`);
}

/** Every fetched record is valid or invalid, and every valid one has exactly one outcome. */
export function expectEveryRecordCounted(summary: SyncSummary): void {
  expect(summary.valid + summary.invalid).toBe(summary.fetched);
  expect(
    summary.created +
      summary.updated +
      summary.unchanged +
      summary.superseded +
      summary.skipped +
      summary.failed,
  ).toBe(summary.valid);
}

/**
 * The stack's activities with each source page read (on the shared queue, or on the list path's
 * worker that keeps it) after `before` resolves.
 */
export function beforeEachPage(
  activities: Stack['activities'],
  before: () => Promise<void>,
): Stack['activities'] {
  return {
    ...activities,
    fetchPurchasersPage: async (...args: Parameters<Stack['activities']['fetchPurchasersPage']>) => {
      await before();
      return activities.fetchPurchasersPage(...args);
    },
    readHeldSalesPage: async (...args: Parameters<Stack['activities']['readHeldSalesPage']>) => {
      await before();
      return activities.readHeldSalesPage(...args);
    },
  };
}

/** The stack's activities with each source page taking 300 ms longer, so a run lasts long enough to watch or act on. */
export function slowSource(s: Stack): Stack['activities'] {
  return beforeEachPage(s.activities, () => new Promise((r) => setTimeout(r, 300)));
}
