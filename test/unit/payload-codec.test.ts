import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  parseCodecKeys,
  PayloadDecryptionError,
} from '../../src/codec/aes-gcm-codec';
import { checkConfig } from '../../src/client/config-check';
import { loadConfig } from '../../src/config';

const b64 = () => randomBytes(32).toString('base64');

describe('AES-256-GCM payload codec', () => {
  const k1 = b64();
  const codec = new AesGcmPayloadCodec(parseCodecKeys(`k1:${k1}`));
  const payload = defaultPayloadConverter.toPayload({ email: 'ada@example.org', orderId: 7 });

  it('round-trips a payload and hides its content', async () => {
    const [encrypted] = await codec.encode([payload]);
    expect(Buffer.from(encrypted!.metadata!.encoding!).toString()).toBe(ENCRYPTED_ENCODING);
    expect(Buffer.from(encrypted!.data!).toString('latin1')).not.toContain('ada@example.org');
    const [decoded] = await codec.decode([encrypted!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ email: 'ada@example.org', orderId: 7 });
  });

  it('uses a fresh IV each time', async () => {
    const [a] = await codec.encode([payload]);
    const [b] = await codec.encode([payload]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('decodes with an old key after rotation, encrypts with the new one', async () => {
    const [old] = await codec.encode([payload]);
    const rotated = new AesGcmPayloadCodec(parseCodecKeys(`k2:${b64()},k1:${k1}`));
    const [decoded] = await rotated.decode([old!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ email: 'ada@example.org', orderId: 7 });
    const [fresh] = await rotated.encode([payload]);
    expect(Buffer.from(fresh!.metadata!['encryption-key-id']!).toString()).toBe('k2');
  });

  it('refuses tampered data and unknown keys with a clear message', async () => {
    const [encrypted] = await codec.encode([payload]);
    const data = Buffer.from(encrypted!.data!);
    data[20] = data[20]! ^ 1;
    await expect(codec.decode([{ ...encrypted!, data }])).rejects.toThrow(/failed authentication/);
    const other = new AesGcmPayloadCodec(parseCodecKeys(`k9:${b64()}`));
    await expect(other.decode([encrypted!])).rejects.toThrow(PayloadDecryptionError);
    await expect(other.decode([encrypted!])).rejects.toThrow(/key 'k1', which is not configured/);
  });

  it('leaves payloads it did not encrypt alone', async () => {
    const [same] = await codec.decode([payload]);
    expect(same).toBe(payload);
  });

  it('names the bad key entry', () => {
    expect(() => parseCodecKeys('k1:abc')).toThrow(/key 'k1' decodes to 2 bytes; AES-256 needs 32/);
    expect(() => parseCodecKeys(`k1:${k1},k1:${k1}`)).toThrow(/appears twice/);
    expect(() => parseCodecKeys(`k1:${k1}`, 'k3')).toThrow(/'k3' is not among the keys/);
    expect(() => loadConfig({ PAYLOAD_ENCRYPTION_KEYS: 'nokey' })).toThrow(/PAYLOAD_ENCRYPTION_KEYS/);
  });
});

describe('config check', () => {
  it('masks secrets, shows defaults and names every invalid variable', () => {
    const check = checkConfig({
      MAILERLITE_API_TOKEN: 'super-secret-token',
      HTTP_TIMEOUT_MS: '5',
      LOG_LEVEL: 'loud',
    });
    expect(check.ok).toBe(false);
    expect(check.problems.join('\n')).toMatch(/HTTP_TIMEOUT_MS/);
    expect(check.problems.join('\n')).toMatch(/LOG_LEVEL/);
    expect(JSON.stringify(check)).not.toContain('super-secret-token');
    expect(check.variables.find((v) => v.name === 'TEMPORAL_TASK_QUEUE')).toMatchObject({
      value: 'campaign-sync',
      source: 'default',
    });
  });

  it('says what a worker would still need when the configuration parses', () => {
    const check = checkConfig({});
    expect(check.ok).toBe(true);
    expect(check.workerNeeds.join('\n')).toMatch(/EDD_BASE_URL/);
  });
});
