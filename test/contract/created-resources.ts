import type { Pacer } from './pacer';

interface RawApi {
  apiRoot: string;
  token: string;
  pace: Pacer;
}

async function send(api: RawApi, method: string, path: string): Promise<{ status: number; body: unknown }> {
  await api.pace();
  const res = await fetch(`${api.apiRoot}/api/${path}`, {
    method,
    headers: { Accept: 'application/json', Authorization: `Bearer ${api.token}` },
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

/**
 * What a contract run created, removed in `afterAll` so a run against a real account leaves it as it
 * was. Removal goes around both drivers with plain fetch: it must work even when the driver under
 * test is the thing that is broken, and our client has no call to delete a field.
 */
export class CreatedResources {
  private readonly subscriberIds = new Set<string>();
  /** Emails of subscribers whose ID the run never learned (e.g. created inside a batch). */
  private readonly subscriberEmails = new Set<string>();
  private readonly groupIds = new Set<string>();
  private readonly fieldIds = new Set<string>();

  subscriber(email: string, id?: string): void {
    if (id) {
      this.subscriberIds.add(id);
      this.subscriberEmails.delete(email);
    } else this.subscriberEmails.add(email);
  }

  group(id: string): void {
    this.groupIds.add(id);
  }

  field(id: string): void {
    this.fieldIds.add(id);
  }

  /** Deletes everything recorded; 404 counts as already gone. Throws listing what could not be removed. */
  async removeAll(api: RawApi): Promise<void> {
    const problems: string[] = [];
    for (const email of this.subscriberEmails) {
      const found = await send(api, 'GET', `subscribers/${encodeURIComponent(email)}`);
      const id = (found.body as { data?: { id?: unknown } } | undefined)?.data?.id;
      if (found.status === 200 && typeof id === 'string') this.subscriberIds.add(id);
      else if (found.status !== 404) problems.push(`GET subscriber ${email}: HTTP ${found.status}`);
    }
    const remove = async (what: string, ids: Set<string>) => {
      for (const id of ids) {
        const { status } = await send(api, 'DELETE', `${what}/${id}`);
        if (status !== 204 && status !== 200 && status !== 404)
          problems.push(`DELETE ${what}/${id}: HTTP ${status}`);
      }
    };
    await remove('subscribers', this.subscriberIds);
    await remove('groups', this.groupIds);
    await remove('fields', this.fieldIds);
    if (problems.length > 0)
      throw new Error(`contract cleanup left resources behind:\n${problems.join('\n')}`);
  }
}
