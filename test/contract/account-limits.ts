import { randomBytes } from 'node:crypto';
import { MailerLiteClient, type ListLimitLowered } from '../../src/providers';
import type { ContractTarget } from './contract-context';
import { CreatedResources } from './created-resources';

/** Page sizes tried, largest first: MailerLite documents no maximum (third-party code uses 100). */
export const PROBED_LIST_LIMITS = [5000, 2500, 1000, 500, 250, 100, 50, 25] as const;

export interface ListLimitProbe {
  /** The largest size tried that the list accepted; null when it refused them all. */
  largest: number | null;
  /** Each size tried, with MailerLite's refusal of it (the messages on `limit`), or null when accepted. */
  tried: { limit: number; refusal: string | null }[];
}

interface Answer {
  status: number;
  body: unknown;
}

async function get(target: ContractTarget, path: string): Promise<Answer> {
  await target.pace();
  const res = await fetch(`${target.apiRoot}/api/${path}`, {
    headers: { Accept: 'application/json', Authorization: `Bearer ${target.token}` },
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

async function send(target: ContractTarget, method: string, path: string, body: unknown): Promise<Answer> {
  await target.pace();
  const res = await fetch(`${target.apiRoot}/api/${path}`, {
    method,
    headers: {
      Accept: 'application/json',
      'Content-Type': 'application/json',
      Authorization: `Bearer ${target.token}`,
    },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/**
 * Asks a cursor list for each of {@link PROBED_LIST_LIMITS} in turn until one is accepted, with
 * plain HTTP (no client's step-down in the way). A refusal must be a 422 naming `limit`; any other
 * answer fails the probe.
 */
export async function probeListLimit(target: ContractTarget, listPath: string): Promise<ListLimitProbe> {
  const tried: ListLimitProbe['tried'] = [];
  for (const limit of PROBED_LIST_LIMITS) {
    const joiner = listPath.includes('?') ? '&' : '?';
    const { status, body } = await get(target, `${listPath}${joiner}limit=${limit}`);
    if (status === 200) {
      const perPage = (body as { meta?: { per_page?: unknown } }).meta?.per_page;
      if (Number(perPage) !== limit) {
        throw new Error(
          `limit=${limit} was answered 200 with per_page ${String(perPage)}: clamped, not taken`,
        );
      }
      tried.push({ limit, refusal: null });
      return { largest: limit, tried };
    }
    const onLimit = (body as { errors?: { limit?: unknown } } | undefined)?.errors?.limit;
    if (status !== 422 || !Array.isArray(onLimit)) {
      throw new Error(`limit=${limit} on ${listPath} answered HTTP ${status} ${JSON.stringify(body)}`);
    }
    tried.push({ limit, refusal: onLimit.map(String).join(' ') });
  }
  return { largest: null, tried };
}

/** One line for a person: what the probe found, and the setting it settles. */
export function describeProbe(apiRoot: string, probe: ListLimitProbe): string {
  const refused = probe.tried
    .filter((t) => t.refusal !== null)
    .map((t) => `${t.limit} ("${t.refusal}")`)
    .join(', ');
  const found =
    probe.largest === null
      ? `refused every size tried (${PROBED_LIST_LIMITS.join(', ')})`
      : probe.largest === PROBED_LIST_LIMITS[0]
        ? `take limit=${probe.largest}, the largest size tried`
        : `take limit=${probe.largest} at most among the sizes tried`;
  const advice =
    probe.largest === null
      ? ''
      : ` MAILERLITE_LIST_LIMIT=${Math.min(probe.largest, 10_000)} is safe (default 1000${
          probe.largest >= 1000 ? ', which it takes' : ', which it refuses: workers step down to 100'
        }).`;
  return `MailerLite at ${apiRoot}: group member lists ${found}${refused ? `; refused: ${refused}` : ''}.${advice}`;
}

/**
 * What the sync relies on and MailerLite does not document, measured on the target account: the
 * largest page size of cursor lists (reported for MAILERLITE_LIST_LIMIT), which statuses a group's
 * member list shows without `filter[status]`, and that our client, at the default page size,
 * lists a group whatever the account's largest size is. A few requests, paced; the group it makes
 * is deleted afterwards.
 */
export function describeAccountLimits(target: () => ContractTarget): void {
  describe('account limits (reported for the settings)', () => {
    const created = new CreatedResources();
    let groupId = '';
    let probe: ListLimitProbe | undefined;

    beforeAll(async () => {
      const t = target();
      const tag = `mlc-limits-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
      const group = await send(t, 'POST', 'groups', { name: tag });
      groupId = (group.body as { data: { id: string } }).data.id;
      created.group(groupId);
      for (const status of ['active', 'unsubscribed'] as const) {
        const email = `${tag}-${status}@${t.emailDomain}`;
        const made = await send(t, 'POST', 'subscribers', { email, status, groups: [groupId] });
        created.subscriber(email, (made.body as { data?: { id?: string } } | undefined)?.data?.id);
      }
    });
    afterAll(async () => {
      await created.removeAll(target());
    });

    it('reports the largest page size a group member list takes, and /api/subscribers takes it too', async () => {
      const t = target();
      probe = await probeListLimit(t, `groups/${groupId}/subscribers?filter[status]=active`);
      console.info(describeProbe(t.apiRoot, probe));
      expect(probe.largest).not.toBeNull();
      // The account-wide list takes the same size (junk: few subscribers to send back).
      const same = await get(t, `subscribers?filter[status]=junk&limit=${probe.largest}`);
      expect(same.status).toBe(200);
    });

    it("lists a group's active members only when filter[status] is left out (the SDK's documented default)", async () => {
      const t = target();
      const { status, body } = await get(t, `groups/${groupId}/subscribers?limit=25`);
      expect(status).toBe(200);
      const statuses = (body as { data: { status: string }[] }).data.map((s) => s.status);
      console.info(
        `MailerLite at ${t.apiRoot}: a group's member list without filter[status] shows ${statuses.join(', ')}`,
      );
      expect(statuses).toEqual(['active']);
    });

    it('our client at the default page size lists the group, stepping down once if the size is refused', async () => {
      const t = target();
      const lowered: ListLimitLowered[] = [];
      const client = new MailerLiteClient({
        credentials: { baseUrl: `${t.apiRoot}/api`, apiToken: t.token },
        timeoutMs: 30_000,
        rateLimitMaxWaitMs: t.rateLimitMaxWaitMs,
        onListLimitLowered: (e) => lowered.push(e),
      });
      // Room for two requests: the refused size and the one after the step down.
      await t.pace();
      await t.pace();
      const page = await client.listGroupSubscribers(groupId, { status: 'unsubscribed' });
      expect(page.items.map((s) => s.status)).toEqual(['unsubscribed']);
      const largest = probe?.largest ?? null;
      const stepsDown = largest !== null && largest < 1000;
      // The step down is remembered per account for the process: told once, by whichever client met it first.
      expect(client.currentListLimit).toBe(stepsDown ? 100 : 1000);
      expect(lowered.every((e) => e.from > e.to && e.to === 100)).toBe(true);
      if (!stepsDown) expect(lowered).toEqual([]);
    });
  });
}
