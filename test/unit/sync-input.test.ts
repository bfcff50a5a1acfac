import { checkSyncInput } from '../../src/temporal/sync-start';
import { InvalidInputError } from '../../src/shared/errors';
import { SyncInputSchema } from '../../src/shared/sync-types';
import { describeZodIssues } from '../../src/shared/schemas';
import { forgedResume } from '../reliability/support/invalid-inputs';

function issuesOf(input: unknown): string[] {
  const result = SyncInputSchema.safeParse(input);
  return result.success ? [] : describeZodIssues(result.error);
}

describe('sync input', () => {
  it('refuses a start that carries resume, even well formed: only continue-as-new sets it', () => {
    const input = { campaign: '2024_ETB_NBL', resume: forgedResume() };
    // The schema takes it (a continued run's input is checked by the same schema)...
    expect(issuesOf(input)).toEqual([]);
    // ...the client does not.
    expect(() => checkSyncInput(input)).toThrow(InvalidInputError);
    expect(() => checkSyncInput(input)).toThrow(/resume: is set by the sync itself when it continues as new/);
    expect(checkSyncInput({ campaign: '2024_ETB_NBL' }).resume).toBeUndefined();
  });

  it('applies documented defaults', () => {
    const parsed = SyncInputSchema.parse({ campaign: '2024_ETB_NBL' });
    expect(parsed).toMatchObject({
      pageSize: 100,
      purchaseTier: 'Bronze Purchase',
      reportLimit: 100,
      trigger: 'manual',
    });
    expect(parsed.tiers).toHaveLength(8);
  });

  it('names the field that is wrong', () => {
    expect(issuesOf({ campaign: 'etb nbl' })[0]).toMatch(
      /^campaign: campaign must be a code like 2024_ETB_NBL/,
    );
    expect(issuesOf({})[0]).toMatch(/^campaign: campaign is required/);
    expect(issuesOf({ campaign: '2024_ETB_NBL', pageSize: 0 })[0]).toMatch(/^pageSize: /);
    expect(issuesOf({ campaign: '2024_ETB_NBL', purchaseTier: 'Platinum' })).toEqual([
      'purchaseTier: purchaseTier must be one of tiers',
    ]);
  });

  it('refuses unknown keys, so credentials or typos cannot slip into workflow history', () => {
    expect(issuesOf({ campaign: '2024_ETB_NBL', apiToken: 'secret' })[0]).toMatch(/apiToken/);
  });
});
