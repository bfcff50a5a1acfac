import type { Context } from '@temporalio/activity';
import { ProviderRateLimitError, ProviderTransientError } from '../shared/errors';

/**
 * Sends one request up to `tries` times within the running activity, so one flaky batch does not
 * cost a retry of the whole activity: a transient failure (network, 5xx) waits 500 ms doubling to
 * at most 8 s, a 429 waits the Retry-After MailerLite gave; any other failure, or the last try's,
 * is thrown. Stops when the activity is cancelled. `onTry` sees each request sent (to count them).
 */
export async function retryInPlace<T>(
  ctx: Context,
  tries: number,
  send: () => Promise<T>,
  onTry: () => void,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    if (ctx.cancellationSignal.aborted) throw ctx.cancellationSignal.reason;
    onTry();
    try {
      return await send();
    } catch (err) {
      const transient = err instanceof ProviderTransientError || err instanceof ProviderRateLimitError;
      if (!transient || attempt >= tries) throw err;
      await ctx.sleep(
        err instanceof ProviderRateLimitError ? err.retryAfterMs : Math.min(8000, 250 * 2 ** attempt),
      );
    }
  }
}
