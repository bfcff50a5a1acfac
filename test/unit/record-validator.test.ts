import type { ActivityDeps } from '../../src/activities';
import { validationActivities } from '../../src/activities/validation';
import { createLogger } from '../../src/observability/logger';
import { keepValid } from '../../src/shared/sync-types';
import { emailProblems, recordProblems } from '../../src/validation/record-validator';

const good = {
  orderId: 10,
  customerId: 3,
  email: 'jane.doe@example.com',
  firstName: 'Jane',
  lastName: 'Doe',
};

describe('record validator', () => {
  it('accepts a complete record, and one without a last name', () => {
    expect(recordProblems(good)).toEqual([]);
    expect(recordProblems({ ...good, lastName: '' })).toEqual([]);
    expect(recordProblems({ ...good, email: "o'brien+tag@mail.example.co.uk" })).toEqual([]);
  });

  it.each([
    ['', 'email is missing'],
    ['jane.example.com', 'email has no @'],
    ['jane@', 'email has no domain after the @'],
    ['@example.com', 'email has nothing before the @'],
    ['jane doe@example.com', 'email contains whitespace'],
    ['jane..doe@example.com', 'email local part has a misplaced dot or a character not allowed'],
    ['jane@example..com', 'email domain has an empty label (a double, leading or trailing dot)'],
    ['jane@example.com.', 'email domain has an empty label (a double, leading or trailing dot)'],
    ['jane@localhost', 'email domain has no top-level domain'],
    ['jane@example.c0m', 'email top-level domain is not valid'],
  ])('refuses %j: %s', (email, reason) => {
    expect(emailProblems(email)).toContain(reason);
  });

  it('collects every problem of a record, not only the first', () => {
    const problems = recordProblems({
      orderId: 0,
      customerId: 3,
      email: 'bad email',
      firstName: ' ',
      lastName: 'x'.repeat(300),
      sourceProblems: ['customer 3 of order 0 was not found in EDD'],
    });
    expect(problems).toEqual([
      'customer 3 of order 0 was not found in EDD',
      'order ID is not a positive integer',
      'email contains whitespace',
      'email has no @',
      'first name is missing',
      'last name is longer than 255 characters',
    ]);
  });
});

describe('hidden characters in names', () => {
  it.each([
    ['a tab', 'Tab\tName', '0009'],
    ['a line break', 'Line\nBreak', '000A'],
    ['an escape', '\u001b[31mRed', '001B'],
    ['NUL', 'Null\u0000Byte', '0000'],
    ['a bidi override', 'Ali\u202eceX', '202E'],
    ['a bidi isolate', 'Iso\u2067late', '2067'],
    ['a zero-width space', 'Tr\u200bail', '200B'],
    ['a BOM inside', 'Bo\ufeffm', 'FEFF'],
    ['a lone surrogate', 'Half\ud800', 'D800'],
    ['a line separator', 'Line\u2028Sep', '2028'],
    ['a paragraph separator', 'Para\u2029Sep', '2029'],
    ['a left-to-right mark', 'Ltr\u200eMark', '200E'],
    ['a right-to-left mark', 'Rtl\u200fMark', '200F'],
    ['an Arabic letter mark', 'Alm\u061cMark', '061C'],
    ['a soft hyphen', 'Soft\u00adHyphen', '00AD'],
    ['a Mongolian vowel separator', 'Mvs\u180eName', '180E'],
    ['an interlinear annotation anchor', 'Anno\ufff9tation', 'FFF9'],
    ['a stray tag character', 'Hidden\u{E0041}Tag', 'E0041'],
    ['a language tag', '\u{E0001}Tagged', 'E0001'],
  ])('refuses a first or last name with %s, naming the character', (_what, name, code) => {
    expect(recordProblems({ ...good, firstName: name })).toEqual([
      `first name has a control or invisible character (U+${code}); fix the name in EDD`,
    ]);
    expect(recordProblems({ ...good, lastName: name })).toEqual([
      `last name has a control or invisible character (U+${code}); fix the name in EDD`,
    ]);
  });

  it.each([
    ['Persian with a zero-width non-joiner', 'Mohammad\u200cReza'],
    ['an emoji sequence with a zero-width joiner', 'Rock👨\u200d🎤'],
    ['right-to-left text', 'مريم'],
    ['combining marks', 'שָׁלוֹם'],
    ['a surrogate pair', '🎸Ünïcødé'],
    ['an emoji with a variation selector', 'Heart❤\ufe0f'],
    ['a skin-tone emoji sequence', 'Wave👋🏽'],
    [
      'a subdivision flag (an emoji tag sequence)',
      'Cymru🏴\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F}',
    ],
  ])('accepts %s', (_what, name) => {
    expect(recordProblems({ ...good, firstName: name, lastName: name })).toEqual([]);
  });
});

describe('name length, counted in characters (code points) as MailerLite counts them', () => {
  // An emoji outside the Basic Multilingual Plane is one character but two UTF-16 code units.
  it('accepts names of 255 characters however many UTF-16 units they take', () => {
    const emoji = '🎸'.repeat(128);
    expect(emoji.length).toBe(256);
    expect(recordProblems({ ...good, firstName: emoji, lastName: emoji })).toEqual([]);
    const astral = '𝒜'.repeat(255);
    expect(recordProblems({ ...good, firstName: astral, lastName: astral })).toEqual([]);
  });

  it('refuses names of 256 characters, astral or not', () => {
    for (const name of ['🎸'.repeat(256), 'A'.repeat(256), `${'🎸'.repeat(255)}A`]) {
      expect(recordProblems({ ...good, firstName: name, lastName: name })).toEqual([
        'first name is longer than 255 characters',
        'last name is longer than 255 characters',
      ]);
    }
  });

  it('counts a combining mark or a joiner as a character of its own, as MailerLite does', () => {
    // 'é' as e + U+0301 is two code points; 85 of them and 85 letters make 255.
    const decomposed = 'e\u0301'.repeat(85) + 'x'.repeat(85);
    expect(recordProblems({ ...good, firstName: decomposed })).toEqual([]);
    expect(recordProblems({ ...good, firstName: `${decomposed}x` })).toEqual([
      'first name is longer than 255 characters',
    ]);
  });
});

describe('validateRecords verdicts', () => {
  const { validateRecords } = validationActivities({
    logger: createLogger({ level: 'silent' }),
  } as unknown as ActivityDeps);
  const records = [
    good,
    { ...good, orderId: 11, email: 'no-at.example.com' },
    { ...good, orderId: 12, email: 'second@example.com' },
    { ...good, orderId: 13, sourceProblems: ['customer 3 of order 13 was not found in EDD'] },
    { ...good, orderId: 14, firstName: ' ' },
  ];

  it('answers where the invalid ones are, with their reasons, and leaves the valid ones to the caller', async () => {
    const verdicts = await validateRecords({ campaign: 'C', records });
    expect(verdicts).not.toHaveProperty('valid');
    expect(verdicts.invalidAt).toEqual([1, 3, 4]);
    expect(verdicts.invalid.map((r) => r.orderId)).toEqual([11, 13, 14]);
    expect(verdicts.invalid[1]!.reasons).toContain('customer 3 of order 13 was not found in EDD');
    expect(keepValid(records, verdicts.invalidAt).map((r) => r.orderId)).toEqual([10, 12]);
  });
});
