import type { EddApiKey } from './edd/auth';

/**
 * Fixed, obviously fake credentials for the local emulators. They only open the emulators on
 * localhost; the demo and the tests use them so nobody has to invent keys.
 */
export const DEMO_EDD_PUBLIC_KEY = 'demo-edd-public-key-0000000000000000';
export const DEMO_EDD_SECRET_KEY = 'demo-edd-secret-key-0000000000000000';
export const DEMO_MAILERLITE_TOKEN = 'demo-mailerlite-token-not-a-real-secret';

/**
 * Keys of demo users with fewer shop capabilities, which the emulators also accept (the key above
 * is an administrator's): EDD answers them HTTP 200 with no data where a capability is missing, as
 * a real store does. For trying and testing what a sync does with such a key.
 */
export const DEMO_EDD_LIMITED_KEYS = {
  /** A Shop Accountant: `view_shop_reports` only, so sales but no customers. */
  shopAccountant: {
    publicKey: 'demo-edd-accountant-public-key-00000',
    secretKey: 'demo-edd-accountant-secret-key-00000',
    capabilities: ['view_shop_reports'],
  },
  /** A custom role with `view_shop_sensitive_data` only: customers but no sales. */
  noReports: {
    publicKey: 'demo-edd-no-reports-public-key-00000',
    secretKey: 'demo-edd-no-reports-secret-key-00000',
    capabilities: ['view_shop_sensitive_data'],
  },
  /** A Shop Worker: neither, so no sales and no customers. */
  shopWorker: {
    publicKey: 'demo-edd-worker-public-key-000000000',
    secretKey: 'demo-edd-worker-secret-key-000000000',
    capabilities: [],
  },
} as const satisfies Record<string, EddApiKey>;
