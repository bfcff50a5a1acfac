import { ApplicationFailure } from '@temporalio/activity';

/**
 * POSTs a JSON payload to the operator's webhook (HEALTH_WEBHOOK_URL). A 5xx, 408, 429 or network
 * error fails the attempt (Temporal retries it); another non-2xx answer fails it for good. The
 * message names only the webhook's host, never its path or query (which may hold a secret).
 */
export async function postWebhook(url: string, payload: unknown, userAgent: string): Promise<void> {
  const host = new URL(url).host;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': userAgent },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw ApplicationFailure.create({
      type: 'WebhookError',
      message: `webhook (${host}) not reached: ${err instanceof Error ? err.message : String(err)}`,
    });
  }
  await res.arrayBuffer().catch(() => undefined);
  if (res.ok) return;
  const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
  throw ApplicationFailure.create({
    type: 'WebhookError',
    nonRetryable: !retryable,
    message: `webhook (${host}) answered HTTP ${res.status}`,
  });
}
