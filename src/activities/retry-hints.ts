import { ApplicationFailure } from '@temporalio/activity';
import { ProviderRateLimitError } from '../shared/errors';

/**
 * Wraps an activity so a provider's rate limit becomes a retryable failure whose next attempt
 * waits as long as the provider's `Retry-After` asked, instead of the retry policy's backoff.
 */
export function withRetryHints<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (err) {
      if (err instanceof ProviderRateLimitError) {
        throw ApplicationFailure.create({
          type: err.name,
          message: err.message,
          nextRetryDelay: err.retryAfterMs,
          cause: err,
        });
      }
      throw err;
    }
  };
}
