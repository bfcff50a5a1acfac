/**
 * The two Laravel paginators MailerLite uses: cursor pagination for subscribers and page-based
 * ("length aware") pagination for groups and fields. Like Laravel's defaults, the links carry only
 * `cursor` or `page`: other query parameters (`limit`, filters) are not repeated, so a client that
 * follows `links.next` silently falls back to the default page size. Use `meta.next_cursor`.
 */

interface Cursor {
  seq: bigint;
  pointsToNextItems: boolean;
}

/**
 * Laravel's cursor is base64url (no padding) of `{"id":<last id>,"_pointsToNextItems":true}`. The
 * ID is written and read as digits, not through a JS number: real IDs exceed 2^53.
 */
export function encodeCursor(cursor: Cursor): string {
  const json = `{"id":${cursor.seq.toString()},"_pointsToNextItems":${cursor.pointsToNextItems}}`;
  return Buffer.from(json, 'utf8').toString('base64url');
}

/** A malformed cursor is ignored (first page), as Laravel does. */
export function decodeCursor(text: string | null): Cursor | null {
  if (!text) return null;
  const json = Buffer.from(text, 'base64url').toString('utf8');
  const match = /^\{"id":(\d+),"_pointsToNextItems":(true|false)\}$/.exec(json);
  if (!match) return null;
  return { seq: BigInt(match[1]!), pointsToNextItems: match[2] === 'true' };
}

export interface CursorPage {
  seqs: bigint[];
  links: { first: null; last: null; prev: string | null; next: string | null };
  meta: { path: string; per_page: number; next_cursor: string | null; prev_cursor: string | null };
}

/**
 * One page of IDs in descending order (newest first). `ascending` is the full ID list in ascending
 * order and `accept` the filter (status, group). Cursor semantics follow Laravel's CursorPaginator.
 */
export function cursorPage(
  ascending: readonly bigint[],
  indexOf: (seq: bigint) => number,
  accept: (seq: bigint) => boolean,
  cursorText: string | null,
  limit: number,
  path: string,
): CursorPage {
  const cursor = decodeCursor(cursorText);
  const found: bigint[] = [];
  if (cursor && !cursor.pointsToNextItems) {
    // Walking back towards newer items: collect ascending from just above the cursor, then flip.
    for (let i = indexOf(cursor.seq + 1n); i < ascending.length && found.length <= limit; i++) {
      if (accept(ascending[i]!)) found.push(ascending[i]!);
    }
  } else {
    const start = cursor ? indexOf(cursor.seq) - 1 : ascending.length - 1;
    for (let i = start; i >= 0 && found.length <= limit; i--) {
      if (accept(ascending[i]!)) found.push(ascending[i]!);
    }
  }
  const hasMore = found.length > limit;
  const seqs = found.slice(0, limit);
  if (cursor && !cursor.pointsToNextItems) seqs.reverse();

  const first = seqs[0];
  const last = seqs[seqs.length - 1];
  const noNext = (!cursor && !hasMore) || (cursor?.pointsToNextItems === true && !hasMore);
  const noPrev = !cursor || (!cursor.pointsToNextItems && !hasMore);
  const next = noNext || last === undefined ? null : encodeCursor({ seq: last, pointsToNextItems: true });
  const prev = noPrev || first === undefined ? null : encodeCursor({ seq: first, pointsToNextItems: false });
  const link = (c: string | null): string | null => (c === null ? null : `${path}?cursor=${c}`);
  return {
    seqs,
    links: { first: null, last: null, prev: link(prev), next: link(next) },
    meta: { path, per_page: limit, next_cursor: next, prev_cursor: prev },
  };
}

export interface LengthAwarePage<T> {
  data: T[];
  links: { first: string; last: string; prev: string | null; next: string | null };
  meta: {
    current_page: number;
    from: number | null;
    last_page: number;
    links: { url: string | null; label: string; active: boolean }[];
    path: string;
    per_page: number;
    to: number | null;
    total: number;
  };
}

/** Laravel shows every page link up to this many pages, otherwise a window with "..." gaps. */
const ALL_PAGE_LINKS_UP_TO = 13;

function pageLinks(
  current: number,
  lastPage: number,
  url: (p: number) => string,
): LengthAwarePage<never>['meta']['links'] {
  const numbers: (number | '...')[] = [];
  if (lastPage <= ALL_PAGE_LINKS_UP_TO) {
    for (let p = 1; p <= lastPage; p++) numbers.push(p);
  } else {
    const window = new Set<number>([1, 2, lastPage - 1, lastPage]);
    for (let p = current - 3; p <= current + 3; p++) if (p >= 1 && p <= lastPage) window.add(p);
    let previous = 0;
    for (const p of [...window].sort((a, b) => a - b)) {
      if (p - previous > 1) numbers.push('...');
      numbers.push(p);
      previous = p;
    }
  }
  // The labels are HTML-escaped in real responses ("&laquo; Previous").
  return [
    { url: current > 1 ? url(current - 1) : null, label: '&laquo; Previous', active: false },
    ...numbers.map((n) =>
      n === '...'
        ? { url: null, label: '...', active: false }
        : { url: url(n), label: String(n), active: n === current },
    ),
    { url: current < lastPage ? url(current + 1) : null, label: 'Next &raquo;', active: false },
  ];
}

/** One page of `items` (already filtered and sorted), pages counted from 1. */
export function lengthAwarePage<T>(
  items: readonly T[],
  page: number,
  perPage: number,
  path: string,
): LengthAwarePage<T> {
  const total = items.length;
  const lastPage = Math.max(1, Math.ceil(total / perPage));
  const data = items.slice((page - 1) * perPage, page * perPage);
  const url = (p: number): string => `${path}?page=${p}`;
  const from = data.length > 0 ? (page - 1) * perPage + 1 : null;
  return {
    data,
    links: {
      first: url(1),
      last: url(lastPage),
      prev: page > 1 ? url(page - 1) : null,
      next: page < lastPage ? url(page + 1) : null,
    },
    meta: {
      current_page: page,
      from,
      last_page: lastPage,
      links: pageLinks(page, lastPage, url),
      path,
      per_page: perPage,
      to: from === null ? null : from + data.length - 1,
      total,
    },
  };
}
