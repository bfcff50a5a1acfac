import { hostname } from 'node:os';
import {
  ProviderAuthError,
  ProviderNotFoundError,
  ProviderRequestError,
  ProviderUnreachableError,
  type ProviderName,
} from '../shared/errors';
import type { ActivityDeps } from './deps';

export interface ConnectionCheck {
  provider: 'edd' | 'mailerlite';
  latencyMs: number;
}

/** What a person sets on the worker to fix each kind of connection failure, per provider. */
const SETTINGS: Record<ProviderName, { name: string; url: string; credentials: string }> = {
  edd: {
    name: 'EDD',
    url: 'EDD_BASE_URL',
    credentials:
      'EDD_PUBLIC_KEY and EDD_TOKEN (or EDD_SECRET_KEY) to a key of a user with the view_shop_reports and view_shop_sensitive_data capabilities',
  },
  mailerlite: {
    name: 'MailerLite',
    url: 'MAILERLITE_BASE_URL',
    credentials: 'MAILERLITE_API_TOKEN to a valid API token (MailerLite: Integrations, MailerLite API)',
  },
};

/** The worker as Temporal names it by default (`<pid>@<host>`), so a message says which worker's settings to fix. */
function workerName(): string {
  return `${process.pid}@${hostname()}`;
}

/**
 * The error a sync's connection check fails with: what went wrong, with the provider, its URL, the
 * worker, and the setting that fixes it. Credentials refused and requests refused are not retried;
 * an unreachable provider is tried a few times by the check's retry policy.
 */
export function connectionFailure(provider: ProviderName, url: string, err: unknown): Error {
  const s = SETTINGS[provider];
  const at = `${s.name} at ${url}`;
  const worker = workerName();
  const reason = err instanceof Error ? err.message : String(err);
  if (err instanceof ProviderAuthError)
    return new ProviderAuthError(
      provider,
      err.status,
      `${at} refused the credentials of worker ${worker} (${reason}). Set ${s.credentials} in the worker's environment and restart it.`,
    );
  if (err instanceof ProviderNotFoundError || err instanceof ProviderRequestError)
    return new ProviderRequestError(
      provider,
      err instanceof ProviderRequestError ? err.status : 404,
      `${at} did not answer as the ${s.name} API does (${reason}), asked by worker ${worker}. Check ${s.url} in the worker's environment` +
        (provider === 'edd'
          ? ": it is the store's address, without /edd-api (the client adds /edd-api/v2)."
          : '.'),
    );
  return new ProviderUnreachableError(
    provider,
    url,
    // No cause: the reason is in the message, and a failure's innermost cause is what people are shown.
    `${at} could not be reached from worker ${worker} (${reason}). Check ${s.url} in the worker's environment, and that ${s.name} is up and reachable from the worker.`,
  );
}

/**
 * The connection checks a sync or a transition makes before it writes anything: each makes one
 * request with the worker's settings and fails the run at once, naming the setting to fix, when
 * the provider cannot be used. (The health check's `checkEdd`/`checkMailerLite` only measure.)
 */
export function connectionActivities({ providers, logger }: ActivityDeps) {
  const check = async (provider: ProviderName): Promise<ConnectionCheck> => {
    const client = providers[provider];
    const started = performance.now();
    try {
      await client.validateConnection();
    } catch (err) {
      throw connectionFailure(provider, client.baseUrl, err);
    }
    const latencyMs = Math.round(performance.now() - started);
    logger.debug({ provider, latencyMs }, 'provider connection ok');
    return { provider, latencyMs };
  };
  return {
    /** One EDD request (`GET /customers?number=1`) with the worker's URL and credentials. */
    checkEddConnection: () => check('edd'),
    /** One MailerLite request (`GET /groups?limit=1`); runs on the MailerLite queue, within the budget. */
    checkMailerLiteConnection: () => check('mailerlite'),

    /** Both checks in one activity, outside the MailerLite budget (the unbudgeted path and plain scripts). */
    async checkConnections(): Promise<ConnectionCheck[]> {
      const checks = [await check('edd'), await check('mailerlite')];
      logger.info({ checks }, 'provider connections ok');
      return checks;
    },
  };
}
