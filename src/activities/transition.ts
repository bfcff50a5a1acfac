import {
  verdictForOrder,
  verdictKey,
  type PurchaseVerdict,
  type TransitionMember,
} from '../shared/transition-rules';
import { MAX_BATCH_REQUESTS, ML_ROUTES, ML_STATUSES, batchRequest } from '../providers';
import { mapWithConcurrency } from './concurrency';
import { checkBatchAnswers } from './batch-answers';
import type { ActivityDeps } from './deps';
import { lookUpOrder } from './order-lookup';

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
  /** The member's email. */
  email: string;
  /** What the purchase field holds: the order number's n (the order ID unless numbers are sequential). */
  order: number;
}

export interface PurchaseCheckResult extends PurchaseCheck {
  verdict: PurchaseVerdict;
}

/**
 * A transition's activities. The two MailerLite ones each make exactly one API request and run on
 * the rate-limited MailerLite task queue; the EDD one (no rate limit there) runs on the main queue.
 */
export function transitionActivities({
  providers,
  logger,
  eddConcurrency = 8,
  orderNumberFormat,
}: ActivityDeps) {
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
      const requests = input.changes.map((c) =>
        batchRequest(c.action === 'assign' ? 'POST' : 'DELETE', ML_ROUTES.subscriberGroup, {
          id: c.subscriberId,
          groupId: c.groupId,
        }),
      );
      const result = await providers.mailerlite.batch(requests);
      checkBatchAnswers(requests, result);
      return result.responses.map((r, i): GroupChangeOutcome => {
        if (r.code >= 200 && r.code < 300) return { ok: true };
        const what = input.changes[i]!.action === 'assign' ? 'joining the group' : 'leaving the group';
        return { ok: false, reason: `MailerLite refused ${what} (HTTP ${r.code}): ${describe(r.body)}` };
      });
    },

    /**
     * Finds each member's order in EDD by their email and the purchase field's value
     * (`lookUpOrder`: the email's orders, matched by their number's n with the worker's
     * `EDD_ORDER_NUMBER_PREFIX`/`POSTFIX`, so sequential order numbers work too), a few at a time,
     * and judges it by its status (`shared/order-status.ts`): a purchase, on hold, or not a
     * purchase; or not found, or placed with another email. Each member and order is looked up once.
     */
    async verifyPurchases(input: { checks: PurchaseCheck[] }): Promise<PurchaseCheckResult[]> {
      const distinct = [...new Map(input.checks.map((c) => [verdictKey(c.email, c.order), c])).values()];
      const found = await mapWithConcurrency(distinct, eddConcurrency, async (check) => {
        const lookup = await lookUpOrder(providers.edd, check.email, check.order, orderNumberFormat);
        const verdict: PurchaseVerdict = lookup.found
          ? verdictForOrder(lookup.sale)
          : { kind: lookup.reason === 'not-found' ? 'order-not-found' : 'email-mismatch' };
        return verdict;
      });
      const verdictOf = new Map(distinct.map((c, i) => [verdictKey(c.email, c.order), found[i]!]));
      const results = input.checks.map((check): PurchaseCheckResult => ({
        ...check,
        verdict: verdictOf.get(verdictKey(check.email, check.order))!,
      }));
      // Counts only: emails and order numbers stay out of the log.
      const byVerdict: Record<string, number> = {};
      for (const r of results) byVerdict[r.verdict.kind] = (byVerdict[r.verdict.kind] ?? 0) + 1;
      logger.debug({ checks: results.length, ...byVerdict }, 'purchases verified');
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
