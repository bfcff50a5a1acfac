import { ApplicationFailure, heartbeat } from '@temporalio/activity';
import { orderStanding } from '../shared/order-status';
import { joined } from '../shared/sales-seams';
import { listFrom, readSalesPage } from './sales-reader';
import { MAX_BATCH_REQUESTS, ML_ROUTES, ML_STATUSES, batchRequest } from '../providers';
import { mapWithConcurrency } from './concurrency';
import { checkBatchAnswers } from './batch-answers';
import type { ActivityDeps } from './deps';
import type { MirrorScanResult } from '../shared/activity-io';

export interface MirrorScanInput {
  /** Names the source snapshot to compare with; the same key reuses this worker's copy. */
  sourceKey: string;
  productId: number;
  groupId: string;
  /** Where the walk through the group's members stands (null to start). */
  cursor: string | null;
}

export interface RemovalOutcome {
  subscriberId: string;
  ok: boolean;
  reason?: string;
}

/** Sales read per EDD request while building a source snapshot. */
const SNAPSHOT_PAGE = 1000;
/** Snapshots a worker keeps (one per mirror sync running on it). */
const SNAPSHOTS_KEPT = 4;

/**
 * Mirror mode's two MailerLite steps, each exactly one API request (they run on the rate-limited
 * MailerLite queue): reading one page of the purchase group's members and comparing it with the
 * source, and removing up to 50 members from the group in one batch.
 */
export function mirrorActivities({ providers, logger, eddConcurrency = 8 }: ActivityDeps) {
  // The source's purchaser emails, read once per sync and kept by this worker while it compares
  // the group page by page. Another worker (or a restarted one) reads its own copy: reads only.
  const snapshots = new Map<string, Promise<Set<string>>>();

  /**
   * The emails to keep in the purchase group: buyers of the album whose order is a purchase or on
   * hold (`src/shared/order-status.ts`). Read with seams, so an order that moves up a page while the
   * store keeps selling is still read; if the list moves more than a seam absorbs, the whole read
   * starts over (up to three times), since a buyer missed here would be removed.
   */
  async function readPurchaserEmails(productId: number): Promise<Set<string>> {
    for (let attempt = 1; ; attempt++) {
      const emails = await readKeptEmailsOnce(productId);
      if (emails) return emails;
      if (attempt >= 3) {
        throw ApplicationFailure.retryable(
          "EDD's sales list changed by more orders than the mirror step can follow between two pages, three times running: nobody is removed until a read holds together",
          'SalesListMovedError',
        );
      }
    }
  }

  async function readKeptEmailsOnce(productId: number): Promise<Set<string> | undefined> {
    const emails = new Set<string>();
    let tail: string[] = [];
    for (let page = 1; ; page++) {
      const read = await readSalesPage(listFrom(providers.edd), page, SNAPSHOT_PAGE);
      if (page > 1 && !joined(tail, read.seam)) return undefined;
      const seen = new Set(tail);
      const sales = [...read.seamBefore.filter((s) => !seen.has(s.ID)), ...read.sales];
      tail = read.tail;
      const kept = sales.filter(
        (sale) =>
          orderStanding(sale.status) !== 'not-a-purchase' && sale.products.some((p) => p.id === productId),
      );
      // An order without an email is the customer's: look those few up.
      const missing = kept.filter((sale) => !sale.email?.trim());
      const found = await mapWithConcurrency(missing, eddConcurrency, (sale) =>
        providers.edd.getCustomer(sale.customer_id),
      );
      for (const sale of kept) if (sale.email?.trim()) emails.add(sale.email.trim().toLowerCase());
      for (const customer of found)
        if (customer?.info.email) emails.add(customer.info.email.trim().toLowerCase());
      heartbeat({ page });
      if (read.done) return emails;
    }
  }

  function snapshot(key: string, productId: number): Promise<Set<string>> {
    let existing = snapshots.get(key);
    if (!existing) {
      existing = readPurchaserEmails(productId);
      existing.catch(() => snapshots.delete(key));
      snapshots.set(key, existing);
      while (snapshots.size > SNAPSHOTS_KEPT) snapshots.delete(snapshots.keys().next().value!);
    }
    return existing;
  }

  return {
    /**
     * Reads one page of the purchase group's members and returns those who are no purchaser of
     * the album in the source (compared by lower-cased email). The first call of a sync on this
     * worker reads the source's purchasers from EDD (no rate limit there), heartbeating per page.
     */
    async mirrorScanPage(input: MirrorScanInput): Promise<MirrorScanResult> {
      const purchasers = await snapshot(`${input.sourceKey}:${input.productId}`, input.productId);
      // Every status, one after another: whoever is no purchaser leaves the purchase group, active
      // or not (their status stays as it is), so the group is right if they ever come back.
      const page = await providers.mailerlite.groupMembersPage(input.groupId, {
        statuses: ML_STATUSES,
        cursor: input.cursor,
      });
      const toRemove = page.items
        .filter((member) => !purchasers.has(member.email.trim().toLowerCase()))
        .map((member) => ({ subscriberId: member.id, email: member.email }));
      return { scanned: page.items.length, toRemove, nextCursor: page.nextCursor };
    },

    /** Removes members from a group in one batch request (at most 50). */
    async mirrorRemoveMembers(input: {
      groupId: string;
      subscriberIds: string[];
    }): Promise<RemovalOutcome[]> {
      if (input.subscriberIds.length > MAX_BATCH_REQUESTS)
        throw new RangeError(
          `${input.subscriberIds.length} removals exceed one batch (${MAX_BATCH_REQUESTS})`,
        );
      const requests = input.subscriberIds.map((id) =>
        batchRequest('DELETE', ML_ROUTES.subscriberGroup, { id, groupId: input.groupId }),
      );
      const result = await providers.mailerlite.batch(requests);
      checkBatchAnswers(requests, result);
      const outcomes = result.responses.map((r, i): RemovalOutcome => {
        const subscriberId = input.subscriberIds[i]!;
        // 404: the subscriber (or the group) is gone already, which is what removal wanted.
        if (r.code === 200 || r.code === 204 || r.code === 404) return { subscriberId, ok: true };
        const message = (r.body as { message?: unknown } | null)?.message;
        return {
          subscriberId,
          ok: false,
          reason: `MailerLite refused the removal (HTTP ${r.code})${typeof message === 'string' ? `: ${message}` : ''}`,
        };
      });
      const failed = outcomes.filter((o) => !o.ok).length;
      logger.info({ groupId: input.groupId, removed: outcomes.length - failed, failed }, 'mirror removals');
      return outcomes;
    },
  };
}
