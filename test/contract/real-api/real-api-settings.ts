import type { ContractTarget } from '../contract-context';
import { createPacer } from '../pacer';

/** Token of a MailerLite test account; without it the real-API contract does not run. */
export const TOKEN_VARIABLE = 'MAILERLITE_CONTRACT_TOKEN';
/** Server root without `/api`. Default: MailerLite's. Another value points the run at a proxy or the emulator. */
export const API_ROOT_VARIABLE = 'MAILERLITE_CONTRACT_API_ROOT';
/** Domain of the invented emails (default example.com), for an account that refuses it. */
export const EMAIL_DOMAIN_VARIABLE = 'MAILERLITE_CONTRACT_EMAIL_DOMAIN';

export const DEFAULT_API_ROOT = 'https://connect.mailerlite.com';

export const NOT_RUN_MESSAGE =
  `MailerLite contract against the real API: NOT RUN (set ${TOKEN_VARIABLE} to a token of a test ` +
  'account; it creates and deletes subscribers and groups)';

/**
 * 700 ms between requests is about 85 a minute: under MailerLite's 120 per account, with room for
 * the rare driver call that pages, and for anything else using the account meanwhile.
 */
const REQUEST_INTERVAL_MS = 700;

/** The real account's settings from the environment; throws {@link NOT_RUN_MESSAGE} without a token. */
export function realApiTarget(env: NodeJS.ProcessEnv = process.env): ContractTarget {
  const token = env[TOKEN_VARIABLE]?.trim();
  if (!token) throw new Error(NOT_RUN_MESSAGE);
  return {
    apiRoot: (env[API_ROOT_VARIABLE]?.trim() || DEFAULT_API_ROOT).replace(/\/+$/, ''),
    token,
    emailDomain: env[EMAIL_DOMAIN_VARIABLE]?.trim() || 'example.com',
    // The run's subscribers are the newest; a few pages find them without reading the whole account.
    maxListPages: 5,
    pace: createPacer(REQUEST_INTERVAL_MS),
    // Our client waits out a 429 (Retry-After is at most a minute) rather than failing the run.
    rateLimitMaxWaitMs: 65_000,
  };
}
