import { setTimeout as sleep } from 'node:timers/promises';
import { inspect } from 'node:util';

export interface EventuallyOptions<T> {
  /** A further condition on an answer (by default any answer but `undefined` will do). */
  until?: (value: T) => boolean;
  /** How long to keep asking (default 20 s). */
  timeoutMs?: number;
  /** The pause between two questions (default 200 ms). */
  intervalMs?: number;
  /**
   * Ask again when `poll` throws (e.g. a namespace the server's caches do not know yet), and throw
   * its last error once `timeoutMs` has passed. By default an error fails at once.
   */
  retryErrors?: boolean;
}

/**
 * Asks `poll` until it answers a value other than `undefined` that `until` accepts, and returns it:
 * for what becomes true a little later (visibility, a worker's log line, a scraped metric). Fails
 * after `timeoutMs`, naming `what` and the last answer.
 */
export async function eventually<T>(
  what: string,
  poll: () => T | undefined | Promise<T | undefined>,
  opts: EventuallyOptions<T> = {},
): Promise<T> {
  const { until = () => true, timeoutMs = 20_000, intervalMs = 200, retryErrors = false } = opts;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined;
    try {
      value = await poll();
    } catch (err) {
      if (!retryErrors || Date.now() > deadline) throw err;
    }
    if (value !== undefined && until(value)) return value;
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${value === undefined ? '' : `: ${inspect(value, { depth: 4 })}`}`,
      );
    await sleep(intervalMs);
  }
}
