import { createHash, timingSafeEqual } from 'node:crypto';

/** EDD's request token: `md5(secret_key + public_key)`, hex. */
export function eddToken(publicKey: string, secretKey: string): string {
  return createHash('md5')
    .update(secretKey + publicKey)
    .digest('hex');
}

/**
 * The shop capabilities EDD's API checks for the user a key belongs to (`user_can()`), and what
 * each gates in the emulated endpoints: `view_shop_reports` the sales and products' `stats`,
 * `view_shop_sensitive_data` the customers and products' `notes`, `manage_shop_discounts` the
 * discounts (not emulated). EDD's roles (includes/class-edd-roles.php): Administrator and Shop
 * Manager have all three, Shop Accountant only `view_shop_reports`, Shop Worker and Shop Vendor none.
 */
export const EDD_CAPABILITIES = [
  'view_shop_reports',
  'view_shop_sensitive_data',
  'manage_shop_discounts',
] as const;
export type EddCapability = (typeof EDD_CAPABILITIES)[number];

/** An API key of a store user: the public key, the secret key, and what the user may see. */
export interface EddApiKey {
  publicKey: string;
  secretKey: string;
  /** The user's shop capabilities; a key without one gets EDD's empty answers, never an error. */
  capabilities: readonly EddCapability[];
}

export type AuthOutcome =
  | { kind: 'authenticated'; capabilities: ReadonlySet<EddCapability> }
  | { kind: 'public' }
  | { kind: 'rejected'; status: number; error: string };

export interface AuthInput {
  endpoint: string;
  key: string | null;
  token: string | null;
}

/** The store's keys by public key, each with its expected token. */
export class EddKeyring {
  private readonly keys = new Map<string, { token: string; capabilities: ReadonlySet<EddCapability> }>();

  constructor(keys: readonly EddApiKey[]) {
    for (const key of keys) {
      if (this.keys.has(key.publicKey))
        throw new RangeError(`two EDD API keys have the public key ${key.publicKey}`);
      this.keys.set(key.publicKey, {
        token: eddToken(key.publicKey, key.secretKey),
        capabilities: new Set(key.capabilities),
      });
    }
  }

  /**
   * EDD_API::validate_request(). `products` is a public endpoint: without a token it is served
   * anonymously (even if a key is given). Otherwise both `key` and `token` are required, and the
   * request acts as the key's user.
   */
  authenticate({ endpoint, key, token }: AuthInput): AuthOutcome {
    if (endpoint === 'products' && !token) return { kind: 'public' };
    if (!token || !key) {
      return { kind: 'rejected', status: 401, error: 'You must specify both a token and API key!' };
    }
    const user = this.keys.get(key);
    if (!user) return { kind: 'rejected', status: 403, error: 'Invalid API key!' };
    const given = Buffer.from(token);
    const expected = Buffer.from(user.token);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { kind: 'rejected', status: 403, error: 'Your request could not be authenticated!' };
    }
    return { kind: 'authenticated', capabilities: user.capabilities };
  }
}
