import {
  campaignCode,
  campaignFromProduct,
  closestCampaignCodes,
  codePart,
  fieldKey,
  purchaseFieldName,
  tierGroupName,
  DEFAULT_TIERS,
} from '../../src/shared/campaign';

describe('BEMA campaign naming', () => {
  it('upper-cases a one-word name and takes the initials of a longer one', () => {
    expect(codePart('Marrow')).toBe('MARROW');
    expect(codePart('Echo The Bard')).toBe('ETB');
    expect(codePart('  neon   blue lights ')).toBe('NBL');
    expect(codePart('Zoë')).toBe('ZOE');
    expect(codePart('')).toBe('');
  });

  it('builds YEAR_ARTIST_ALBUM codes', () => {
    expect(campaignCode(2024, 'Echo The Bard', 'Neon Blue Lights')).toBe('2024_ETB_NBL');
    expect(campaignCode(2023, 'Marrow', 'Glass Harbor')).toBe('2023_MARROW_GH');
  });

  it('names tier groups and the purchase field as BEMA does', () => {
    expect(tierGroupName('2024_ETB_NBL', 'Bronze Purchase')).toBe('2024_ETB_NBL_BRONZE_PURCHASE');
    expect(tierGroupName('2024_ETB_NBL', 'Opt-In')).toBe('2024_ETB_NBL_OPT-IN');
    expect(DEFAULT_TIERS.map((t) => tierGroupName('X', t))).toHaveLength(8);
    expect(purchaseFieldName('2024_ETB_NBL')).toBe('2024_ETB_NBL_PURCHASE');
    expect(fieldKey('2024_ETB_NBL_PURCHASE')).toBe('2024_etb_nbl_purchase');
    expect(fieldKey('Last Name')).toBe('last_name');
  });

  it('derives a campaign from an album product and refuses other products', () => {
    expect(
      campaignFromProduct({ title: 'Echo The Bard - Neon Blue Lights', createDate: '2024-03-01 10:00:00' }),
    ).toBe('2024_ETB_NBL');
    expect(campaignFromProduct({ title: 'Marrow – Glass Harbor', createDate: '2023-01-01' })).toBe(
      '2023_MARROW_GH',
    );
    expect(campaignFromProduct({ title: 'Tour T-Shirt', createDate: '2024-01-01' })).toBeNull();
    expect(campaignFromProduct({ title: 'A - B', createDate: 'not a date' })).toBeNull();
  });
});

describe('closestCampaignCodes', () => {
  const known = ['2024_ETB_NBL', '2024_ETB_NBX', '2023_MARROW_DUST', '2024_ETB_NBL'];
  it('suggests the same code in upper case, then those at most two edits away, closest first', () => {
    expect(closestCampaignCodes('2024_etb_nbl', known)).toEqual(['2024_ETB_NBL', '2024_ETB_NBX']);
    expect(closestCampaignCodes('2024_ETB_NLB', known)).toEqual(['2024_ETB_NBL', '2024_ETB_NBX']);
    expect(closestCampaignCodes('2023_MARROW_DUTS', known)).toEqual(['2023_MARROW_DUST']);
    expect(closestCampaignCodes('2019_OTHER_ALBUM', known)).toEqual([]);
  });
});
