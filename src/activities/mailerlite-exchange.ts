import { DestinationGoneError, ProviderTransientError } from '../shared/errors';
import type { DestinationSnapshot } from '../shared/subscriber-plan';
import {
  MAX_BATCH_REQUESTS,
  ML_ROUTES,
  MlSubscriberSchema,
  batchRequest,
  withdrawnRefusal,
  type BatchRequest,
} from '../providers';
import { checkBatchAnswers } from './batch-answers';
import type { ActivityDeps } from './deps';
import type { ExchangeInput, ExchangeResult, WriteOutcome } from '../shared/activity-io';

/**
 * The one MailerLite request of a sync's write path: a batch holding this chunk's upserts and the
 * next chunk's reads. One activity is exactly one API request, so the task queue's rate limit
 * (`maxTaskQueueActivitiesPerSecond`, enforced by the Temporal server across every worker) is the
 * account's request budget. A batch made only of upserts would be an import, limited to 5 a
 * minute; there is always a read in the batch (a read-back of the last write when nothing is
 * left to read), so it stays under the general limit.
 */
export function mailerliteExchangeActivities({ providers }: ActivityDeps) {
  return {
    async mailerliteExchange(input: ExchangeInput): Promise<ExchangeResult> {
      const reads = input.reads.length > 0 ? input.reads : input.writes.slice(-1).map((w) => w.email);
      const requests: BatchRequest[] = [
        ...input.writes.map((w) => batchRequest('POST', ML_ROUTES.subscribers, {}, { ...w })),
        ...reads.map((email) => batchRequest('GET', ML_ROUTES.subscriber, { id: email })),
      ];
      if (requests.length > MAX_BATCH_REQUESTS) {
        throw new RangeError(
          `${input.writes.length} writes and ${reads.length} reads exceed one batch (${MAX_BATCH_REQUESTS})`,
        );
      }
      const result = await providers.mailerlite.batch(requests);
      checkBatchAnswers(requests, result);
      checkDestination(input, result.responses);
      const writes = result.responses.slice(0, input.writes.length).map(writeOutcome);
      const readAnswers = result.responses.slice(input.writes.length);
      return {
        writes,
        reads: input.reads.map((email, i) => snapshot(email, readAnswers[i]!, input)),
      };
    },
  };
}

/**
 * Fails the exchange when MailerLite says the group or field the sync writes to is gone: an upsert
 * refused because its group does not exist (`groups.0`), or a subscriber read with no such field
 * at all (MailerLite lists every field of the account, empty ones as null). Counting each record
 * as failed would hide it; the sync looks them up again instead.
 */
function checkDestination(input: ExchangeInput, responses: { code: number; body: unknown }[]): void {
  for (const r of responses.slice(0, input.writes.length)) {
    const errors = (r.body as { errors?: unknown } | null)?.errors;
    if (
      r.code === 422 &&
      errors &&
      typeof errors === 'object' &&
      Object.keys(errors).some((k) => /^groups\.\d+$/.test(k))
    ) {
      throw new DestinationGoneError(
        `MailerLite refused a write to the campaign's purchase group ${input.groupId}: the group is gone (deleted in MailerLite?)`,
      );
    }
  }
  if (input.fieldsMayBeMissing) return;
  for (const r of responses.slice(input.writes.length)) {
    if (r.code !== 200) continue;
    const fields = (r.body as { data?: { fields?: unknown } } | null)?.data?.fields;
    if (!fields || typeof fields !== 'object') continue;
    const missing = input.fieldKeys.find((key) => !(key in fields));
    if (missing !== undefined) {
      throw new DestinationGoneError(
        `MailerLite has no subscriber field '${missing}' any more (deleted in MailerLite?): the campaign's purchase field is gone`,
      );
    }
  }
}

/** An upsert's answer in a batch: written (201 created, 200 updated), a consent refusal, or refused. */
export function writeOutcome(r: { code: number; body: unknown }): WriteOutcome {
  if (r.code === 200 || r.code === 201) return { ok: true, created: r.code === 201 };
  // Read as active (or absent), then unsubscribed, bounced or marked junk before the write landed.
  const withdrawn = withdrawnRefusal(r.code, r.body);
  if (withdrawn) {
    return {
      ok: false,
      consent: true,
      reason:
        `subscriber is ${withdrawn} in MailerLite: not rewritten (consent; ` +
        `MailerLite refused the write: "${describe(r.body, true)}")`,
    };
  }
  return { ok: false, reason: `MailerLite refused the record (HTTP ${r.code}): ${describe(r.body)}` };
}

function snapshot(
  email: string,
  r: { code: number; body: unknown },
  input: ExchangeInput,
): DestinationSnapshot {
  if (r.code === 404) return { email, exists: false, fields: {}, inGroup: false };
  if (r.code !== 200) {
    throw new ProviderTransientError(
      'mailerlite',
      `reading a subscriber in a batch answered HTTP ${r.code}`,
      r.code,
    );
  }
  const parsed = MlSubscriberSchema.safeParse((r.body as { data?: unknown } | null)?.data);
  if (!parsed.success)
    throw new ProviderTransientError('mailerlite', 'a subscriber read in a batch had an unexpected shape');
  const s = parsed.data;
  const fields: Record<string, string> = {};
  for (const key of input.fieldKeys) {
    const value = s.fields[key];
    if (typeof value === 'string' || typeof value === 'number') fields[key] = String(value).trim();
  }
  return {
    email,
    exists: true,
    status: s.status,
    fields,
    inGroup: s.groups.some((g) => g.id === input.groupId),
  };
}

function describe(body: unknown, messageFirst = false): string {
  if (!body || typeof body !== 'object') return 'no details';
  const b = body as { message?: unknown; errors?: Record<string, unknown> };
  if (messageFirst && typeof b.message === 'string') return b.message;
  const details = Object.entries(b.errors ?? {}).map(
    ([field, messages]) => `${field}: ${Array.isArray(messages) ? messages.join(' ') : String(messages)}`,
  );
  return details.length > 0 ? details.join('; ') : typeof b.message === 'string' ? b.message : 'no details';
}
