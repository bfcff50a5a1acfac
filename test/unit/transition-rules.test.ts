import { parseRulesOption } from '../../src/client/transition';
import { InvalidInputError } from '../../src/shared/errors';
import {
  DEFAULT_TRANSITION_RULES,
  parsePurchase,
  planMember,
  purchaseToVerify,
  rulesForTier,
  sourceTiers,
  unreachableRules,
  verdictForOrder,
  type MemberPlanContext,
  type PurchaseVerdict,
  type TransitionMember,
} from '../../src/shared/transition-rules';
import { describeZodIssues } from '../../src/shared/schemas';
import { TransitionInputSchema } from '../../src/shared/transition-types';

const DEST = { 'Opt-In': 'd-optin', Bronze: 'd-bronze', Silver: 'd-silver', Gold: 'd-gold' };

function ctx(tier: string, over: Partial<MemberPlanContext> = {}): MemberPlanContext {
  return {
    tierRules: rulesForTier(DEFAULT_TRANSITION_RULES, tier),
    destinationGroupIds: DEST,
    removeFromSource: false,
    ...over,
  };
}

function member(over: Partial<TransitionMember> = {}): TransitionMember {
  return { id: '1', email: 'Ann@Example.com', status: 'active', purchase: null, groups: [], ...over };
}

const MATCH: PurchaseVerdict = { kind: 'match', order: '7', status: 'complete' };
const NOT_FOUND: PurchaseVerdict = { kind: 'order-not-found' };
const MISMATCH: PurchaseVerdict = { kind: 'email-mismatch' };

describe('BEMA default progression', () => {
  it('moves opt-ins to Gold when the purchase is theirs, else to Bronze', () => {
    const buyer = member({ purchase: '1042' });
    expect(purchaseToVerify(buyer, ctx('Opt-In').tierRules)).toBe(1042);
    expect(planMember(buyer, ctx('Opt-In'), MATCH)).toMatchObject({
      kind: 'move',
      groupId: 'd-gold',
      assign: true,
      unassign: false,
      rule: { index: 0, next_tier: 'Gold' },
    });
    for (const verdict of [NOT_FOUND, MISMATCH]) {
      expect(planMember(buyer, ctx('Opt-In'), verdict)).toMatchObject({
        kind: 'move',
        groupId: 'd-bronze',
        rule: { index: 1 },
      });
    }
    const noPurchase = member();
    expect(purchaseToVerify(noPurchase, ctx('Opt-In').tierRules)).toBeUndefined();
    expect(planMember(noPurchase, ctx('Opt-In'))).toMatchObject({ kind: 'move', groupId: 'd-bronze' });
  });

  it('moves Bronze to Silver and Silver to Gold only with a verified purchase, with the reason otherwise', () => {
    expect(planMember(member({ purchase: '7' }), ctx('Bronze'), MATCH)).toMatchObject({
      kind: 'move',
      groupId: 'd-silver',
      rule: { index: 2 },
    });
    expect(planMember(member({ purchase: '7' }), ctx('Silver'), MATCH)).toMatchObject({
      kind: 'move',
      groupId: 'd-gold',
      rule: { index: 3 },
    });
    expect(planMember(member({ purchase: '7' }), ctx('Bronze'), NOT_FOUND)).toEqual({
      kind: 'not-eligible',
      reason: 'order-not-found',
      detail:
        "order 7 was not found in EDD: no order of the subscriber's email has that number, and no order " +
        'has that ID (with sequential order numbers, EDD does not list fully refunded or pending orders)',
    });
    expect(planMember(member({ purchase: '7' }), ctx('Silver'), MISMATCH)).toMatchObject({
      kind: 'not-eligible',
      reason: 'email-mismatch',
    });
    expect(planMember(member(), ctx('Bronze'))).toMatchObject({
      kind: 'not-eligible',
      reason: 'no-purchase',
      detail: 'no purchase: the purchase field is empty',
    });
    expect(planMember(member({ purchase: 'n/a' }), ctx('Bronze'))).toMatchObject({
      kind: 'not-eligible',
      reason: 'no-purchase',
      detail: "no purchase: the purchase field holds 'n/a', not an order number",
    });
  });

  it('keeps Gold members Gold without looking at purchases', () => {
    const gold = member({ purchase: '99' });
    expect(purchaseToVerify(gold, ctx('Gold').tierRules)).toBeUndefined();
    expect(planMember(gold, ctx('Gold'))).toMatchObject({
      kind: 'move',
      groupId: 'd-gold',
      rule: { index: 4 },
    });
  });
});

describe('order statuses (shared/order-status.ts): one rule in transitions', () => {
  const order = (status: string) => verdictForOrder({ ID: 'EDD-1042', status });

  it('judges an order of the member by its status', () => {
    for (const status of ['complete', 'publish', 'partially_refunded']) {
      expect(order(status)).toEqual({ kind: 'match', order: 'EDD-1042', status });
    }
    expect(order('on_hold')).toEqual({ kind: 'order-on-hold', order: 'EDD-1042', status: 'on_hold' });
    for (const status of ['revoked', 'refunded', 'pending', 'failed', 'abandoned']) {
      expect(order(status)).toEqual({ kind: 'order-not-a-purchase', order: 'EDD-1042', status });
    }
  });

  it('admits a partially refunded order: the buyer still owns the album', () => {
    expect(
      planMember(member({ purchase: '1042' }), ctx('Bronze'), order('partially_refunded')),
    ).toMatchObject({
      kind: 'move',
      groupId: 'd-silver',
      rule: { index: 2 },
    });
  });

  it('does not admit a revoked, refunded or pending order, naming its status', () => {
    for (const status of ['revoked', 'refunded', 'pending']) {
      expect(planMember(member({ purchase: '1042' }), ctx('Silver'), order(status))).toEqual({
        kind: 'not-eligible',
        reason: 'order-not-a-purchase',
        detail: `order EDD-1042 has status '${status}' in EDD: not a purchase (only complete and partially refunded orders count)`,
      });
      // Not a purchase is no purchase: an opt-in goes on to the rule that needs none.
      expect(planMember(member({ purchase: '1042' }), ctx('Opt-In'), order(status))).toMatchObject({
        kind: 'move',
        groupId: 'd-bronze',
        rule: { index: 1 },
      });
    }
  });

  it('makes a member whose order is on hold wait: no rule of the tier moves them, nothing is removed', () => {
    const waiting = {
      kind: 'not-eligible',
      reason: 'order-on-hold',
      detail: "order EDD-1042 is on hold in EDD (status 'on_hold'): not moved until the hold is resolved",
    };
    expect(planMember(member({ purchase: '1042' }), ctx('Bronze'), order('on_hold'))).toEqual(waiting);
    // Not sent to Bronze by the Opt-In rule that needs no purchase, ...
    expect(planMember(member({ purchase: '1042' }), ctx('Opt-In'), order('on_hold'))).toEqual(waiting);
    // ... not taken out of the source group either, and not out of a destination group it is in.
    expect(
      planMember(
        member({ purchase: '1042', groups: ['d-gold'] }),
        ctx('Opt-In', { removeFromSource: true }),
        order('on_hold'),
      ),
    ).toEqual(waiting);
    // A rule before the purchase rule still decides as usual (it does not look at the order).
    const rules = rulesForTier(
      [
        { current_tier: 'Gold', next_tier: 'Gold', requires_purchase: false },
        { current_tier: 'Silver', next_tier: 'Gold', requires_purchase: true },
      ],
      'Gold',
    );
    expect(planMember(member({ purchase: '1042' }), ctx('Gold', { tierRules: rules }))).toMatchObject({
      kind: 'move',
      groupId: 'd-gold',
    });
  });
});

describe('planning a member', () => {
  it('never touches unsubscribed, bounced or junk members, and does not look their orders up', () => {
    for (const status of ['unsubscribed', 'bounced', 'junk']) {
      const m = member({ status, purchase: '5' });
      expect(purchaseToVerify(m, ctx('Bronze').tierRules)).toBeUndefined();
      expect(planMember(m, ctx('Bronze'))).toEqual({
        kind: 'skipped-consent',
        reason: `subscriber is ${status}: not moved (consent)`,
      });
    }
    expect(planMember(member({ status: 'unconfirmed' }), ctx('Opt-In'))).toMatchObject({ kind: 'move' });
  });

  it('counts a member already in the destination group as unchanged (nothing to write)', () => {
    expect(planMember(member({ groups: ['d-bronze'] }), ctx('Opt-In'))).toMatchObject({
      kind: 'unchanged',
      rule: { index: 1 },
    });
    // In Gold already, but the purchase is not theirs: the Bronze rule decides.
    expect(planMember(member({ purchase: '3', groups: ['d-gold'] }), ctx('Opt-In'), MISMATCH)).toMatchObject({
      kind: 'move',
      groupId: 'd-bronze',
    });
  });

  it('with removeFromSource, leaves the source group, also when already in the destination', () => {
    const opts = { removeFromSource: true };
    expect(planMember(member(), ctx('Opt-In', opts))).toMatchObject({
      kind: 'move',
      assign: true,
      unassign: true,
    });
    expect(planMember(member({ groups: ['d-bronze'] }), ctx('Opt-In', opts))).toMatchObject({
      kind: 'move',
      assign: false,
      unassign: true,
    });
  });

  it('moves into a destination group that does not exist yet (a dry run reports it)', () => {
    const c = ctx('Opt-In', { destinationGroupIds: { ...DEST, Bronze: '' } });
    expect(planMember(member(), c)).toMatchObject({ kind: 'move', groupId: '', assign: true });
  });

  it('refuses to plan a purchase that was not verified', () => {
    expect(() => planMember(member({ purchase: '12' }), ctx('Bronze'))).toThrow(/not verified/);
  });

  it('reads purchase fields strictly', () => {
    expect(parsePurchase(' 1042 ')).toEqual({ order: 1042 });
    expect(parsePurchase(null)).toHaveProperty('problem');
    expect(parsePurchase('0')).toHaveProperty('problem');
    expect(parsePurchase('12.5')).toHaveProperty('problem');
    expect(parsePurchase('-3')).toHaveProperty('problem');
  });
});

describe('rules', () => {
  it('lists source tiers in order and indexes each tier’s rules', () => {
    expect(sourceTiers(DEFAULT_TRANSITION_RULES)).toEqual(['Opt-In', 'Bronze', 'Silver', 'Gold']);
    expect(rulesForTier(DEFAULT_TRANSITION_RULES, 'Opt-In').map((r) => r.index)).toEqual([0, 1]);
    expect(rulesForTier(DEFAULT_TRANSITION_RULES, 'Wood')).toEqual([]);
  });

  it('finds rules that can never match', () => {
    expect(unreachableRules(DEFAULT_TRANSITION_RULES)).toEqual([]);
    const problems = unreachableRules([
      { current_tier: 'Opt-In', next_tier: 'Bronze', requires_purchase: false },
      { current_tier: 'Opt-In', next_tier: 'Gold', requires_purchase: true },
    ]);
    expect(problems).toHaveLength(1);
    expect(problems[0]![0]).toBe(1);
  });
});

describe('transition input', () => {
  const issuesOf = (input: unknown) => {
    const result = TransitionInputSchema.safeParse(input);
    return result.success ? [] : describeZodIssues(result.error);
  };

  it('applies the defaults: BEMA rules and tiers, keep members in the source, write', () => {
    const parsed = TransitionInputSchema.parse({ source: '2024_A_B', destination: '2025_C_D' });
    expect(parsed.rules).toEqual(DEFAULT_TRANSITION_RULES);
    expect(parsed).toMatchObject({
      removeFromSource: false,
      dryRun: false,
      reportLimit: 100,
      historyLimit: 10_000,
    });
    expect(parsed.tiers).toHaveLength(8);
  });

  it('checks codes, tiers, rules and trigger as a sync input is checked', () => {
    const base = { source: '2024_A_B', destination: '2025_C_D' };
    expect(issuesOf({ ...base, source: `2024_${'A'.repeat(60)}` })[0]).toMatch(
      /^source: source must be at most 64 characters/,
    );
    expect(issuesOf({ ...base, tiers: ['Gold\u0000'] })[0]).toMatch(/^tiers.0: a tier name must not contain/);
    expect(issuesOf({ ...base, tiers: Array.from({ length: 21 }, (_, i) => `T${i}`) })[0]).toMatch(
      /^tiers: tiers must list at most 20/,
    );
    expect(
      issuesOf({
        ...base,
        rules: [{ current_tier: 'Opt\u200bIn', next_tier: 'Gold', requires_purchase: false }],
      })[0],
    ).toMatch(/^rules.0.current_tier: current_tier must not contain control or invisible characters/);
    expect(
      issuesOf({
        ...base,
        rules: [{ current_tier: 'Gold', next_tier: 'G'.repeat(101), requires_purchase: false }],
      })[0],
    ).toMatch(/^rules.0.next_tier: next_tier must be at most 100/);
    expect(issuesOf({ ...base, rules: [{ next_tier: 'Gold', requires_purchase: false }] })[0]).toMatch(
      /^rules.0.current_tier: current_tier is required/,
    );
    expect(issuesOf({ ...base, trigger: 'cli\n{"level":60}' })[0]).toMatch(
      /^trigger: trigger must not contain/,
    );
  });

  it('names each field that is wrong', () => {
    expect(issuesOf({ source: '2024_A_B', destination: '2024_A_B' })).toEqual([
      'destination: destination must differ from source: a transition moves members to another campaign',
    ]);
    expect(issuesOf({ destination: '2024_A_B' })[0]).toMatch(/^source: source is required/);
    expect(issuesOf({ source: 'x', destination: '2024_A_B' })[0]).toMatch(/^source: source must be a code/);
    expect(
      issuesOf({
        source: '2024_A_B',
        destination: '2025_C_D',
        rules: [{ current_tier: 'Platinum', next_tier: 'Gold', requires_purchase: true }],
      }),
    ).toEqual([expect.stringMatching(/^rules\.0\.current_tier: 'Platinum' is not one of the tiers/)]);
    expect(
      issuesOf({
        source: '2024_A_B',
        destination: '2025_C_D',
        rules: [{ current_tier: 'Gold', next_tier: 'Gold' }],
      })[0],
    ).toMatch(/^rules\.0\.requires_purchase: /);
    expect(issuesOf({ source: '2024_A_B', destination: '2025_C_D', dryrun: true })[0]).toMatch(/dryrun/);
    expect(issuesOf({ source: '2024_A_B', destination: '2025_C_D', tiers: ['Gold', 'gold'] })).toContainEqual(
      expect.stringMatching(/^tiers\.1: /),
    );
  });

  it('refuses a rule list with a rule that can never match', () => {
    expect(
      issuesOf({
        source: '2024_A_B',
        destination: '2025_C_D',
        rules: [
          { current_tier: 'Gold', next_tier: 'Gold', requires_purchase: false },
          { current_tier: 'Gold', next_tier: 'Silver', requires_purchase: true },
        ],
      }),
    ).toEqual([expect.stringMatching(/^rules\.1: rule 1 .* can never match/)]);
  });
});

describe('--rules option', () => {
  const rules = [{ current_tier: 'Gold', next_tier: 'Gold', requires_purchase: false }];

  it('takes JSON inline or from @file', () => {
    expect(parseRulesOption(JSON.stringify(rules))).toEqual(rules);
    expect(
      parseRulesOption('@rules.json', (path) => (path === 'rules.json' ? JSON.stringify(rules) : '')),
    ).toEqual(rules);
  });

  it('says what is wrong', () => {
    expect(() => parseRulesOption('[{')).toThrow(InvalidInputError);
    expect(() => parseRulesOption('[{"current_tier":"Gold"}]')).toThrow(/rules\.0\.next_tier/);
    expect(() =>
      parseRulesOption('@missing.json', () => {
        throw new Error('ENOENT');
      }),
    ).toThrow(/cannot read missing\.json: ENOENT/);
  });
});
