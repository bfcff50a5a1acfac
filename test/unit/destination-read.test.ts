import { estimateDestinationRead } from '../../src/shared/destination-read';

// Which way a full sync reads MailerLite, from the sizes alone.

const none = { active: 0, unsubscribed: 0, unconfirmed: 0, bounced: 0, junk: 0 };

describe('estimating the cost of reading the destination', () => {
  it('reads a re-run of 20,000 unchanged buyers with the lists: 20 requests against 400', () => {
    const read = estimateDestinationRead({
      buyers: 20_000,
      members: { ...none, active: 20_000 },
      listLimit: 1000,
    });
    // 20 pages of members; every buyer is among them, so no non-active list; nothing to write.
    expect(read).toEqual({
      way: 'lists',
      estimatedRequests: 20,
      otherWayRequests: 400,
      buyers: 20_000,
      groupMembers: 20_000,
      listLimit: 1000,
    });
  });

  it("reads a campaign's first sync with the lists: 49 new subscribers a request instead of 25", () => {
    const read = estimateDestinationRead({ buyers: 5880, listLimit: 1000 });
    // Too many new buyers to look up (118 requests): the members and four non-active lists.
    expect(read).toMatchObject({ way: 'lists', estimatedRequests: 5 + 120, otherWayRequests: 236 });
  });

  it('looks a few buyers outside the group up (50 a request) rather than read four lists', () => {
    const few = estimateDestinationRead({
      buyers: 20_100,
      members: { ...none, active: 20_000 },
      listLimit: 1000,
    });
    // 20 pages of members, 2 look-ups, 3 batches of writes.
    expect(few).toMatchObject({ way: 'lists', estimatedRequests: 20 + 2 + 3 });
    const more = estimateDestinationRead({
      buyers: 21_800,
      members: { ...none, active: 20_000, unsubscribed: 1500 },
      listLimit: 1000,
    });
    // 300 outside the group: 6 look-ups would pass the allowance of 4, so the lists (2 pages of
    // unsubscribed, 1 of each other), and 7 batches.
    expect(more).toMatchObject({ way: 'lists', estimatedRequests: 20 + 2 + 1 + 1 + 1 + 7 });
  });

  it("reads a small campaign's first sync one by one, when the lists and look-ups would cost more", () => {
    const read = estimateDestinationRead({ buyers: 100, listLimit: 1000 });
    // Lists: 1 page of members, 2 look-ups, 3 batches; per buyer: 200 items, 4 batches.
    expect(read).toMatchObject({ way: 'per-buyer', estimatedRequests: 4, otherWayRequests: 6 });
  });

  it('takes the group for the buyers when EDD gives no count', () => {
    const read = estimateDestinationRead({ members: { ...none, active: 3000, junk: 5 }, listLimit: 1000 });
    expect(read).toMatchObject({ buyers: 3005, groupMembers: 3005, way: 'lists' });
  });
});
