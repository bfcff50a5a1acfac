import { DEFAULT_TIERS } from '../../src/shared/campaign';
import {
  CampaignCreateInputSchema,
  isCronExpression,
  scheduledSyncInput,
  type CampaignCreateInput,
} from '../../src/shared/provisioning';
import { describeZodIssues } from '../../src/shared/schemas';

function issues(input: unknown): string[] {
  const parsed = CampaignCreateInputSchema.safeParse(input);
  return parsed.success ? [] : describeZodIssues(parsed.error);
}

describe('campaign create input', () => {
  it('fills in the defaults', () => {
    expect(CampaignCreateInputSchema.parse({ campaign: '2024_ETB_NBL' })).toEqual({
      campaign: '2024_ETB_NBL',
      custom: false,
      dryRun: false,
      tiers: [...DEFAULT_TIERS],
    });
  });

  it.each<[string, unknown, RegExp]>([
    ['a bad code', { campaign: 'etb' }, /^campaign: campaign must be a code/],
    // As a sync's input is checked: the same code, tier and label rules.
    ['a 65-character code', { campaign: `2024_${'A'.repeat(60)}` }, /^campaign: campaign must be at most 64/],
    [
      'a tier with a line break',
      { campaign: '2024_A_B', tiers: ['Gold\nX'] },
      /^tiers.0: a tier name must not contain control/,
    ],
    ['a tier with a bidi override', { campaign: '2024_A_B', tiers: ['Gold\u202e'] }, /^tiers.0: .*invisible/],
    [
      'a 101-character tier',
      { campaign: '2024_A_B', tiers: ['T'.repeat(101)] },
      /^tiers.0: a tier name must be at most 100/,
    ],
    [
      '21 tiers',
      { campaign: '2024_A_B', tiers: Array.from({ length: 21 }, (_, i) => `T${i}`) },
      /^tiers: tiers must list at most 20/,
    ],
    ['an unknown key', { campaign: '2024_A_B', every: '1h' }, /Unrecognized key/],
    [
      'both every and cron',
      { campaign: '2024_A_B', schedule: { every: '1h', cron: '0 * * * *' } },
      /exactly one/,
    ],
    ['neither every nor cron', { campaign: '2024_A_B', schedule: {} }, /exactly one/],
    ['an every in seconds', { campaign: '2024_A_B', schedule: { every: '30s' } }, /^schedule.every: /],
    ['a cron of four fields', { campaign: '2024_A_B', schedule: { cron: '0 * * *' } }, /^schedule.cron: /],
    [
      'a custom campaign with a schedule',
      { campaign: '2024_A_B', custom: true, schedule: { every: '1h' } },
      /^schedule: /,
    ],
    [
      'a custom campaign with a product',
      { campaign: '2024_A_B', custom: true, productId: 3 },
      /^productId: /,
    ],
    [
      'two tiers giving one group',
      { campaign: '2024_A_B', tiers: ['Gold', 'gold'] },
      /^tiers: two tiers give/,
    ],
    [
      'a sync option the schedule sets',
      { campaign: '2024_A_B', schedule: { every: '1h', sync: { trigger: 'x' } } },
      /^schedule.sync.trigger: /,
    ],
    [
      'a sync option the sync refuses',
      { campaign: '2024_A_B', schedule: { every: '1h', sync: { pageSize: 0 } } },
      /^schedule.sync: pageSize: /,
    ],
    [
      'custom tiers without the purchase tier',
      { campaign: '2024_A_B', tiers: ['Gold'], schedule: { every: '1h' } },
      /purchaseTier must be one of tiers/,
    ],
  ])('refuses %s, naming the field', (_name, input, expected) => {
    const found = issues(input);
    expect(found.some((i) => expected.test(i))).toBe(true);
  });

  it('accepts cron expressions and macros', () => {
    expect(isCronExpression('0 * * * *')).toBe(true);
    expect(isCronExpression('*/15 9-17 * * MON-FRI')).toBe(true);
    expect(isCronExpression('@hourly')).toBe(true);
    expect(isCronExpression('0 * * * * *')).toBe(false);
    const ok: CampaignCreateInput = {
      campaign: '2024_A_B',
      schedule: { cron: '0 3 * * *', sync: { pageSize: 200 } },
    };
    expect(issues(ok)).toEqual([]);
  });

  it("gives the launcher the sync options, the trigger and the campaign's tiers when not the defaults", () => {
    expect(scheduledSyncInput('2024_A_B', [...DEFAULT_TIERS], { productId: 7 }, 'schedule:s')).toEqual({
      campaign: '2024_A_B',
      productId: 7,
      trigger: 'schedule:s',
    });
    expect(scheduledSyncInput('2024_A_B', ['Gold'], { purchaseTier: 'Gold' }, 'schedule:s')).toEqual({
      campaign: '2024_A_B',
      tiers: ['Gold'],
      purchaseTier: 'Gold',
      trigger: 'schedule:s',
    });
  });
});
