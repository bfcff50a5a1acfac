import { estimateDestinationRead } from '../../src/shared/destination-read';

// Which way a full sync reads MailerLite, from the sizes alone.

const none = { active: 0, unsubscribed: 0, unconfirmed: 0, bounced: 0, junk: 0 };

describe('estimating the cost of reading the destination', () => {
  it('reads a re-run of 20,000 unchanged buyers with the lists: 24 requests against 400', () => {
    const read = estimateDestinationRead({
      buyers: 20_000,
      members: { ...none, active: 20_000 },
      listLimit: 1000,
    });
    // 20 pages of members and one page for each of the four non-active lists; nothing to write.
    expect(read).toEqual({
      way: 'lists',
      estimatedRequests: 24,
      otherWayRequests: 400,
      buyers: 20_000,
      groupMembers: 20_000,
      listLimit: 1000,
    });
  });

  it("reads a campaign's first sync with the lists: 49 new subscribers a request instead of 25", () => {
    const read = estimateDestinationRead({ buyers: 5880, listLimit: 1000 });
    expect(read).toMatchObject({ way: 'lists', estimatedRequests: 5 + 120, otherWayRequests: 236 });
  });

  it('reads a handful of buyers one by one, when five lists would cost more', () => {
    const read = estimateDestinationRead({ buyers: 100, members: { ...none, active: 100 }, listLimit: 1000 });
    expect(read).toMatchObject({ way: 'per-buyer', estimatedRequests: 2, otherWayRequests: 5 });
  });

  it('reads per buyer when the non-active lists are far larger than the campaign', () => {
    const read = estimateDestinationRead({
      buyers: 2000,
      members: { ...none, active: 2000, unsubscribed: 300_000 },
      listLimit: 100,
    });
    expect(read.way).toBe('per-buyer');
  });

  it('takes the group for the buyers when EDD gives no count', () => {
    const read = estimateDestinationRead({ members: { ...none, active: 3000, junk: 5 }, listLimit: 1000 });
    expect(read).toMatchObject({ buyers: 3005, groupMembers: 3005, way: 'lists' });
  });
});
