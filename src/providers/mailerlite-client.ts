import { z } from 'zod';
import type { MailerLiteCredentials } from '../config';
import { ProviderNotFoundError } from '../shared/errors';
import { HttpClient, parseResponse, type RequestObservation } from './http';

const idString = z.union([z.string(), z.number()]).transform(String);

export const MlGroupSchema = z.object({ id: idString, name: z.string() });
export type MlGroup = z.output<typeof MlGroupSchema>;

export const MlFieldSchema = z.object({ id: idString, name: z.string(), key: z.string(), type: z.string() });
export type MlField = z.output<typeof MlFieldSchema>;

export const MlSubscriberSchema = z.object({
  id: idString,
  email: z.string(),
  status: z.string(),
  fields: z
    .record(z.string(), z.unknown())
    .nullish()
    .transform((v) => v ?? {}),
  groups: z
    .array(MlGroupSchema)
    .nullish()
    .transform((v) => v ?? []),
});
export type MlSubscriber = z.output<typeof MlSubscriberSchema>;

/** MailerLite subscriber statuses. */
export type MlStatus = 'active' | 'unsubscribed' | 'unconfirmed' | 'bounced' | 'junk';

export interface UpsertSubscriberRequest {
  email: string;
  /** Field values by field key; only the keys given change. */
  fields?: Record<string, string | number | null>;
  /** Group IDs to add the subscriber to (existing memberships are kept). */
  groups?: string[];
  status?: MlStatus;
}

export interface MailerLiteClientOptions {
  credentials: MailerLiteCredentials;
  timeoutMs: number;
  rateLimitMaxWaitMs?: number;
  observe?: (o: RequestObservation) => void;
}

const dataOf = <S extends z.ZodType>(schema: S) => z.object({ data: schema });
const pageMeta = z.object({ meta: z.object({ last_page: z.coerce.number().int() }).partial().nullish() });

/** Client of the MailerLite API (`https://connect.mailerlite.com/api`), Bearer-token auth. */
export class MailerLiteClient {
  private readonly http: HttpClient;

  constructor(options: MailerLiteClientOptions) {
    this.http = new HttpClient({
      provider: 'mailerlite',
      baseUrl: options.credentials.baseUrl,
      timeoutMs: options.timeoutMs,
      headers: { Authorization: `Bearer ${options.credentials.apiToken}` },
      rateLimitMaxWaitMs: options.rateLimitMaxWaitMs,
      observe: options.observe,
    });
  }

  /** Lists one group: proves the URL and the token are right. */
  async validateConnection(): Promise<void> {
    await this.http.request('GET', '/groups', { query: { limit: 1 } });
  }

  /** A subscriber by ID or email, or undefined when MailerLite has none. */
  async getSubscriber(idOrEmail: string): Promise<MlSubscriber | undefined> {
    try {
      const { body } = await this.http.request('GET', `/subscribers/${encodeURIComponent(idOrEmail)}`, {
        endpoint: '/subscribers/{id}',
      });
      return parseResponse('mailerlite', 'GET /subscribers/{id}', dataOf(MlSubscriberSchema), body).data;
    } catch (err) {
      if (err instanceof ProviderNotFoundError) return undefined;
      throw err;
    }
  }

  /** Creates or updates a subscriber by email (MailerLite's upsert). */
  async upsertSubscriber(request: UpsertSubscriberRequest): Promise<MlSubscriber> {
    const { body } = await this.http.request('POST', '/subscribers', { body: request });
    return parseResponse('mailerlite', 'POST /subscribers', dataOf(MlSubscriberSchema), body).data;
  }

  /** One page of groups, optionally filtered by name (MailerLite matches names partially). */
  async listGroups(opts: {
    page: number;
    limit: number;
    name?: string;
  }): Promise<{ groups: MlGroup[]; lastPage: number }> {
    const { body } = await this.http.request('GET', '/groups', {
      query: { page: opts.page, limit: opts.limit, 'filter[name]': opts.name },
    });
    const parsed = parseResponse(
      'mailerlite',
      'GET /groups',
      dataOf(z.array(MlGroupSchema)).and(pageMeta),
      body,
    );
    return { groups: parsed.data, lastPage: parsed.meta?.last_page ?? opts.page };
  }

  /** The group with exactly this name, or undefined. */
  async findGroupByName(name: string): Promise<MlGroup | undefined> {
    for (let page = 1; ; page++) {
      const { groups, lastPage } = await this.listGroups({ page, limit: 100, name });
      const exact = groups.find((g) => g.name === name);
      if (exact) return exact;
      if (page >= lastPage || groups.length === 0) return undefined;
    }
  }

  async createGroup(name: string): Promise<MlGroup> {
    const { body } = await this.http.request('POST', '/groups', { body: { name } });
    return parseResponse('mailerlite', 'POST /groups', dataOf(MlGroupSchema), body).data;
  }

  /** Every custom and default field of the account. */
  async listFields(): Promise<MlField[]> {
    const fields: MlField[] = [];
    for (let page = 1; ; page++) {
      const { body } = await this.http.request('GET', '/fields', { query: { page, limit: 100 } });
      const parsed = parseResponse(
        'mailerlite',
        'GET /fields',
        dataOf(z.array(MlFieldSchema)).and(pageMeta),
        body,
      );
      fields.push(...parsed.data);
      if (page >= (parsed.meta?.last_page ?? page) || parsed.data.length === 0) return fields;
    }
  }

  async createField(name: string, type: 'text' | 'number' | 'date'): Promise<MlField> {
    const { body } = await this.http.request('POST', '/fields', { body: { name, type } });
    return parseResponse('mailerlite', 'POST /fields', dataOf(MlFieldSchema), body).data;
  }
}
