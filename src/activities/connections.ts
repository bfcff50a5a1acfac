import { ApplicationFailure, Context } from '@temporalio/activity';
import { ProviderUnreachableError, type ProviderName } from '../shared/errors';
import { connectionFailure, UNREACHABLE_ATTEMPTS } from '../providers/connection-failure';
import type { ActivityDeps } from './deps';

export interface ConnectionCheck {
  provider: 'edd' | 'mailerlite';
  latencyMs: number;
}

/** This activity attempt's number (1 outside an activity, e.g. a plain script). */
function attempt(): number {
  try {
    return Context.current().info.attempt;
  } catch {
    return 1;
  }
}

/**
 * What a failed connection check throws: {@link connectionFailure}, made final (not retried) once an
 * unreachable provider has had {@link UNREACHABLE_ATTEMPTS} attempts. Also what a sync's first
 * MailerLite look-up throws, as that look-up is the sync's MailerLite check.
 */
export function checkFailure(provider: ProviderName, url: string, err: unknown): Error {
  const failure = connectionFailure(provider, url, err);
  if (failure instanceof ProviderUnreachableError && attempt() >= UNREACHABLE_ATTEMPTS)
    return ApplicationFailure.create({ type: failure.name, message: failure.message, nonRetryable: true });
  return failure;
}

/**
 * The connection checks a sync or a transition makes before it writes anything: each asks its
 * provider with the worker's settings (`validateConnection`) and fails the run at once, naming the
 * setting to fix, when the provider cannot be used: credentials refused, an EDD key whose user
 * lacks a capability, no answer. (The health check's `checkEdd`/`checkMailerLite` only measure.)
 */
export function connectionActivities({ providers, logger }: ActivityDeps) {
  const check = async (provider: ProviderName): Promise<ConnectionCheck> => {
    const client = providers[provider];
    const started = performance.now();
    try {
      await client.validateConnection();
    } catch (err) {
      throw checkFailure(provider, client.baseUrl, err);
    }
    const latencyMs = Math.round(performance.now() - started);
    logger.debug({ provider, latencyMs }, 'provider connection ok');
    return { provider, latencyMs };
  };
  return {
    /**
     * EDD with the worker's URL and credentials (`GET /customers?number=1` and `GET /info`): fails
     * when the key's user lacks a capability a sync needs, as EDD then answers with no data.
     */
    checkEddConnection: () => check('edd'),
    /** One MailerLite request (`GET /groups?limit=1`); runs on the MailerLite queue, within the budget. */
    checkMailerLiteConnection: () => check('mailerlite'),
  };
}
