import type { Rng } from '../shared/prng';
import { EMAIL_DOMAINS } from './names';

/** The ways a demo email is deliberately broken; each fails any sane validator, including WordPress's is_email(). */
export const BAD_EMAIL_KINDS = [
  'missing_at',
  'missing_domain',
  'space',
  'double_dot',
  'trailing_dot',
] as const;
export type BadEmailKind = (typeof BAD_EMAIL_KINDS)[number];

/** Name pools are small, so slugs are cached; the bound only guards against misuse with arbitrary input. */
const slugCache = new Map<string, string>();
const SLUG_CACHE_LIMIT = 10_000;

/** ASCII slug of a name part for an email local part: `Zoë` → `zoe`, `O'Brien` → `obrien`, `Øvergaard` → `overgaard`. */
export function asciiSlug(name: string): string {
  let slug = slugCache.get(name);
  if (slug === undefined) {
    slug = computeSlug(name);
    if (slugCache.size < SLUG_CACHE_LIMIT) slugCache.set(name, slug);
  }
  return slug;
}

function computeSlug(name: string): string {
  return name
    .replace(/ø/g, 'o')
    .replace(/Ø/g, 'O')
    .replace(/ł/g, 'l')
    .replace(/Ł/g, 'L')
    .replace(/ß/g, 'ss')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}

function localPart(rng: Rng, first: string, last: string): string {
  const f = asciiSlug(first) || 'fan';
  const l = asciiSlug(last) || 'listener';
  switch (rng.int(0, 5)) {
    case 0:
      return `${f}.${l}`;
    case 1:
      return `${f}${l}`;
    case 2:
      return `${f.charAt(0)}${l}`;
    case 3:
      return `${f}_${l}${rng.int(70, 99)}`;
    case 4:
      // Plus-addressing is valid and common; a validator must not reject it.
      return `${f}.${l}+music`;
    default:
      return `${l}.${f}`;
  }
}

/**
 * A valid, unique (case-insensitively) address at a reserved domain. `used` holds lower-cased
 * addresses already taken; a clash gets the customer ID appended, which is unique by construction.
 */
export function validEmail(
  rng: Rng,
  first: string,
  last: string,
  customerId: number,
  used: Set<string>,
): string {
  const domain = rng.pick(EMAIL_DOMAINS);
  let local = localPart(rng, first, last);
  if (used.has(`${local}@${domain}`)) local = `${local}${customerId}`;
  const email = `${local}@${domain}`;
  used.add(email);
  // About 1% of people type their address with capitals; EDD keeps it, MailerLite lower-cases it.
  if (rng.chance(0.01)) {
    return email.replace(/(^|[._@])([a-z])/g, (_m, sep: string, c: string) => sep + c.toUpperCase());
  }
  return email;
}

/** Breaks a valid address in the given way. */
export function breakEmail(email: string, kind: BadEmailKind): string {
  const at = email.indexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  switch (kind) {
    case 'missing_at':
      return `${local}.${domain}`;
    case 'missing_domain':
      return `${local}@`;
    case 'space':
      return `${local.slice(0, 2)} ${local.slice(2)}@${domain}`;
    case 'double_dot':
      return `${local}@${domain.replace('.', '..')}`;
    case 'trailing_dot':
      return `${local}@${domain}.`;
  }
}
