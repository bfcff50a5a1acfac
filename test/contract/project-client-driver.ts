import { MailerLiteClient } from '../../src/providers';
import type { MlSubscriber } from '../../src/providers';
import { ProviderAuthError, ProviderNotFoundError, ProviderRequestError } from '../../src/shared';
import type { DriverError, DriverFactory, DriverSubscriber, MailerLiteDriver } from './contract-driver';

const toSubscriber = (s: MlSubscriber): DriverSubscriber => ({
  id: s.id,
  email: s.email,
  status: s.status,
  fields: s.fields,
  groups: s.groups.map((g) => g.id),
});

/**
 * Only the client's typed errors count: a plain Error with "HTTP 401" in its message would be
 * `other`, and the contract would fail, because the activities and Temporal's retry policy act on
 * the classes, not on messages.
 */
function describeError(error: unknown): DriverError {
  const thrown = error instanceof Error ? error.name : typeof error;
  const message = error instanceof Error ? error.message : String(error);
  const base = { message, thrown, fieldErrors: {} };
  if (error instanceof ProviderAuthError) return { ...base, kind: 'auth', status: error.status };
  if (error instanceof ProviderNotFoundError) return { ...base, kind: 'not-found', status: 404 };
  if (error instanceof ProviderRequestError) {
    return {
      ...base,
      kind: error.status === 422 ? 'validation' : 'other',
      status: error.status,
      fieldErrors: error.fieldErrors,
    };
  }
  // The client refuses an oversized batch itself, before any request (MAX_BATCH_REQUESTS).
  if (error instanceof RangeError) return { ...base, kind: 'refused-by-client' };
  return { ...base, kind: 'other' };
}

/** Our own client, `src/providers/mailerlite-client.ts`, used exactly as the activities use it. */
export const projectClientDriver: DriverFactory = {
  label: 'project MailerLiteClient',
  tag: 'pc',
  create({ apiRoot, token, rateLimitMaxWaitMs }): MailerLiteDriver {
    const client = new MailerLiteClient({
      // Our client's base URL includes `/api` (MAILERLITE_BASE_URL); the SDK's does not.
      credentials: { baseUrl: `${apiRoot}/api`, apiToken: token },
      timeoutMs: 30_000,
      rateLimitMaxWaitMs,
    });
    return {
      async upsertSubscriber(input) {
        const s = await client.upsertSubscriber(input);
        // The client does not expose 201 vs 200, so `created` stays undefined.
        return { id: s.id, subscriber: toSubscriber(s) };
      },
      async getSubscriber(idOrEmail) {
        const s = await client.getSubscriber(idOrEmail);
        return s && toSubscriber(s);
      },
      async listSubscribers(opts) {
        const page = await client.listSubscribers(opts);
        return { items: page.items, nextCursor: page.nextCursor };
      },
      updateSubscriber: (id, data) => client.updateSubscriber(id, data),
      deleteSubscriber: (id) => client.deleteSubscriber(id),
      createGroup: (name) => client.createGroup(name),
      async listGroups(name) {
        return (await client.listGroups({ page: 1, limit: 100, name })).groups;
      },
      findGroupByName: (name) => client.findGroupByName(name),
      async listGroupMembers(groupId, opts) {
        const page = await client.listGroupSubscribers(groupId, opts);
        return { items: page.items, nextCursor: page.nextCursor };
      },
      assignToGroup: (subscriberId, groupId) => client.addSubscriberToGroup(subscriberId, groupId),
      unassignFromGroup: (subscriberId, groupId) => client.removeSubscriberFromGroup(subscriberId, groupId),
      createField: (name, type) => client.createField(name, type),
      batch: (requests) => client.batch(requests),
      describeError,
    };
  },
};
