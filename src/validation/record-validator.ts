import type { SourceRecord } from '../shared/sync-types';

/** Longest name MailerLite text fields take in this project (longer ones are refused, not cut). */
export const MAX_NAME_LENGTH = 255;

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
  return problems;
}
