/** Resolves when the next request may start. */
export type Pacer = () => Promise<void>;

/**
 * Spaces calls at least `intervalMs` apart, in call order. MailerLite allows 120 requests a minute
 * per account, for every client of it together, so one pacer serves the drivers and the cleanup of
 * a run. 0 = no pacing (the emulator runs unlimited).
 */
export function createPacer(intervalMs: number): Pacer {
  let next = 0;
  return async () => {
    if (intervalMs <= 0) return;
    const now = Date.now();
    const start = Math.max(now, next);
    next = start + intervalMs;
    if (start > now) await new Promise((resolve) => setTimeout(resolve, start - now));
  };
}

/**
 * The same object with every method except the listed ones waiting for the pacer first. Most driver
 * methods are one request; the few that page (findGroupByName) are rare enough to fit the margin.
 */
export function paced<T extends object>(target: T, pace: Pacer, except: readonly (keyof T)[]): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function' || except.includes(prop as keyof T)) return value;
      return async (...args: unknown[]) => {
        await pace();
        return (value as (...a: unknown[]) => unknown).apply(obj, args);
      };
    },
  });
}
