import type { Config, EddCredentials, MailerLiteCredentials } from '../config';
import { createActivities, type Activities } from '../activities';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { EddClient, MailerLiteClient } from '../providers';

/** Real provider clients and the activities built on them, as a worker runs them. */
export function buildActivities(opts: {
  config: Config;
  credentials: { edd: EddCredentials; mailerlite: MailerLiteCredentials };
  logger: Logger;
  metrics: Metrics;
}): Activities {
  const { config, credentials, logger, metrics } = opts;
  const observe = metrics.observeRequest.bind(metrics);
  return createActivities({
    providers: {
      edd: new EddClient({ credentials: credentials.edd, timeoutMs: config.HTTP_TIMEOUT_MS, observe }),
      mailerlite: new MailerLiteClient({
        credentials: credentials.mailerlite,
        timeoutMs: config.HTTP_TIMEOUT_MS,
        rateLimitMaxWaitMs: config.RATE_LIMIT_MAX_WAIT_MS,
        observe,
      }),
    },
    logger,
    metrics,
  });
}
