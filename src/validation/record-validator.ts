import type { SourceRecord } from '../shared/sync-types';

/** Longest name MailerLite text fields take in this project (longer ones are refused, not cut). */
export const MAX_NAME_LENGTH = 255;

/**
 * Characters a person's name never needs and that would reach every email unseen or change how it
 * shows: controls (tabs, line breaks, escapes, NUL), lone surrogates, bidi embeddings, overrides
 * and isolates, and the invisible zero-width space, word joiner, invisible operators and BOM. The
 * zero-width (non-)joiners stay allowed: Persian and Indic names and emoji sequences use them.
 */
const HIDDEN_IN_NAME = /[\p{Cc}\p{Cs}\u202A-\u202E\u2066-\u2069\u200B\u2060-\u2064\uFEFF]/u;

function hiddenCharacterProblem(label: string, value: string): string[] {
  const found = HIDDEN_IN_NAME.exec(value);
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
  if (record.firstName.length > MAX_NAME_LENGTH)
    problems.push(`first name is longer than ${MAX_NAME_LENGTH} characters`);
  if (record.lastName.length > MAX_NAME_LENGTH)
    problems.push(`last name is longer than ${MAX_NAME_LENGTH} characters`);
  problems.push(...hiddenCharacterProblem('first name', record.firstName));
  problems.push(...hiddenCharacterProblem('last name', record.lastName));
  return problems;
}
