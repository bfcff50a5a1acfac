/**
 * The demo store's catalogue. Album titles follow BEMA's `Artist - Album` convention; the codes
 * cover both campaign-code rules (initials for several words, upper-cased single words). The
 * T-shirt has no ` - ` in its title and belongs to no campaign.
 */
export interface CatalogEntry {
  id: number;
  slug: string;
  artist: string;
  album: string;
  year: number;
  /** Publication date in the store, `YYYY-MM-DD HH:MM:SS` UTC; nobody buys a product before it. */
  createDate: string;
  /** Price in cents. */
  priceCents: number;
  /** Relative popularity among albums (ignored for non-album products). */
  weight: number;
  /** Non-album products carry their own title instead of `Artist - Album`. */
  title?: string;
}

export const ALBUMS: readonly CatalogEntry[] = [
  {
    id: 101,
    slug: 'nova-glass-garden',
    artist: 'Nova',
    album: 'Glass Garden',
    year: 2021,
    createDate: '2021-11-05 10:00:00',
    priceCents: 899,
    weight: 2,
  },
  {
    id: 102,
    slug: 'aurora-midnight',
    artist: 'Aurora',
    album: 'Midnight',
    year: 2023,
    createDate: '2023-03-10 09:30:00',
    priceCents: 999,
    weight: 2.5,
  },
  {
    id: 103,
    slug: 'echo-the-bard-neon-blue-lights',
    artist: 'Echo The Bard',
    album: 'Neon Blue Lights',
    year: 2024,
    createDate: '2024-02-16 12:00:00',
    priceCents: 1299,
    weight: 3.5,
  },
  {
    id: 104,
    slug: 'the-velvet-hours-paper-moons',
    artist: 'The Velvet Hours',
    album: 'Paper Moons',
    year: 2025,
    createDate: '2025-01-24 08:00:00',
    priceCents: 1199,
    weight: 2,
  },
];

export const MERCH: CatalogEntry = {
  id: 110,
  slug: 'echo-the-bard-tour-t-shirt',
  title: 'Echo The Bard Tour T-Shirt',
  artist: 'Echo The Bard',
  album: '',
  year: 2024,
  createDate: '2024-03-01 15:00:00',
  priceCents: 2500,
  weight: 0,
};

/** Customers are created between these instants (UTC); every order happens before {@link STORE_END}. */
export const CUSTOMERS_FROM = Date.UTC(2022, 0, 1);
export const CUSTOMERS_UNTIL = Date.UTC(2025, 7, 31);
export const STORE_END = Date.UTC(2025, 9, 31);
