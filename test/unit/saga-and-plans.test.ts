import { createOutcome, createResultMessage, planProvisioning } from '../../src/shared/provisioning-plan';
import { CampaignCreateInputSchema } from '../../src/shared/provisioning';
import { Saga } from '../../src/workflows/saga';

describe('Saga', () => {
  it('undoes newest first, goes on past a failed undo, and reports it with its item', async () => {
    const saga = new Saga<string>();
    const ran: string[] = [];
    saga.push('a', () => Promise.resolve(ran.push('a')));
    saga.push('b', () => Promise.reject(new Error('b is stuck')));
    saga.push('c', () => Promise.resolve(ran.push('c')));
    expect(saga.done).toEqual(['a', 'b', 'c']);
    const { undone, failed } = await saga.compensate();
    expect(ran).toEqual(['c', 'a']);
    expect(undone).toEqual(['c', 'a']);
    expect(failed.map((f) => [f.item, (f.error as Error).message])).toEqual([['b', 'b is stuck']]);
  });
});

describe('campaign create plan and message', () => {
  const campaign = '2099_PLAN';
  const input = CampaignCreateInputSchema.parse({
    campaign,
    custom: true,
    tiers: ['Gold', 'Silver', 'Bronze'],
  });
  const found = {
    groups: [
      { tier: 'Gold', name: `${campaign}_GOLD`, id: 'g1' },
      { tier: 'Silver', name: `${campaign}_SILVER`, id: null },
      { tier: 'Bronze', name: `${campaign}_BRONZE`, id: null },
    ],
    field: { id: 'f1', name: `${campaign}_PURCHASE`, key: 'p', type: 'text' },
    accountGroups: { count: 9, max: 10 },
  };

  it('refuses a text purchase field and groups that do not fit, naming what to do', () => {
    const plan = planProvisioning(campaign, `${campaign}_PURCHASE`, found, undefined);
    expect(plan.missingGroups).toBe(2);
    expect(plan.room).toEqual({ used: 9, max: 10, leftBefore: 1 });
    expect(plan.fieldConflict).toMatch(/is a text field; the purchase field must be a number field/);
    expect(plan.roomConflict).toMatch(/needs 2 more\. Delete groups .* \(or raise MAILERLITE_MAX_GROUPS/);
    expect(plan.wouldCreate.map((r) => r.name)).toEqual([`${campaign}_SILVER`, `${campaign}_BRONZE`]);
    expect(plan.existing.map((r) => r.name)).toEqual([`${campaign}_GOLD`, `${campaign}_PURCHASE`]);
  });

  it("words a dry run's outcome, with the conflicts and the account's room", () => {
    const plan = planProvisioning(campaign, `${campaign}_PURCHASE`, found, undefined);
    const outcome = createOutcome({ ...input, dryRun: true }, null, plan, {
      created: [],
      reused: plan.existing,
      scheduleCreated: false,
    });
    // 2 groups would not fit in 1: a real run adds none.
    expect(outcome.accountGroups).toEqual({ used: 9, max: 10, leftBefore: 1, leftAfter: 1 });
    expect(createResultMessage(outcome)).toMatch(
      /^Dry run: would create 2 groups for campaign 2099_PLAN; nothing was created\. A real run would fail: MailerLite field .* MailerLite account: 9 of 10 groups used, 1 left\.$/,
    );
  });

  it("words a real run's outcome with what it created and reused", () => {
    const fits = { ...found, field: null, accountGroups: { count: 2, max: 10 } };
    const plan = planProvisioning(campaign, `${campaign}_PURCHASE`, fits, undefined);
    const outcome = createOutcome(input, null, plan, {
      created: [
        { kind: 'group', name: `${campaign}_SILVER`, id: '2' },
        { kind: 'group', name: `${campaign}_BRONZE`, id: '3' },
        { kind: 'field', name: `${campaign}_PURCHASE`, id: '4' },
      ],
      reused: [{ kind: 'group', name: `${campaign}_GOLD` }],
      scheduleCreated: false,
    });
    expect(createResultMessage(outcome)).toBe(
      'Created 2 groups and field 2099_PLAN_PURCHASE for campaign 2099_PLAN; reused 1 group that existed. ' +
        'MailerLite account: 2 of 10 groups used, 8 left; 6 after this run.',
    );
  });
});
