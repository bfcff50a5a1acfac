/**
 * BEMA CRM's campaign naming, in one place.
 *
 * A campaign code is `YEAR_ARTIST_ALBUM` (for example `2024_ETB_NBL`); each campaign has one
 * MailerLite group per tier named `<CAMPAIGN>_<TIER>` and one number field `<CAMPAIGN>_PURCHASE`
 * holding the EDD order ID of the subscriber's purchase of the album.
 */

/** BEMA's default tiers, in progression order. */
export const DEFAULT_TIERS = [
  'Opt-In',
  'Wood',
  'Bronze',
  'Silver',
  'Gold',
  'Bronze Purchase',
  'Silver Purchase',
  'Gold Purchase',
] as const;

/** The tier whose group an album's purchasers join unless a sync says otherwise. */
export const DEFAULT_PURCHASE_TIER = 'Bronze Purchase';

/** A campaign code: starts with a 4-digit year, then upper-case letters/digits in `_`-separated parts. */
export const CAMPAIGN_CODE_PATTERN = /^\d{4}(_[A-Z0-9]+)+$/;

/** One part of a campaign code: a one-word name upper-cased, otherwise the initials of its words. */
export function codePart(name: string): string {
  const words = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0);
  if (words.length === 0) return '';
  if (words.length === 1) return words[0]!.toUpperCase();
  return words.map((w) => w[0]!.toUpperCase()).join('');
}

/** `YEAR_ARTIST_ALBUM` from its three parts, e.g. (2024, 'Eternal Bloom', 'Night Lights') → `2024_EB_NL`. */
export function campaignCode(year: number, artist: string, album: string): string {
  return `${year}_${codePart(artist)}_${codePart(album)}`;
}

/** The MailerLite group name of a campaign's tier: `<CAMPAIGN>_<TIER>`, tier upper-cased, spaces → `_`. */
export function tierGroupName(campaign: string, tier: string): string {
  return `${campaign}_${tier.trim().toUpperCase().replace(/\s+/g, '_')}`;
}

/** The MailerLite field that holds the EDD order ID of the campaign's purchase. */
export function purchaseFieldName(campaign: string): string {
  return `${campaign}_PURCHASE`;
}

/**
 * MailerLite derives a field's key from its name: lower case, runs of anything but letters and
 * digits turned into `_`. Subscribers' `fields` are keyed by this key, not the display name.
 */
export function fieldKey(fieldName: string): string {
  return fieldName
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** Separators between artist and album in an EDD album product's title (`Artist - Album`). */
const TITLE_SEPARATOR = /\s+[-\u2013\u2014]\s+/;

/**
 * The campaign code of an EDD album product, from its title `Artist - Album` and the year of its
 * creation date; null for a product whose title does not name an artist and an album.
 */
export function campaignFromProduct(product: { title: string; createDate: string }): string | null {
  const parts = product.title.split(TITLE_SEPARATOR);
  if (parts.length !== 2) return null;
  const [artist, album] = parts as [string, string];
  const year = Number(product.createDate.slice(0, 4));
  if (!Number.isInteger(year) || year < 1900 || year > 9999) return null;
  if (codePart(artist) === '' || codePart(album) === '') return null;
  return campaignCode(year, artist, album);
}

/** Edit distance (insertions, deletions, substitutions) between two short strings. */
function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}

/**
 * The known campaign codes a mistyped one most likely meant: the same code in another case, or
 * those at most two edits away (closest first, at most three), for a "did you mean".
 */
export function closestCampaignCodes(code: string, known: readonly string[]): string[] {
  const upper = code.toUpperCase();
  return [...new Set(known)]
    .map((k) => ({ k, d: k === upper ? 0 : editDistance(upper, k) }))
    .filter(({ k, d }) => k !== code && d <= 2)
    .sort((x, y) => x.d - y.d || x.k.localeCompare(y.k))
    .slice(0, 3)
    .map(({ k }) => k);
}
