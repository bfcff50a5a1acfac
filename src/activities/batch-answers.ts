import { ProviderRateLimitError, ProviderTransientError } from '../shared/errors';
import type { BatchRequest, BatchResult } from '../providers';

/**
 * Checks a MailerLite batch answer before its items are read one by one: one answer per request,
 * and no item the server could not do now (429, 5xx). Such an item makes the whole batch retry,
 * which every batch the activities send allows: upserts, reads, joins and leaves are idempotent.
 */
export function checkBatchAnswers(requests: BatchRequest[], result: BatchResult): void {
  if (result.responses.length !== requests.length) {
    throw new ProviderTransientError(
      'mailerlite',
      `batch answered ${result.responses.length} of ${requests.length} requests`,
    );
  }
  for (const r of result.responses) {
    if (r.code === 429)
      throw new ProviderRateLimitError('mailerlite', 'a batch item was rate limited', 60_000);
    if (r.code >= 500)
      throw new ProviderTransientError('mailerlite', `a batch item failed with HTTP ${r.code}`, r.code);
  }
}
