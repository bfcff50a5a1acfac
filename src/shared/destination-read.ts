/**
 * How a full sync learns what MailerLite holds, and what each way is estimated to cost in requests
 * (see docs/write-strategy.md). Pure, so the workflow decides with it.
 */

/**
 * The lists a full sync's list path reads to know the destination: the purchase group's active
 * members, then, when buyers not among them are too many to look up one by one, the account's
 * subscribers of each status that is not active (with their groups, so a member among them is
 * known as one). Whoever is in none of them is either new or an active subscriber outside the
 * group, and an upsert with `status: active` is right for both.
 */
export const NON_ACTIVE_LISTS = ['unsubscribed', 'bounced', 'junk', 'unconfirmed'] as const;
export const DESTINATION_LISTS = ['members', ...NON_ACTIVE_LISTS] as const;
export type DestinationList = (typeof DESTINATION_LISTS)[number];

/** Most operations of one MailerLite batch. */
const MAX_BATCH_ITEMS = 50;

/** A group's members by status (MailerLite's group object). */
export interface MemberCounts {
  active: number;
  unsubscribed: number;
  unconfirmed: number;
  bounced: number;
  junk: number;
}

/** What the summary says of the choice (`destinationRead`). */
export interface DestinationRead {
  /**
   * `lists`: the purchase group's members and the account's non-active subscribers read with
   * cursor lists, only what differs written. `per-buyer`: every buyer read in the write batches.
   */
  way: 'lists' | 'per-buyer';
  /** Requests the chosen way was estimated to cost (reads and writes, not the preparation). */
  estimatedRequests: number;
  /** The same estimate for the other way. */
  otherWayRequests: number;
  /** Buyers expected (EDD's sales of the album, else the group's members). */
  buyers: number;
  /** Members of the purchase group before the run. */
  groupMembers: number;
  /** Page size of the lists. */
  listLimit: number;
  /**
   * What the list path did (set as it runs, carried over continue-as-new): buyers in no list read
   * that it looked up one by one (again after a lost worker's index was rebuilt), and whether it
   * read the account's non-active lists instead (once they were too many to look up).
   */
  lookedUp?: number;
  nonActiveListsRead?: boolean;
}

export interface DestinationEstimateInput {
  /** EDD's count of the album's sales, when the key may see it. */
  buyers?: number;
  /** The purchase group's members by status, when known (none: a new group). */
  members?: MemberCounts;
  listLimit: number;
  /** Operations a batch carries (the sync's `batchSize`). Default 50. */
  batchSize?: number;
}

/**
 * Requests each way costs, estimated from the sizes:
 * - per buyer (EDD's count of the album's sales, else the group's members): every buyer is one batch item (a read), and a new one one more (its write), `batchSize` (50) a batch;
 * - lists: the group's active members `⌈active/L⌉` (at least one page); for the buyers not among
 *   them, look-ups `⌈(buyers - active)/50⌉` while that is at most one request per non-active status, else one
 *   list per non-active status `⌈n/L⌉` (at least one page each; the group's own counts stand in
 *   for the account's, which are not known before reading); plus the new buyers' writes, one less
 *   a batch (49).
 * Both assume the buyers already in the group are unchanged (an update costs the lists way one item
 * and the per-buyer way two). The lists way is chosen unless it costs more.
 */
export function estimateDestinationRead(input: DestinationEstimateInput): DestinationRead {
  const m = input.members ?? { active: 0, unsubscribed: 0, unconfirmed: 0, bounced: 0, junk: 0 };
  const L = Math.max(1, input.listLimit);
  const items = Math.min(MAX_BATCH_ITEMS, Math.max(2, input.batchSize ?? MAX_BATCH_ITEMS));
  const groupMembers = m.active + m.unsubscribed + m.unconfirmed + m.bounced + m.junk;
  const buyers = input.buyers ?? groupMembers;
  const fresh = Math.max(0, buyers - groupMembers);
  const pages = (n: number) => Math.max(1, Math.ceil(n / L));
  // Everyone not among the group's active members is looked up: the new, and the group's own
  // unsubscribed, bounced, junk and unconfirmed members.
  const lookUps = Math.ceil(Math.max(0, buyers - m.active) / MAX_BATCH_ITEMS);
  const nonActive =
    lookUps <= NON_ACTIVE_LISTS.length
      ? lookUps
      : pages(m.unsubscribed) + pages(m.bounced) + pages(m.junk) + pages(m.unconfirmed);
  const lists = pages(m.active) + nonActive + Math.ceil(fresh / (items - 1));
  const perBuyer = Math.ceil((buyers + fresh) / items);
  const way = lists <= perBuyer ? 'lists' : 'per-buyer';
  return {
    way,
    estimatedRequests: way === 'lists' ? lists : perBuyer,
    otherWayRequests: way === 'lists' ? perBuyer : lists,
    buyers,
    groupMembers,
    listLimit: L,
  };
}
