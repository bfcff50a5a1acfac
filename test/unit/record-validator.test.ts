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
