import { expectedSync, type ExpectedSync } from '../../../dev/expected-sync';
import type { EmulatorHandle } from '../../../dev/emulators';
import {
  DEFAULT_PURCHASE_TIER,
  fieldKey,
  purchaseFieldName,
  tierGroupName,
} from '../../../src/shared/campaign';
import type { SyncSummary } from '../../../src/shared/sync-types';
import { albums, mailerliteSubscribers, uniqueCampaign, type Stack } from '../../helpers/stack';

/** The names a subscriber may hold. */
export interface ExpectedNames {
  firstName: string;
  lastName: string;
}

/** What MailerLite must hold for one purchaser after a sync. */
export interface ExpectedSubscriber {
  /** The newest order of the album by this email (the purchase field). */
  orderId: number;
  /**
   * The names it may hold: one pair, or (two EDD customers sharing an email that differs only in
   * case) the pair of any one of them, never a mix.
   */
  names: ExpectedNames[];
}

/** Expected subscribers by lower-cased email. */
export type ExpectedState = Map<string, ExpectedSubscriber>;

/** The expected state of a demo album's sync, from the demo data's ground truth (`expectedSync`). */
export function expectedStateOf(expected: ExpectedSync): ExpectedState {
  return new Map(
    [...expected.subscribers].map(([email, p]) => [
      email,
      { orderId: p.orderId, names: [{ firstName: p.firstName, lastName: p.lastName }] },
    ]),
  );
}

interface SubscriberView {
  email: string;
  status: string;
  fields: Record<string, unknown>;
  groups: { id: string; name: string }[];
}

/** A field's value as text ('' when unset). */
function text(value: unknown): string {
  return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
}

/** A subscriber the test put into MailerLite before the sync, as it was then. */
export interface SeededSubscriber {
  email: string;
  /** `consent`: unsubscribed, bounced or junk, so the sync must not touch it; `bystander`: no buyer. */
  role: 'consent' | 'bystander';
  status: string;
  fields: Record<string, unknown>;
  groups: string[];
}

export interface Seeded {
  /** Subscribers the sync must leave exactly as they are. */
  untouched: SeededSubscriber[];
  /** Buyers seeded active with stale names: the sync must bring them up to date. */
  stale: string[];
}

const CONSENT_STATUSES = ['unsubscribed', 'bounced', 'junk'] as const;

async function api(stack: Stack, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${stack.mailerlite.url}/api${path}`, {
    method,
    headers: { Authorization: `Bearer ${stack.mailerliteToken}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function snapshot(stack: Stack, email: string): Promise<SubscriberView> {
  const res = await api(stack, 'GET', `/subscribers/${encodeURIComponent(email)}`);
  if (!res.ok) throw new Error(`GET /subscribers/${email}: HTTP ${res.status}`);
  return ((await res.json()) as { data: SubscriberView }).data;
}

/**
 * Puts MailerLite in a state a real account would have before a sync, through its public API
 * (call it before turning faults on): `consentPerStatus` buyers each unsubscribed, bounced and junk
 * (with names of their own; the sync must never write to them), `stale` buyers active with outdated
 * names (the sync must update them), and `bystanders` people who bought nothing (the sync must not
 * touch them). Consent-kept buyers are removed from `expected`: they must stay as seeded instead.
 * `exclude` keeps some buyers out of it (e.g. ones a test gives other records).
 */
export async function seedMailerLite(
  stack: Stack,
  expected: ExpectedState,
  opts: { consentPerStatus?: number; stale?: number; bystanders?: number; exclude?: string[] } = {},
): Promise<Seeded> {
  const excluded = new Set((opts.exclude ?? []).map((e) => e.toLowerCase()));
  const buyers = [...expected.keys()].filter((email) => !excluded.has(email));
  const consentCount = (opts.consentPerStatus ?? 2) * CONSENT_STATUSES.length;
  const staleCount = opts.stale ?? 3;
  if (buyers.length < consentCount + staleCount) throw new Error('too few buyers to seed MailerLite');
  // Spread over the list, so they fall on different pages of the sync.
  const step = Math.floor(buyers.length / (consentCount + staleCount));
  const picked = Array.from({ length: consentCount + staleCount }, (_, i) => buyers[i * step]!);
  const seeded: Seeded = { untouched: [], stale: [] };
  for (const [i, email] of picked.entries()) {
    const consent = i < consentCount ? CONSENT_STATUSES[i % CONSENT_STATUSES.length] : undefined;
    const res = await api(stack, 'POST', '/subscribers', {
      email,
      ...(consent ? { status: consent } : {}),
      fields: consent
        ? { name: `Kept ${i}`, last_name: 'Consent' }
        : { name: 'Stale', last_name: 'Name', company: 'Left alone' },
    });
    if (res.status !== 201) throw new Error(`seeding ${email}: HTTP ${res.status} ${await res.text()}`);
    if (consent) {
      const view = await snapshot(stack, email);
      seeded.untouched.push({
        email,
        role: 'consent',
        status: view.status,
        fields: view.fields,
        groups: view.groups.map((g) => g.name),
      });
      expected.delete(email);
    } else seeded.stale.push(email);
  }
  for (let i = 0; i < (opts.bystanders ?? 3); i++) {
    const email = `bystander-${i}@example.org`;
    const res = await api(stack, 'POST', '/subscribers', {
      email,
      fields: { name: `Bystander ${i}`, last_name: 'Nobuy' },
    });
    if (res.status !== 201) throw new Error(`seeding ${email}: HTTP ${res.status}`);
    const view = await snapshot(stack, email);
    seeded.untouched.push({
      email,
      role: 'bystander',
      status: view.status,
      fields: view.fields,
      groups: view.groups.map((g) => g.name),
    });
  }
  return seeded;
}

/**
 * Compares MailerLite's state (read through its public API) with the expected state, record by
 * record: every expected purchaser exactly once, active, with the right names, purchase field and
 * purchase group; every seeded subscriber (consent kept, bystanders) exactly as seeded; nobody
 * else. With the sync's summary, also checks that each consent-kept buyer was reported skipped.
 * Fails with the full list of differences; returns the number of records compared.
 */
export async function compareMailerLiteState(opts: {
  stack: Stack;
  campaign: string;
  expected: ExpectedState;
  seeded: Seeded;
  summary?: SyncSummary;
  /** Records MailerLite refused may appear in the summary (the hostile-records case); otherwise none. */
  allowFailed?: boolean;
  /** A different MailerLite than the stack's (default: the stack's). */
  mailerlite?: EmulatorHandle;
}): Promise<number> {
  const { campaign, expected, seeded } = opts;
  const key = fieldKey(purchaseFieldName(campaign));
  const purchaseGroup = tierGroupName(campaign, DEFAULT_PURCHASE_TIER);
  const subscribers = await mailerliteSubscribers(opts.mailerlite ?? opts.stack.mailerlite);
  const problems: string[] = [];
  const seen = new Map<string, number>();
  for (const s of subscribers) seen.set(s.email, (seen.get(s.email) ?? 0) + 1);
  for (const [email, n] of seen) if (n > 1) problems.push(`${email}: ${n} subscribers`);
  const byEmail = new Map(subscribers.map((s) => [s.email, s]));
  const untouched = new Map(seeded.untouched.map((s) => [s.email.toLowerCase(), s]));
  let compared = 0;

  for (const [email, want] of expected) {
    const s = byEmail.get(email);
    compared++;
    if (!s) {
      problems.push(`${email}: missing (order ${want.orderId})`);
      continue;
    }
    if (s.status !== 'active') problems.push(`${email}: status ${s.status}, expected active`);
    if (Number(s.fields[key]) !== want.orderId || s.fields[key] === null) {
      problems.push(`${email}: ${key} = ${String(s.fields[key])}, expected ${want.orderId}`);
    }
    const name = text(s.fields.name);
    const last = text(s.fields.last_name);
    if (!want.names.some((n) => n.firstName === name && n.lastName === last)) {
      problems.push(
        `${email}: names ${JSON.stringify([name, last])}, expected ${want.names
          .map((n) => JSON.stringify([n.firstName, n.lastName]))
          .join(' or ')}`,
      );
    }
    const groups = s.groups.map((g) => g.name).sort();
    if (JSON.stringify(groups) !== JSON.stringify([purchaseGroup])) {
      problems.push(
        `${email}: groups ${JSON.stringify(groups)}, expected ${JSON.stringify([purchaseGroup])}`,
      );
    }
  }

  for (const email of seeded.stale) {
    // The sync writes its own fields only: what else the subscriber had stays.
    const s = byEmail.get(email);
    if (s && s.fields.company !== 'Left alone') {
      problems.push(`${email} (stale): company = ${JSON.stringify(s.fields.company)}, was "Left alone"`);
    }
  }

  for (const [email, was] of untouched) {
    const s = byEmail.get(email);
    compared++;
    if (!s) {
      problems.push(`${email} (${was.role}): gone`);
      continue;
    }
    if (s.status !== was.status)
      problems.push(`${email} (${was.role}): status ${s.status}, was ${was.status}`);
    for (const [field, value] of Object.entries(s.fields)) {
      // A field created by the sync (the purchase field) reads null on everyone it did not write.
      const before = field in was.fields ? was.fields[field] : null;
      if (value !== before) {
        problems.push(
          `${email} (${was.role}): field ${field} = ${JSON.stringify(value)}, was ${JSON.stringify(before)}`,
        );
      }
    }
    const groups = s.groups.map((g) => g.name).sort();
    if (JSON.stringify(groups) !== JSON.stringify([...was.groups].sort())) {
      problems.push(
        `${email} (${was.role}): groups ${JSON.stringify(groups)}, was ${JSON.stringify(was.groups)}`,
      );
    }
  }

  for (const s of subscribers) {
    if (!expected.has(s.email) && !untouched.has(s.email)) {
      problems.push(
        `${s.email}: not expected in MailerLite (${s.status}, ${key} = ${String(s.fields[key])})`,
      );
    }
  }

  if (opts.summary) {
    const skipped = new Map(opts.summary.skippedRecords.map((r) => [r.email.toLowerCase(), r.reason]));
    for (const was of seeded.untouched) {
      if (was.role !== 'consent') continue;
      const reason = skipped.get(was.email.toLowerCase());
      if (!reason || !reason.includes('consent')) {
        problems.push(`${was.email}: not reported skipped for consent (${reason ?? 'not listed'})`);
      }
    }
    if (!opts.allowFailed && opts.summary.failed !== 0)
      problems.push(`the summary counts ${opts.summary.failed} failed records`);
  }

  expect(problems).toEqual([]);
  return compared;
}

/**
 * A case's starting point: a new campaign code for the demo data's first album, its ground truth,
 * the state MailerLite must end in, and MailerLite seeded (consent-kept and stale subscribers).
 */
export async function seededCase(stack: Stack) {
  const campaign = uniqueCampaign();
  const product = albums(stack.dataset)[0]!;
  const truth = expectedSync(stack.dataset, product.id);
  const expected = expectedStateOf(truth);
  const seeded = await seedMailerLite(stack, expected);
  return { campaign, product, truth, expected, seeded };
}
