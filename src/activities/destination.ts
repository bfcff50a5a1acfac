import { activityInfo, cancellationSignal, heartbeat } from '@temporalio/activity';
import { ProviderRequestError } from '../shared/errors';
import type { FailedRecordReport, SourceRecord } from '../shared/sync-types';
import type { MlSubscriber } from '../providers';
import type { ActivityDeps } from './deps';

export interface UpsertInput {
  campaign: string;
  records: SourceRecord[];
  /** Group the subscribers join. */
  groupId: string;
  /** Key of the campaign's purchase field. */
  purchaseFieldKey: string;
  /** How many failed records to list with reasons. */
  reportLimit: number;
}

export interface UpsertResult {
  created: number;
  updated: number;
  unchanged: number;
  superseded: number;
  failed: number;
  /** Failed records with the destination's reason, at most `reportLimit`. */
  failures: FailedRecordReport[];
}

type Outcome =
  { kind: 'created' | 'updated' | 'unchanged' | 'superseded' } | { kind: 'failed'; reason: string };

/** Checkpoint written with each heartbeat, so a retried attempt resumes after the last chunk done. */
interface Checkpoint {
  next: number;
  result: UpsertResult;
}

export function destinationActivities({ providers, logger, mailerliteConcurrency = 4 }: ActivityDeps) {
  const ml = providers.mailerlite;

  /**
   * Reads the subscriber first and writes only what differs: reads are cheaper than writes under
   * MailerLite's limits, and a re-run over unchanged data writes nothing. The write is MailerLite's
   * upsert by email, so repeating it after a crash is harmless.
   */
  async function syncOne(record: SourceRecord, input: UpsertInput): Promise<Outcome> {
    try {
      const existing = await ml.getSubscriber(record.email);
      const held = existing ? Number(existing.fields[input.purchaseFieldKey] ?? NaN) : NaN;
      // The purchase field keeps the newest order of the album: an older order never lowers it.
      const newerHeld = Number.isFinite(held) && held > record.orderId;
      const fields: Record<string, string | number> = { name: record.firstName, last_name: record.lastName };
      if (!newerHeld) fields[input.purchaseFieldKey] = record.orderId;
      if (existing && isUpToDate(existing, fields, input.groupId))
        return { kind: newerHeld ? 'superseded' : 'unchanged' };
      // No `status` for an existing subscriber: a sync must never re-activate someone who
      // unsubscribed, bounced or was marked junk. New subscribers are created active.
      await ml.upsertSubscriber({
        email: record.email,
        fields,
        groups: [input.groupId],
        ...(existing ? {} : { status: 'active' as const }),
      });
      return { kind: existing ? 'updated' : 'created' };
    } catch (err) {
      // A refusal of this record (422 and the like) is reported and the run goes on; anything
      // else (auth, outage, rate limit) fails the attempt, which is retried from the checkpoint.
      if (err instanceof ProviderRequestError) return { kind: 'failed', reason: describeRefusal(err) };
      throw err;
    }
  }

  return {
    async upsertSubscribers(input: UpsertInput): Promise<UpsertResult> {
      const { latest, superseded } = newestPerEmail(input.records);
      const resumed = activityInfo().heartbeatDetails as Checkpoint | undefined;
      const result: UpsertResult = resumed?.result ?? {
        created: 0,
        updated: 0,
        unchanged: 0,
        superseded,
        failed: 0,
        failures: [],
      };
      const signal = cancellationSignal();
      for (let start = resumed?.next ?? 0; start < latest.length; start += mailerliteConcurrency) {
        signal.throwIfAborted();
        const chunk = latest.slice(start, start + mailerliteConcurrency);
        const outcomes = await Promise.all(chunk.map((r) => syncOne(r, input)));
        outcomes.forEach((outcome, i) => {
          result[outcome.kind]++;
          if (outcome.kind === 'failed' && result.failures.length < input.reportLimit) {
            const r = chunk[i]!;
            result.failures.push({
              orderId: r.orderId,
              customerId: r.customerId,
              email: r.email,
              reason: outcome.reason,
            });
          }
        });
        heartbeat({ next: start + chunk.length, result } satisfies Checkpoint);
      }
      if (result.failed > 0) {
        logger.warn({ campaign: input.campaign, failed: result.failed }, 'MailerLite refused some records');
      }
      return result;
    },
  };
}

/**
 * One record per subscriber (email, case-insensitive): the newest order. Two orders of one buyer
 * in a page would otherwise race each other; the older ones are counted as superseded.
 */
function newestPerEmail(records: SourceRecord[]): { latest: SourceRecord[]; superseded: number } {
  const byEmail = new Map<string, SourceRecord>();
  for (const record of records) {
    const key = record.email.toLowerCase();
    const seen = byEmail.get(key);
    if (!seen || record.orderId > seen.orderId) byEmail.set(key, record);
  }
  return { latest: [...byEmail.values()], superseded: records.length - byEmail.size };
}

/** Same field values (MailerLite may return numbers as strings) and already in the group. */
function isUpToDate(
  existing: MlSubscriber,
  fields: Record<string, string | number>,
  groupId: string,
): boolean {
  if (!existing.groups.some((g) => g.id === groupId)) return false;
  return Object.entries(fields).every(([key, value]) => normalize(existing.fields[key]) === normalize(value));
}

function normalize(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value).trim();
  return JSON.stringify(value);
}

function describeRefusal(err: ProviderRequestError): string {
  const details = Object.entries(err.fieldErrors).map(
    ([field, messages]) => `${field}: ${messages.join(' ')}`,
  );
  return details.length > 0
    ? `MailerLite refused the record (HTTP ${err.status}): ${details.join('; ')}`
    : err.message;
}
