import { ApplicationFailure, Context } from '@temporalio/activity';
import { ProviderRateLimitError } from '../shared/errors';

/**
 * Wraps an activity that does not heartbeat by itself so that, when its caller set a heartbeat
 * timeout, it heartbeats while it runs (three times per timeout). The heartbeat says only that
 * the worker process is alive: a worker killed mid-activity is then noticed after the heartbeat
 * timeout (seconds) instead of the start-to-close timeout (minutes). A request that hangs is still
 * ended by the HTTP timeout. Outside an activity (a plain script calling the function) it does
 * nothing.
 */
export function withLiveness<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return async (...args: A) => {
    let ctx: Context;
    try {
      ctx = Context.current();
    } catch {
      return fn(...args);
    }
    const timeoutMs = ctx.info.heartbeatTimeoutMs;
    if (!timeoutMs) return fn(...args);
    const timer = setInterval(() => ctx.heartbeat(), Math.max(200, Math.floor(timeoutMs / 3)));
    try {
      return await fn(...args);
    } finally {
      clearInterval(timer);
    }
  };
}

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
