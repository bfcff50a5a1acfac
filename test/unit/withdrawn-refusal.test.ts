import { withdrawnRefusal } from '../../src/providers';

describe('withdrawnRefusal', () => {
  const message = 'This subscriber is unsubscribed and cannot be imported';

  it('recognises the recorded refusal, in the message or in a field error, and names the status', () => {
    expect(withdrawnRefusal(422, { message })).toBe('unsubscribed');
    expect(
      withdrawnRefusal(422, { message: 'The given data was invalid.', errors: { email: [message] } }),
    ).toBe('unsubscribed');
    expect(withdrawnRefusal(422, { message: 'This subscriber is Bounced and cannot be imported.' })).toBe(
      'bounced',
    );
    expect(
      withdrawnRefusal(422, { errors: { subscriber: ['This subscriber is junk and cannot be imported'] } }),
    ).toBe('junk');
  });

  it('leaves every other answer alone', () => {
    expect(withdrawnRefusal(400, { message })).toBeUndefined();
    expect(withdrawnRefusal(422, { message: 'The email must be a valid email address.' })).toBeUndefined();
    expect(
      withdrawnRefusal(422, { message: 'This subscriber is active and cannot be imported' }),
    ).toBeUndefined();
    expect(withdrawnRefusal(422, null)).toBeUndefined();
    expect(withdrawnRefusal(422, 'This subscriber is unsubscribed and cannot be imported')).toBeUndefined();
  });
});
