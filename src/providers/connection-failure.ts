/**
 * What a failed connection to EDD or MailerLite means to a person: the provider, its URL, the
 * worker, and the setting that fixes it. Used by the activities' checks and by `config check`.
 */
import { hostname } from 'node:os';
import {
  ProviderAuthError,
  ProviderNotFoundError,
  ProviderPermissionError,
  ProviderRequestError,
  ProviderTransientError,
  ProviderUnreachableError,
  type ProviderName,
} from '../shared/errors';

/** What a person sets on the worker to fix each kind of connection failure, per provider. */
const SETTINGS: Record<
  ProviderName,
  { name: string; url: string; credentials: string; keySettings: string }
> = {
  edd: {
    name: 'EDD',
    url: 'EDD_BASE_URL',
    credentials:
      'EDD_PUBLIC_KEY and EDD_TOKEN (or EDD_SECRET_KEY) to a key of a user with the view_shop_reports and view_shop_sensitive_data capabilities',
    keySettings: 'EDD_PUBLIC_KEY and EDD_TOKEN, or EDD_SECRET_KEY',
  },
  mailerlite: {
    name: 'MailerLite',
    url: 'MAILERLITE_BASE_URL',
    credentials: 'MAILERLITE_API_TOKEN to a valid API token (MailerLite: Integrations, MailerLite API)',
    keySettings: 'MAILERLITE_API_TOKEN',
  },
};

/** The worker as Temporal names it by default (`<pid>@<host>`), so a message says which worker's settings to fix. */
function workerName(): string {
  return `${process.pid}@${hostname()}`;
}

/**
 * Attempts a connection check gets when the provider cannot be reached at all (refused, no such
 * host, no route, a certificate it cannot trust, no answer in time): a wrong setting or a service
 * that is down, which the sync's ten attempts over four minutes would only hide.
 */
export const UNREACHABLE_ATTEMPTS = 3;

/** Network failures that mean "cannot be reached" rather than a passing error (reset, 5xx, bad body). */
export function unreachable(err: unknown): boolean {
  if (!(err instanceof ProviderTransientError) || err.status !== undefined) return false;
  if (/ timed out after /.test(err.message)) return true;
  const code = (err.cause as { code?: unknown } | undefined)?.code;
  return (
    typeof code === 'string' &&
    /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL)$|CERT|SELF_SIGNED|ERR_TLS/.test(
      code,
    )
  );
}

/**
 * The error a sync's connection check fails with: what went wrong, with the provider, its URL, the
 * worker, and the setting that fixes it. Credentials refused and requests refused are not retried;
 * an unreachable provider gets {@link UNREACHABLE_ATTEMPTS} quick attempts; a passing error (5xx,
 * a reset, a rate limit) is retried as any activity is, and keeps its own type.
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
  if (err instanceof ProviderPermissionError)
    return new ProviderPermissionError(
      provider,
      err.missing,
      `${at} answers the API key of worker ${worker} without data: ${reason} (${s.keySettings}, in the worker's environment; then restart the worker).`,
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
  if (!unreachable(err)) return err instanceof Error ? err : new Error(reason);
  return new ProviderUnreachableError(
    provider,
    url,
    // No cause: the reason is in the message, and a failure's innermost cause is what people are shown.
    `${at} could not be reached from worker ${worker} (${reason}). Check ${s.url} in the worker's environment, and that ${s.name} is up and reachable from the worker.`,
  );
}
