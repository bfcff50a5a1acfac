import type { PurchaseVerdict, TransitionMember } from '../shared/transition-rules';
import { MAX_BATCH_REQUESTS, ML_STATUSES, type BatchRequest } from '../providers';
import { mapWithConcurrency } from './concurrency';
import { checkBatchAnswers } from './batch-answers';
import type { ActivityDeps } from './deps';

export interface TransitionMembersInput {
  /** The source tier group. */
  groupId: string;
  cursor: string | null;
  /** Members per request; the worker's MAILERLITE_LIST_LIMIT caps it. */
  limit: number;
  /** Key of the source campaign's purchase field. */
  purchaseFieldKey: string;
  /** Group IDs to report membership of (the destination's tier groups); others are left out. */
  groupIds: string[];
}

export interface TransitionMembersPage {
  members: TransitionMember[];
  nextCursor: string | null;
}

/** One group change: join (`assign`) or leave (`unassign`) a group. */
export interface GroupChange {
  action: 'assign' | 'unassign';
  subscriberId: string;
  groupId: string;
}

export type GroupChangeOutcome = { ok: true } | { ok: false; reason: string };

export interface PurchaseCheck {
  email: string;
  orderId: number;
}

export interface PurchaseCheckResult extends PurchaseCheck {
  verdict: PurchaseVerdict;
}

/**
 * A transition's activities. The two MailerLite ones each make exactly one API request and run on
 * the rate-limited MailerLite task queue; the EDD one (no rate limit there) runs on the main queue.
 */
export function transitionActivities({ providers, logger, eddConcurrency = 8 }: ActivityDeps) {
  return {
    /**
     * One page of a source tier group's members (`GET /groups/{id}/subscribers`), reduced to what
     * a transition plans with: ID, email, status, the source purchase field, and which of the
     * given groups each member is in. Members of every status are read, one status after another:
     * unconfirmed ones are moved as active ones are, and the withdrawn are read so the summary
     * reports them as skipped for consent (MailerLite's default would list active members only).
     */
    async listTransitionMembers(input: TransitionMembersInput): Promise<TransitionMembersPage> {
      const page = await providers.mailerlite.groupMembersPage(input.groupId, {
        statuses: ML_STATUSES,
        limit: input.limit,
        cursor: input.cursor,
      });
      const wanted = new Set(input.groupIds);
      return {
        members: page.items.map((s) => ({
          id: s.id,
          email: s.email,
          status: s.status,
          purchase: fieldText(s.fields[input.purchaseFieldKey]),
          groups: s.groups.filter((g) => wanted.has(g.id)).map((g) => g.id),
        })),
        nextCursor: page.nextCursor,
      };
    },

    /**
     * Up to 50 group changes in one `POST /api/batch`, with one outcome per change in order. A
     * change MailerLite refuses is reported with the reason; an item rate limited or failing
     * with 5xx makes the whole batch retry (joining and leaving a group are idempotent).
     */
    async applyGroupChanges(input: { changes: GroupChange[] }): Promise<GroupChangeOutcome[]> {
      if (input.changes.length > MAX_BATCH_REQUESTS) {
        throw new RangeError(
          `${input.changes.length} group changes exceed one batch (${MAX_BATCH_REQUESTS})`,
        );
      }
      if (input.changes.length === 0) return [];
      const requests = input.changes.map((c): BatchRequest => ({
        method: c.action === 'assign' ? 'POST' : 'DELETE',
        path: `api/subscribers/${encodeURIComponent(c.subscriberId)}/groups/${encodeURIComponent(c.groupId)}`,
      }));
      const result = await providers.mailerlite.batch(requests);
      checkBatchAnswers(requests, result);
      return result.responses.map((r, i): GroupChangeOutcome => {
        if (r.code >= 200 && r.code < 300) return { ok: true };
        const what = input.changes[i]!.action === 'assign' ? 'joining the group' : 'leaving the group';
        return { ok: false, reason: `MailerLite refused ${what} (HTTP ${r.code}): ${describe(r.body)}` };
      });
    },

    /**
     * Looks each order up in EDD (`GET /sales?id=`), a few at a time, and says whether it exists
     * and was placed with the member's email (compared case-insensitively). Each order is read once
     * however many members name it.
     */
    async verifyPurchases(input: { checks: PurchaseCheck[] }): Promise<PurchaseCheckResult[]> {
      const orderIds = [...new Set(input.checks.map((c) => c.orderId))];
      const orderEmails = await mapWithConcurrency(orderIds, eddConcurrency, async (id) => {
        const sale = await providers.edd.getSale(id);
        if (!sale) return undefined;
        // An order without an email is its customer's.
        const email = sale.email.trim() || (await providers.edd.getCustomer(sale.customer_id))?.info.email;
        return (email ?? '').trim().toLowerCase();
      });
      const emailOf = new Map(orderIds.map((id, i) => [id, orderEmails[i]]));
      const results = input.checks.map((check): PurchaseCheckResult => {
        const orderEmail = emailOf.get(check.orderId);
        const verdict: PurchaseVerdict =
          orderEmail === undefined
            ? 'order-not-found'
            : orderEmail === check.email.trim().toLowerCase()
              ? 'match'
              : 'email-mismatch';
        return { ...check, verdict };
      });
      logger.debug(
        { checks: results.length, matched: results.filter((r) => r.verdict === 'match').length },
        'purchases verified',
      );
      return results;
    },
  };
}

/** A field value as trimmed text; null when empty. MailerLite sends number fields as numbers or strings. */
function fieldText(value: unknown): string | null {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : null;
  if (typeof value === 'string') return value.trim() === '' ? null : value.trim();
  return null;
}

function describe(body: unknown): string {
  if (!body || typeof body !== 'object') return 'no details';
  const b = body as { message?: unknown; errors?: Record<string, unknown> };
  const details = Object.entries(b.errors ?? {}).map(
    ([field, messages]) => `${field}: ${Array.isArray(messages) ? messages.join(' ') : String(messages)}`,
  );
  return details.length > 0 ? details.join('; ') : typeof b.message === 'string' ? b.message : 'no details';
}
