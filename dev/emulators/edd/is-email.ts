/**
 * WordPress's `is_email()` rules, which decide whether EDD's `customer` filter treats a value as an
 * email (otherwise the filter is silently dropped). Deliberately lenient in the local part: WordPress
 * accepts `john..doe@example.com`, for instance.
 */
const LOCAL_PART = /^[a-zA-Z0-9!#$%&'*+/=?^_`{|}~.-]+$/;
const DOMAIN_LABEL = /^[a-z0-9-]+$/i;
const TRIMMED_CHARS = ' \t\n\r\0\x0B';

function trimChars(text: string, chars: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && chars.includes(text.charAt(start))) start++;
  while (end > start && chars.includes(text.charAt(end - 1))) end--;
  return text.slice(start, end);
}

export function isWordPressEmail(email: string): boolean {
  if (email.length < 6) return false;
  const at = email.indexOf('@', 1);
  if (at === -1) return false;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (!LOCAL_PART.test(local)) return false;
  if (/\.{2,}/.test(domain)) return false;
  if (trimChars(domain, `${TRIMMED_CHARS}.`) !== domain) return false;
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  return labels.every((label) => trimChars(label, `${TRIMMED_CHARS}-`) === label && DOMAIN_LABEL.test(label));
}
