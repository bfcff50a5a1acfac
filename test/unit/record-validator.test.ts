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
  ])('accepts %s', (_what, name) => {
    expect(recordProblems({ ...good, firstName: name, lastName: name })).toEqual([]);
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

  it('with returnValid false, answers where the invalid ones are and leaves the valid ones to the caller', async () => {
    const full = await validateRecords({ campaign: 'C', records });
    const verdicts = await validateRecords({ campaign: 'C', records, returnValid: false });
    expect(verdicts.valid).toEqual([]);
    expect(verdicts.invalidAt).toEqual([1, 3, 4]);
    expect(verdicts.invalid).toEqual(full.invalid);
    expect(keepValid(records, verdicts.invalidAt!)).toEqual(full.valid);
    expect(full.valid.map((r) => r.orderId)).toEqual([10, 12]);
    expect(full.invalidAt).toBeUndefined();
  });
});
