import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';

/** `encoding` of a payload this codec encrypted. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata key naming the key that encrypted a payload, so old keys keep decoding after rotation. */
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Keys by ID; `current` encrypts, every key decrypts. */
export interface CodecKeys {
  current: string;
  keys: Map<string, Buffer>;
}

/** A payload that cannot be decoded: an unknown key ID (rotated out?) or tampered data. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

/**
 * Encrypts every payload (workflow inputs and results, activity inputs and results, signals,
 * queries, memos) with AES-256-GCM before it leaves the process, so the Temporal server and its
 * history hold no subscriber data in clear. Each payload gets a fresh random 96-bit IV; the GCM
 * tag authenticates it. The key ID travels in the payload's metadata: add a new key as `current`
 * and keep the old ones listed, and history written before the rotation still decodes.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  constructor(private readonly keys: CodecKeys) {
    if (!keys.keys.has(keys.current))
      throw new RangeError(`the current key '${keys.current}' is not among the keys`);
    for (const [id, key] of keys.keys) {
      if (key.length !== 32)
        throw new RangeError(`key '${id}' must be 32 bytes (AES-256), not ${key.length}`);
    }
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    return settle(() => this.encrypt(payloads));
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return settle(() => this.decrypt(payloads));
  }

  private encrypt(payloads: Payload[]): Payload[] {
    const key = this.keys.keys.get(this.keys.current)!;
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          encoding: encoder.encode(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: encoder.encode(this.keys.current),
        },
        data,
      };
    });
  }

  private decrypt(payloads: Payload[]): Payload[] {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.encoding;
      if (!encoding || decoder.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
      const idBytes = payload.metadata?.[KEY_ID_METADATA];
      const id = idBytes ? decoder.decode(idBytes) : '';
      const key = this.keys.keys.get(id);
      if (!key) {
        throw new PayloadDecryptionError(
          `payload encrypted with key '${id}', which is not configured: add it to PAYLOAD_ENCRYPTION_KEYS`,
        );
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError('encrypted payload too short');
      const iv = data.subarray(0, IV_BYTES);
      const tag = data.subarray(data.length - TAG_BYTES);
      const decipher = createDecipheriv('aes-256-gcm', key, iv);
      decipher.setAuthTag(tag);
      let plain: Buffer;
      try {
        plain = Buffer.concat([
          decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
          decipher.final(),
        ]);
      } catch {
        throw new PayloadDecryptionError(
          `payload failed authentication with key '${id}' (wrong key or tampered)`,
        );
      }
      return temporal.api.common.v1.Payload.decode(plain);
    });
  }
}

/** The result of `fn` as a promise, its exception as a rejection. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

/**
 * Parses `PAYLOAD_ENCRYPTION_KEYS`: comma-separated `id:base64key` pairs, each key 32 bytes. The
 * first is the current (encrypting) key unless `currentId` names another. Throws a RangeError that
 * names the bad entry.
 */
export function parseCodecKeys(spec: string, currentId?: string): CodecKeys {
  const keys = new Map<string, Buffer>();
  for (const entry of spec
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean)) {
    const sep = entry.indexOf(':');
    const id = sep > 0 ? entry.slice(0, sep).trim() : '';
    const value = sep > 0 ? entry.slice(sep + 1).trim() : '';
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id))
      throw new RangeError(
        `entry ${keys.size + 1}: expected id:base64key with an id of letters, digits, . _ -`,
      );
    const key = Buffer.from(value, 'base64');
    if (key.length !== 32)
      throw new RangeError(
        `key '${id}' decodes to ${key.length} bytes; AES-256 needs 32 (make one with: openssl rand -base64 32)`,
      );
    if (keys.has(id)) throw new RangeError(`key id '${id}' appears twice`);
    keys.set(id, key);
  }
  if (keys.size === 0) throw new RangeError('no keys: expected id:base64key[,id:base64key...]');
  const current = currentId ?? keys.keys().next().value!;
  if (!keys.has(current))
    throw new RangeError(`PAYLOAD_ENCRYPTION_KEY_ID '${current}' is not among the keys`);
  return { current, keys };
}
