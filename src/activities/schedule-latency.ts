import { Context } from '@temporalio/activity';
import type { ScheduleToStart } from '../shared/health';

/**
 * Activity schedule-to-start latency, measured in the worker process: how long each activity
 * attempt waited between being scheduled (its current attempt's scheduled time, which for a retry
 * is when the retry became due) and starting here. It grows when this worker cannot keep up: its
 * activity slots are full, or its event loop too busy to poll. Kept per task queue in a rolling
 * window that the health check reads and resets (so it covers the time since the previous check on
 * this worker). The MailerLite queue's activities are not measured: their waits are the account's
 * rate limit working, not the worker falling behind.
 */

/** Samples kept per window: enough for a p99 over several minutes of busy syncing, a few KB. */
const MAX_SAMPLES = 4096;

class LatencyWindow {
  private readonly samples = new Float64Array(MAX_SAMPLES);
  private count = 0;
  private max = 0;

  constructor(private since: number) {}

  add(ms: number): void {
    this.samples[this.count % MAX_SAMPLES] = ms;
    this.count++;
    if (ms > this.max) this.max = ms;
  }

  /** What the window holds, then starts over. */
  take(taskQueue: string, now: number): ScheduleToStart {
    const kept = Array.from(this.samples.subarray(0, Math.min(this.count, MAX_SAMPLES))).sort(
      (a, b) => a - b,
    );
    const pct = (p: number) =>
      kept.length === 0 ? 0 : kept[Math.min(kept.length - 1, Math.ceil((p / 100) * kept.length) - 1)]!;
    const result: ScheduleToStart = {
      taskQueue,
      count: this.count,
      p50: Math.round(pct(50)),
      p99: Math.round(pct(99)),
      max: Math.round(this.max),
      sampledMs: now - this.since,
    };
    this.count = 0;
    this.max = 0;
    this.since = now;
    return result;
  }
}

const windows = new Map<string, LatencyWindow>();
const processStart = Date.now();

/** Records one activity attempt's wait, ms, on a task queue. */
export function recordScheduleToStart(taskQueue: string, ms: number): void {
  let window = windows.get(taskQueue);
  if (!window) {
    window = new LatencyWindow(processStart);
    windows.set(taskQueue, window);
  }
  window.add(Math.max(0, ms));
}

/** The waits on a task queue since the previous call for it (or since the process started), then resets. */
export function takeScheduleToStart(taskQueue: string, now = Date.now()): ScheduleToStart {
  let window = windows.get(taskQueue);
  if (!window) {
    window = new LatencyWindow(processStart);
    windows.set(taskQueue, window);
  }
  return window.take(taskQueue, now);
}

/**
 * Wraps an activity so each attempt records its schedule-to-start wait on its task queue before it
 * runs. Outside an activity (a plain script calling the function) it records nothing.
 */
export function withScheduleToStart<A extends unknown[], R>(
  fn: (...args: A) => Promise<R>,
): (...args: A) => Promise<R> {
  return (...args: A) => {
    try {
      const info = Context.current().info;
      const scheduled = info.currentAttemptScheduledTimestampMs;
      if (Number.isFinite(scheduled) && scheduled > 0)
        recordScheduleToStart(info.taskQueue, Date.now() - scheduled);
    } catch {
      // Not in an activity: nothing to measure.
    }
    return fn(...args);
  };
}
