import { startMailerLiteEmulator } from '../../dev/emulators';
import type { EmulatorHandle } from '../../dev/emulators';
import { mailerLiteClient } from './http-helpers';
import type { MailerLiteCall, MlGroup, MlSubscriber, MlValidationError } from './http-helpers';

/**
 * Lengths are counted as Laravel's `max` rule counts them (`mb_strlen`: code points), the way the
 * sync's record validator counts a name: 128 guitar emoji are 128 characters, though 256 UTF-16 units.
 */
describe('MailerLite emulator: lengths in characters (code points)', () => {
  let ml: EmulatorHandle;
  let call: MailerLiteCall;

  beforeAll(async () => {
    ml = await startMailerLiteEmulator({ apiToken: 'test-token', rateLimitPerMinute: 0 });
    call = mailerLiteClient(ml, 'test-token');
  });
  afterAll(() => ml.close());
  beforeEach(async () => {
    await fetch(`${ml.url}/_admin/reset`, { method: 'POST' });
  });

  it('takes a text field of 255 characters, emoji counted once, and refuses 256 with the max rule', async () => {
    const emoji = '🎸'.repeat(255);
    const ok = await call<{ data: MlSubscriber }>('POST', '/api/subscribers', {
      email: 'long@example.com',
      fields: { name: emoji, last_name: 'L'.repeat(255) },
    });
    expect(ok.status).toBe(201);
    expect(ok.body.data.fields).toMatchObject({ name: emoji, last_name: 'L'.repeat(255) });

    const tooLong = await call<MlValidationError>('POST', '/api/subscribers', {
      email: 'longer@example.com',
      fields: { name: `${emoji}A`, last_name: 'L'.repeat(256) },
    });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.errors).toEqual({
      'fields.name': ['The fields.name may not be greater than 255 characters.'],
      'fields.last_name': ['The fields.last name may not be greater than 255 characters.'],
    });
  });

  it('counts group and field names in characters too', async () => {
    const name = '🎸'.repeat(255);
    expect((await call<{ data: MlGroup }>('POST', '/api/groups', { name })).status).toBe(201);
    const group = await call<MlValidationError>('POST', '/api/groups', { name: `${name}A` });
    expect(group.status).toBe(422);
    expect(group.body.errors).toEqual({ name: ['The name may not be greater than 255 characters.'] });

    expect((await call('POST', '/api/fields', { name: `F${'é'.repeat(254)}`, type: 'text' })).status).toBe(
      201,
    );
    const field = await call<MlValidationError>('POST', '/api/fields', {
      name: `F${'é'.repeat(255)}`,
      type: 'text',
    });
    expect(field.status).toBe(422);
  });
});
