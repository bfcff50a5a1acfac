import { createHash, timingSafeEqual } from 'node:crypto';

/** EDD's request token: `md5(secret_key + public_key)`, hex. */
export function eddToken(publicKey: string, secretKey: string): string {
  return createHash('md5')
    .update(secretKey + publicKey)
    .digest('hex');
}

export type AuthOutcome =
  { kind: 'authenticated' } | { kind: 'public' } | { kind: 'rejected'; status: number; error: string };

export interface AuthInput {
  endpoint: string;
  key: string | null;
  token: string | null;
}

/**
 * EDD_API::validate_request(). `products` is a public endpoint: without a token it is served
 * anonymously (even if a key is given). Otherwise both `key` and `token` are required.
 */
export function authenticate(input: AuthInput, publicKey: string, expectedToken: string): AuthOutcome {
  const { endpoint, key, token } = input;
  if (endpoint === 'products' && !token) return { kind: 'public' };
  if (!token || !key) {
    return { kind: 'rejected', status: 401, error: 'You must specify both a token and API key!' };
  }
  if (key !== publicKey) return { kind: 'rejected', status: 403, error: 'Invalid API key!' };
  const given = Buffer.from(token);
  const expected = Buffer.from(expectedToken);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { kind: 'rejected', status: 403, error: 'Your request could not be authenticated!' };
  }
  return { kind: 'authenticated' };
}
