import { proxyActivities } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { Activities } from '../activities';
import { mailerliteTaskQueue } from '../shared/names';
import { ACTIVITY_RETRY } from './retry';

/**
 * The activities a campaign sync calls, with their timeouts, in one place.
 *
 * Every activity of a sync heartbeats (by itself, or a liveness beat while it runs): a worker that
 * dies mid-activity is noticed after {@link HEARTBEAT_TIMEOUT}, and the activity retried
 * elsewhere, instead of after its start-to-close timeout.
 */
export const HEARTBEAT_TIMEOUT = '20s';

/** Activities that heartbeat, retried by {@link ACTIVITY_RETRY}, each try within `startToClose`. */
function heartbeating(startToCloseTimeout: Duration, taskQueue?: string) {
  return proxyActivities<Activities>({
    ...(taskQueue ? { taskQueue } : {}),
    startToCloseTimeout,
    heartbeatTimeout: HEARTBEAT_TIMEOUT,
    retry: ACTIVITY_RETRY,
  });
}

/** Short calls: look-ups, provisioning, validation, stats, report entries. */
export const quick = heartbeating('2m');

/**
 * A person's notification (log, webhook): retried with backoff for about a minute, then given up,
 * so a webhook that is down delays a failed run's end by that much at most and never hides its cause.
 */
export const notifier = proxyActivities<Activities>({
  startToCloseTimeout: '30s',
  scheduleToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 5 },
});

/** One page of EDD sales plus its customers' look-ups; the held-order checks. */
export const source = heartbeating('5m');

/**
 * One page of writes on the direct path: at most a page's ~40 batch requests, each tried up to five
 * times in place; the heartbeat after every request lets a lost worker's page be retried soon.
 */
export const pageWriter = heartbeating('10m');

/**
 * One MailerLite request per activity, on the task queue whose rate limit is the account's budget
 * (the MailerLite queue of `taskQueue`, the workflow's). Two minutes covers the HTTP timeout (30 s)
 * twice plus a Retry-After waited out in place (10 s).
 */
export function mailerliteActivities(taskQueue: string) {
  return heartbeating('2m', mailerliteTaskQueue(taskQueue));
}
