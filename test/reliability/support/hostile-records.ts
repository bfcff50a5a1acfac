import type { ExtraCustomer } from '../../../dev/emulators/extra-purchases';

/**
 * What must become of a hostile record:
 * - `write`: MailerLite holds it with exactly these names (as EDD serves them, trimmed) and the
 *   email lower-cased and trimmed;
 * - `invalid`: the sync reports it invalid with a reason matching `reason`, and writes nothing;
 * - `either`: written exactly so, or reported (invalid or refused) with a reason; never half-written.
 */
export type HostileOutcome =
  | { kind: 'write'; firstName: string; lastName: string }
  | { kind: 'invalid'; reason: RegExp }
  | { kind: 'either'; firstName: string; lastName: string };

export interface HostileRecord extends ExtraCustomer {
  label: string;
  outcome: HostileOutcome;
}

const write = (firstName: string, lastName: string): HostileOutcome => ({
  kind: 'write',
  firstName,
  lastName,
});
const invalid = (reason: RegExp): HostileOutcome => ({ kind: 'invalid', reason });
const either = (firstName: string, lastName: string): HostileOutcome => ({
  kind: 'either',
  firstName,
  lastName,
});

/**
 * Customers with hostile emails and names, one complete order of the album each. EDD keeps one
 * stored name and serves its first word as `first_name`, the rest as `last_name`, which is why some
 * expected names differ from the ones given.
 */
export const HOSTILE_RECORDS: HostileRecord[] = [
  // Names that are unusual but fine: written exactly.
  {
    label: 'accents',
    email: 'zoe.unicode@example.com',
    firstName: 'Zoë',
    lastName: 'Ñúñez-Øvergaard',
    outcome: write('Zoë', 'Ñúñez-Øvergaard'),
  },
  {
    label: 'CJK',
    email: 'cjk.name@example.com',
    firstName: '山田',
    lastName: '太郎',
    outcome: write('山田', '太郎'),
  },
  {
    label: 'emoji',
    email: 'emoji.name@example.com',
    firstName: '🎸Ünïcødé',
    lastName: 'Rock🤘',
    outcome: write('🎸Ünïcødé', 'Rock🤘'),
  },
  {
    label: 'right-to-left script',
    email: 'rtl.name@example.com',
    firstName: 'مريم',
    lastName: 'שָׁלוֹם',
    outcome: write('مريم', 'שָׁלוֹם'),
  },
  {
    label: 'markup',
    email: 'xss.name@example.com',
    firstName: '<script>alert(1)</script>',
    lastName: '"><img src=x onerror=alert(1)>',
    outcome: write('<script>alert(1)</script>', '"><img src=x onerror=alert(1)>'),
  },
  {
    label: 'SQL',
    email: 'sql.name@example.com',
    firstName: "Robert');",
    lastName: "DROP TABLE Students;-- O'Brien",
    outcome: write("Robert');", "DROP TABLE Students;-- O'Brien"),
  },
  {
    label: 'spreadsheet formula',
    email: 'formula.name@example.com',
    firstName: '=HYPERLINK("http://x")',
    lastName: '@SUM(1+1)',
    outcome: write('=HYPERLINK("http://x")', '@SUM(1+1)'),
  },
  // EDD serves the words after the first as the last name only when the second is not empty: after
  // a double space, EDD's own API has no last name.
  {
    label: 'padded with spaces',
    email: 'padded.name@example.com',
    firstName: '  Padded  ',
    lastName: 'Spaces  ',
    outcome: write('Padded', ''),
  },
  {
    label: 'inner spaces',
    email: 'inner.spaces@example.com',
    firstName: 'Mary',
    lastName: 'Ann  Smith',
    outcome: write('Mary', 'Ann  Smith'),
  },
  {
    label: 'byte order mark',
    email: 'bom.name@example.com',
    firstName: '\ufeffBom',
    lastName: 'Mark',
    outcome: write('Bom', 'Mark'),
  },
  {
    label: 'first name of exactly 255',
    email: 'long255@example.com',
    firstName: 'A'.repeat(255),
    lastName: 'B',
    outcome: write('A'.repeat(255), 'B'),
  },
  // Names with control or invisible characters: kept verbatim, or refused with a reason.
  {
    label: 'bidi override and zero-width',
    email: 'bidi.name@example.com',
    firstName: 'Ali\u202eceX',
    lastName: 'Tr\u200bail',
    outcome: either('Ali\u202eceX', 'Tr\u200bail'),
  },
  {
    label: 'control characters',
    email: 'ctl.name@example.com',
    firstName: 'Bell\u0007',
    lastName: 'Null\u0000Byte',
    outcome: either('Bell\u0007', 'Null\u0000Byte'),
  },
  {
    label: 'tab and newline',
    email: 'tab.name@example.com',
    firstName: 'Tab\tName',
    lastName: 'Line\nBreak',
    outcome: either('Tab\tName', 'Line\nBreak'),
  },
  {
    label: 'escape sequence',
    email: 'ansi.name@example.com',
    firstName: '\u001b[31mRed',
    lastName: '\u001b[0m',
    outcome: either('\u001b[31mRed', '\u001b[0m'),
  },
  // Names the validator must refuse.
  {
    label: 'first name of 256',
    email: 'long256@example.com',
    firstName: 'A'.repeat(256),
    lastName: 'B',
    outcome: invalid(/first name is longer than 255/),
  },
  {
    label: 'last name of 5,000',
    email: 'longlast@example.com',
    firstName: 'Long',
    lastName: 'L'.repeat(5_000),
    outcome: invalid(/last name is longer than 255/),
  },
  {
    label: 'first name of 100 KB',
    email: 'huge.name@example.com',
    firstName: 'H'.repeat(100_000),
    lastName: 'X',
    outcome: invalid(/first name is longer than 255/),
  },
  {
    label: 'blank name',
    email: 'blank.name@example.com',
    firstName: '   ',
    lastName: '',
    outcome: invalid(/first name is missing/),
  },
  // Emails.
  {
    label: 'upper-case email',
    email: 'UPPER.Case@EXAMPLE.COM',
    firstName: 'Upper',
    lastName: 'Case',
    outcome: write('Upper', 'Case'),
  },
  {
    label: 'email padded with spaces',
    email: '  spaced.email@example.com  ',
    firstName: 'Spaced',
    lastName: 'Email',
    outcome: write('Spaced', 'Email'),
  },
  {
    label: 'plus and apostrophe',
    email: "o'brien+tag@example.com",
    firstName: 'Plus',
    lastName: 'Tag',
    outcome: write('Plus', 'Tag'),
  },
  {
    label: 'formula-shaped email',
    email: '=1+1@example.com',
    firstName: 'Formula',
    lastName: 'Email',
    outcome: write('Formula', 'Email'),
  },
  {
    label: 'unicode local part',
    email: 'josé@example.com',
    firstName: 'Jose',
    lastName: 'U',
    outcome: invalid(/local part/),
  },
  {
    label: 'internationalised domain',
    email: 'user@exämple.com',
    firstName: 'Idn',
    lastName: 'D',
    outcome: invalid(/domain has a character not allowed/),
  },
  {
    label: 'non-Latin domain',
    email: 'plain@例え.jp',
    firstName: 'Idn',
    lastName: 'J',
    outcome: invalid(/domain/),
  },
  {
    label: 'inner space',
    email: 'in side@example.com',
    firstName: 'In',
    lastName: 'Side',
    outcome: invalid(/whitespace/),
  },
  {
    label: 'no @',
    email: 'no-at-sign.example.com',
    firstName: 'No',
    lastName: 'At',
    outcome: invalid(/no @/),
  },
  {
    label: 'two @',
    email: 'a@b@example.com',
    firstName: 'Two',
    lastName: 'At',
    outcome: invalid(/local part/),
  },
  {
    label: 'double dot',
    email: 'double..dot@example.com',
    firstName: 'Double',
    lastName: 'Dot',
    outcome: invalid(/misplaced dot/),
  },
  {
    label: 'leading dot',
    email: '.lead@example.com',
    firstName: 'Lead',
    lastName: 'Dot',
    outcome: invalid(/misplaced dot/),
  },
  {
    label: 'no top-level domain',
    email: 'user@localhost',
    firstName: 'No',
    lastName: 'Tld',
    outcome: invalid(/top-level domain/),
  },
  {
    label: 'numeric top-level domain',
    email: 'user@example.123',
    firstName: 'Num',
    lastName: 'Tld',
    outcome: invalid(/top-level domain/),
  },
  {
    label: 'hyphen-edged domain label',
    email: 'user@-example.com',
    firstName: 'Hyphen',
    lastName: 'Edge',
    outcome: invalid(/domain has a character not allowed/),
  },
  {
    label: 'local part of 65',
    email: `${'l'.repeat(65)}@example.com`,
    firstName: 'Long',
    lastName: 'Local',
    outcome: invalid(/longer than 64/),
  },
  {
    label: 'email of 300',
    email: `${'a'.repeat(60)}@${'d'.repeat(60)}.${'e'.repeat(60)}.${'f'.repeat(60)}.${'g'.repeat(50)}.com`,
    firstName: 'Long',
    lastName: 'Email',
    outcome: invalid(/longer than 254/),
  },
  {
    label: 'email of 100 KB',
    email: `${'x'.repeat(100_000)}@example.com`,
    firstName: 'Huge',
    lastName: 'Email',
    outcome: invalid(/longer than 254/),
  },
  {
    label: 'control character in email',
    email: 'ctl\u0007char@example.com',
    firstName: 'Ctl',
    lastName: 'Email',
    outcome: invalid(/local part/),
  },
  {
    label: 'null byte in email',
    email: 'nul\u0000@example.com',
    firstName: 'Nul',
    lastName: 'Email',
    outcome: invalid(/local part/),
  },
  {
    label: 'zero-width space in email',
    email: 'zero\u200bwidth@example.com',
    firstName: 'Zero',
    lastName: 'Width',
    outcome: invalid(/local part/),
  },
  {
    label: 'quoted local part',
    email: '"quoted"@example.com',
    firstName: 'Quoted',
    lastName: 'Local',
    outcome: invalid(/local part/),
  },
  {
    label: 'markup email',
    email: '<script>@example.com',
    firstName: 'Markup',
    lastName: 'Email',
    outcome: invalid(/local part/),
  },
  {
    label: 'empty email',
    email: '',
    firstName: 'Empty',
    lastName: 'Email',
    outcome: invalid(/email is missing/),
  },
];
