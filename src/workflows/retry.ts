import type { RetryPolicy } from '@temporalio/workflow';
import { NON_RETRYABLE_ERROR_TYPES } from '../shared/errors';

/**
 * The activity retry policy of the syncs and transitions: 1 s, doubling up to 1 min, 10 attempts;
 * errors that retrying cannot fix (bad credentials, refused requests, bad input, a missing
 * campaign, a resource conflict, a held lock) fail at once by their type.
 */
export const ACTIVITY_RETRY: RetryPolicy = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  maximumAttempts: 10,
  nonRetryableErrorTypes: [...NON_RETRYABLE_ERROR_TYPES],
};
