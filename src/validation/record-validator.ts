import type { SourceRecord } from '../shared/sync-types';

/** Longest name MailerLite text fields take in this project (longer ones are refused, not cut). */
export const MAX_NAME_LENGTH = 255;

/**
 * A string's length as MailerLite counts it: in characters (Unicode code points), not in UTF-16
 * units, so an emoji outside the Basic Multilingual Plane counts once, not twice, and a combining
 * mark or a joiner counts as a character of its own. Confirmed: MailerLite's API is a Laravel
 * application (its 422 bodies are Laravel's), and Laravel's `max` rule measures a string with
 * `mb_strlen`, which counts code points. *Unconfirmed*: that MailerLite's limit on a text field's
 * value is 255 (the MailerLite emulator counts the same way, in `dev/emulators/mailerlite/validation.ts`).
 */
export function characterCount(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/**
 * Characters a person's name never needs and that would reach every email unseen or change how it
 * shows: controls (Cc: tabs, line breaks, escapes, NUL), lone surrogates (Cs), the line and
 * paragraph separators (Zl, Zp: U+2028, U+2029), and every invisible format character (Cf: bidi
 * marks, embeddings, overrides and isolates, the soft hyphen, zero-width space, word joiner,
 * invisible operators, BOM, tag characters, ...). Two Cf characters stay allowed, the zero-width
 * non-joiner and joiner (U+200C, U+200D): Persian and Indic names and emoji sequences use them.
 * Variation selectors and emoji modifiers are not Cf (Mn, Sk) and stay allowed too.
 */
const HIDDEN_IN_NAME = /(?![\u200C\u200D])[\p{Cc}\p{Cs}\p{Cf}\p{Zl}\p{Zp}]/u;

/**
 * An emoji tag sequence, the flags of England, Scotland and Wales (UTS #51: the black flag, tag
 * letters and digits, a cancel tag). Its tag characters are Cf but show as the flag, so a whole
 * sequence is allowed; a tag character anywhere else is hidden text and is refused.
 */
const EMOJI_TAG_SEQUENCE = /\u{1F3F4}[\u{E0030}-\u{E0039}\u{E0061}-\u{E007A}]+\u{E007F}/gu;

function hiddenCharacterProblem(label: string, value: string): string[] {
  const found = HIDDEN_IN_NAME.exec(value.replace(EMOJI_TAG_SEQUENCE, ''));
  if (!found) return [];
  const code = found[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
  return [`${label} has a control or invisible character (U+${code}); fix the name in EDD`];
}

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Every reason an email address cannot be sent to, or an empty list. */
export function emailProblems(email: string): string[] {
  if (email.trim() === '') return ['email is missing'];
  const problems: string[] = [];
  if (/\s/.test(email)) problems.push('email contains whitespace');
  if (email.length > 254) problems.push('email is longer than 254 characters');
  const at = email.lastIndexOf('@');
  if (at < 0) return [...problems, 'email has no @'];
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local === '') problems.push('email has nothing before the @');
  else if (local.length > 64) problems.push('email local part is longer than 64 characters');
  else if (!/\s/.test(local) && !LOCAL_PART.test(local)) {
    problems.push('email local part has a misplaced dot or a character not allowed');
  }
  if (domain === '') problems.push('email has no domain after the @');
  else {
    const labels = domain.split('.');
    if (labels.length < 2) problems.push('email domain has no top-level domain');
    else if (labels.some((l) => l === ''))
      problems.push('email domain has an empty label (a double, leading or trailing dot)');
    else if (!labels.every((l) => DOMAIN_LABEL.test(l)))
      problems.push('email domain has a character not allowed');
    else if (!/^[A-Za-z]{2,}$/.test(labels[labels.length - 1]!))
      problems.push('email top-level domain is not valid');
  }
  return problems;
}

/**
 * Validates one purchase record and returns every problem found, not only the first, so the
 * operator can fix a record in one go. An empty list means the record is valid.
 */
export function recordProblems(record: SourceRecord & { sourceProblems?: string[] }): string[] {
  const problems = [...(record.sourceProblems ?? [])];
  if (!Number.isInteger(record.orderId) || record.orderId <= 0)
    problems.push('order ID is not a positive integer');
  if (!Number.isInteger(record.customerId) || record.customerId <= 0) {
    problems.push('customer ID is not a positive integer');
  }
  problems.push(...emailProblems(record.email));
  if (record.firstName.trim() === '') problems.push('first name is missing');
  if (characterCount(record.firstName) > MAX_NAME_LENGTH)
    problems.push(`first name is longer than ${MAX_NAME_LENGTH} characters`);
  if (characterCount(record.lastName) > MAX_NAME_LENGTH)
    problems.push(`last name is longer than ${MAX_NAME_LENGTH} characters`);
  problems.push(...hiddenCharacterProblem('first name', record.firstName));
  problems.push(...hiddenCharacterProblem('last name', record.lastName));
  return problems;
}
