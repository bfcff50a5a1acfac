export interface LimitDecision {
  allowed: boolean;
  limit: number;
  /** Attempts left in the window after this one. */
  remaining: number;
  /** Whole seconds until the window ends (at least 1 when refused). */
  retryAfterSeconds: number;
}

/**
 * A fixed window per key, as Laravel's throttle middleware keeps it: the window starts with the
 * first attempt and lasts `windowMs`; refused attempts do not count.
 */
export class FixedWindowLimiter {
  private readonly windows = new Map<string, { startedAt: number; hits: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  attempt(key: string): LimitDecision {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now >= window.startedAt + this.windowMs) {
      window = { startedAt: now, hits: 0 };
      this.windows.set(key, window);
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((window.startedAt + this.windowMs - now) / 1000));
    if (window.hits >= this.limit) {
      return { allowed: false, limit: this.limit, remaining: 0, retryAfterSeconds };
    }
    window.hits += 1;
    return { allowed: true, limit: this.limit, remaining: this.limit - window.hits, retryAfterSeconds };
  }

  reset(): void {
    this.windows.clear();
  }
}
