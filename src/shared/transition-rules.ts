/**
 * BEMA's transition rules, and the pure planning of one member of a source tier group. Pure (no
 * I/O, no clock), so the workflow runs it and unit tests cover it.
 *
 * A transition moves subscribers from a SOURCE campaign's tier groups to a DESTINATION campaign's
 * next-tier groups. For a member of the source tier `T`, the rules whose `current_tier` is `T` are
 * tried in order and the first that admits the member wins: a rule without `requires_purchase`
 * admits everyone; one with it admits only a member whose source purchase field names an EDD order
 * of the member's email (case-insensitive) that is a purchase by `order-status.ts`'s one rule.
 */
import { orderStanding } from './order-status';
import { NO_CONSENT_STATUSES } from './subscriber-plan';

/** One rule, with BEMA's field names. */
export interface TransitionRule {
  current_tier: string;
  next_tier: string;
  requires_purchase: boolean;
}

/**
 * BEMA's default progression, first matching rule wins: Opt-In → Gold if purchased, else Bronze;
 * Bronze → Silver if purchased; Silver → Gold if purchased; Gold stays Gold.
 */
export const DEFAULT_TRANSITION_RULES: readonly Readonly<TransitionRule>[] = [
  { current_tier: 'Opt-In', next_tier: 'Gold', requires_purchase: true },
  { current_tier: 'Opt-In', next_tier: 'Bronze', requires_purchase: false },
  { current_tier: 'Bronze', next_tier: 'Silver', requires_purchase: true },
  { current_tier: 'Silver', next_tier: 'Gold', requires_purchase: true },
  { current_tier: 'Gold', next_tier: 'Gold', requires_purchase: false },
];

/** A rule with its position in the input's rule list (for per-rule counts). */
export interface IndexedRule extends TransitionRule {
  index: number;
}

/** A member of a source tier group, as the member-listing activity reports it. */
export interface TransitionMember {
  id: string;
  email: string;
  status: string;
  /** The source campaign's purchase field as text, or null when it is empty. */
  purchase: string | null;
  /** Of the group IDs the listing was asked about (the destination's tier groups), those the member is in. */
  groups: string[];
}

/**
 * What EDD says about a member's purchase field (`activities/order-lookup.ts` finds the order by the
 * member's email and the field's value). `order` is the order's number as EDD shows it (`EDD-1042`
 * with sequential order numbers), `status` its EDD status.
 *
 * - `match`: the member's order, and a purchase (complete or partially refunded): admits;
 * - `order-on-hold`: the member's order, on hold: does not admit now, and the member waits (no later
 *   rule of the tier decides for them);
 * - `order-not-a-purchase`: the member's order, revoked, refunded, pending or unfinished: does not
 *   admit, as if there were no purchase;
 * - `order-not-found`, `email-mismatch`: no such order of the member's.
 */
export type PurchaseVerdict =
  | { kind: 'match'; order: string; status: string }
  | { kind: 'order-on-hold'; order: string; status: string }
  | { kind: 'order-not-a-purchase'; order: string; status: string }
  | { kind: 'order-not-found' }
  | { kind: 'email-mismatch' };

/** Why a member matched no rule of its tier. */
export type NotEligibleReason =
  'no-purchase' | 'order-not-found' | 'email-mismatch' | 'order-on-hold' | 'order-not-a-purchase';

/** The verdict on an order EDD found among the member's: by its status, one rule (`order-status.ts`). */
export function verdictForOrder(sale: { ID: string; status: string }): PurchaseVerdict {
  const order = sale.ID.trim().slice(0, 40);
  const status = sale.status.trim().slice(0, 40);
  switch (orderStanding(sale.status)) {
    case 'purchase':
      return { kind: 'match', order, status };
    case 'on-hold':
      return { kind: 'order-on-hold', order, status };
    case 'not-a-purchase':
      return { kind: 'order-not-a-purchase', order, status };
  }
}

/** The source tiers the rules move members from, in the order they first appear. */
export function sourceTiers(rules: readonly TransitionRule[]): string[] {
  return [...new Set(rules.map((r) => r.current_tier))];
}

/** The rules of one source tier, in order, with their positions in the full list. */
export function rulesForTier(rules: readonly TransitionRule[], tier: string): IndexedRule[] {
  return rules.flatMap((r, index) => (r.current_tier === tier ? [{ ...r, index }] : []));
}

/**
 * Problems with a rule list that the input schema reports: a rule after one of the same tier that
 * needs no purchase can never match (the earlier one always wins). Each problem is `[index, message]`.
 */
export function unreachableRules(rules: readonly TransitionRule[]): [number, string][] {
  const problems: [number, string][] = [];
  const open = new Map<string, number>();
  rules.forEach((rule, index) => {
    const earlier = open.get(rule.current_tier);
    if (earlier !== undefined) {
      problems.push([
        index,
        `rule ${index} (${rule.current_tier} → ${rule.next_tier}) can never match: rule ${earlier} for ` +
          `${rule.current_tier} needs no purchase, so it always matches first`,
      ]);
    } else if (!rule.requires_purchase) {
      open.set(rule.current_tier, index);
    }
  });
  return problems;
}

/**
 * The order a purchase field names, or why it names none. The field holds the order number's n
 * (`shared/order-number.ts`): the order ID, or with sequential order numbers the 1042 of `EDD-1042`.
 */
export function parsePurchase(value: string | null): { order: number } | { problem: string } {
  const text = (value ?? '').trim();
  if (text === '') return { problem: 'no purchase: the purchase field is empty' };
  if (!/^\d+$/.test(text) || Number(text) <= 0 || !Number.isSafeInteger(Number(text))) {
    return { problem: `no purchase: the purchase field holds '${text.slice(0, 40)}', not an order number` };
  }
  return { order: Number(text) };
}

/** Whether the member's status forbids touching them (unsubscribed, bounced, junk). */
export function withoutConsent(member: Pick<TransitionMember, 'status'>): boolean {
  return NO_CONSENT_STATUSES.includes(member.status);
}

/**
 * The order (the purchase field's value) to look up before {@link planMember} can decide, or
 * undefined when no look-up is needed: the member may not be touched, no rule of the tier requires
 * a purchase, or the purchase field names no order.
 */
export function purchaseToVerify(
  member: TransitionMember,
  tierRules: readonly IndexedRule[],
): number | undefined {
  if (withoutConsent(member) || !tierRules.some((r) => r.requires_purchase)) return undefined;
  const parsed = parsePurchase(member.purchase);
  return 'order' in parsed ? parsed.order : undefined;
}

/** Key of a verdict: the order (the field's value) and the member's email (case-insensitive). */
export function verdictKey(email: string, order: number): string {
  return `${order}:${email.trim().toLowerCase()}`;
}

export interface MemberPlanContext {
  /** The rules of the member's source tier, in order ({@link rulesForTier}). */
  tierRules: readonly IndexedRule[];
  /** Destination group ID by tier; '' for a group that does not exist (yet: a dry run). */
  destinationGroupIds: Readonly<Record<string, string>>;
  /** Also take a moved member out of the source tier group. */
  removeFromSource: boolean;
}

export type MemberPlan =
  | { kind: 'skipped-consent'; reason: string }
  | { kind: 'not-eligible'; reason: NotEligibleReason; detail: string }
  | { kind: 'unchanged'; rule: IndexedRule }
  | {
      kind: 'move';
      rule: IndexedRule;
      /** The destination group. */
      groupId: string;
      /** Join the destination group (false when already in it). */
      assign: boolean;
      /** Leave the source group (removeFromSource). */
      unassign: boolean;
    };

/**
 * What to do with one member of a source tier group. `verdict` is EDD's answer for the order
 * {@link purchaseToVerify} named; it must be given whenever that returned an order.
 *
 * - unsubscribed, bounced or junk: never touched (`skipped-consent`);
 * - the first rule of the tier that admits the member decides the destination tier;
 * - an order on hold waits: the first rule requiring a purchase stops there, `not-eligible`
 *   (`order-on-hold`), and no later rule moves the member (an Opt-In buyer is not sent to Bronze
 *   while their order is disputed; a re-run after the hold decides);
 * - none admits: `not-eligible`, with why the purchase did not count;
 * - already in the destination group: `unchanged` (nothing written), unless the member must also
 *   leave the source group (`removeFromSource`), which then is the only write.
 */
export function planMember(
  member: TransitionMember,
  ctx: MemberPlanContext,
  verdict?: PurchaseVerdict,
): MemberPlan {
  if (withoutConsent(member)) {
    return { kind: 'skipped-consent', reason: `subscriber is ${member.status}: not moved (consent)` };
  }
  // Why the purchase does not count: null when it does, undefined until a rule asks.
  let refusal: { reason: NotEligibleReason; detail: string } | null | undefined;
  const purchaseRefusal = (): { reason: NotEligibleReason; detail: string } | null => {
    const parsed = parsePurchase(member.purchase);
    if ('problem' in parsed) return { reason: 'no-purchase', detail: parsed.problem };
    if (verdict === undefined) {
      throw new TypeError(`order ${parsed.order} of ${member.email} was not verified before planning`);
    }
    switch (verdict.kind) {
      case 'match':
        return null;
      case 'order-not-found':
        return {
          reason: 'order-not-found',
          detail:
            `order ${parsed.order} was not found in EDD: no order of the subscriber's email has that ` +
            'number, and no order has that ID (with sequential order numbers, EDD does not list fully ' +
            'refunded or pending orders)',
        };
      case 'email-mismatch':
        return {
          reason: 'email-mismatch',
          detail: `order ${parsed.order} in EDD was placed with another email address`,
        };
      case 'order-on-hold':
        return {
          reason: 'order-on-hold',
          detail: `order ${verdict.order} is on hold in EDD (status '${verdict.status}'): not moved until the hold is resolved`,
        };
      case 'order-not-a-purchase':
        return {
          reason: 'order-not-a-purchase',
          detail:
            `order ${verdict.order} has status '${verdict.status}' in EDD: not a purchase ` +
            '(only complete and partially refunded orders count)',
        };
      default: {
        // A verdict of another shape (a worker of another version answered): never admit on it.
        const unknown: never = verdict;
        throw new TypeError(`unknown purchase verdict ${JSON.stringify(unknown)} for ${member.email}`);
      }
    }
  };
  for (const rule of ctx.tierRules) {
    if (rule.requires_purchase) {
      if (refusal === undefined) refusal = purchaseRefusal();
      // An order on hold is neither a purchase nor the lack of one: no later rule decides.
      if (refusal?.reason === 'order-on-hold') break;
      if (refusal) continue;
    }
    const groupId = ctx.destinationGroupIds[rule.next_tier] ?? '';
    const inDestination = groupId !== '' && member.groups.includes(groupId);
    if (inDestination && !ctx.removeFromSource) return { kind: 'unchanged', rule };
    return { kind: 'move', rule, groupId, assign: !inDestination, unassign: ctx.removeFromSource };
  }
  return {
    kind: 'not-eligible',
    ...(refusal ?? { reason: 'no-purchase', detail: 'no rule of the tier applies' }),
  };
}
