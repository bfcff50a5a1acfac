import type { Client } from '@temporalio/client';
import {
  DEFAULT_TEMPORAL_ADDRESS,
  dataConverterFor,
  healthSettings,
  type Config,
  type EddCredentials,
  type MailerLiteCredentials,
  type TemporalConnection,
} from '../config';
import { createActivities, type Activities } from '../activities';
import { connectClient } from '../temporal/connection';
import { runUrl, uiBaseUrl } from '../temporal/ui-link';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { EddClient, MailerLiteClient } from '../providers';

/** Real provider clients and the activities built on them, as a worker runs them. */
export function buildActivities(opts: {
  config: Config;
  credentials: { edd: EddCredentials; mailerlite: MailerLiteCredentials };
  logger: Logger;
  metrics: Metrics;
  /** A Temporal client for the activities that manage schedules and describe runs (see {@link connectActivityClient}). */
  temporal?: { client: Client; namespace: string };
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
        listLimit: config.MAILERLITE_LIST_LIMIT,
        onListLimitLowered: ({ from, to, endpoint, reason }) =>
          logger.warn(
            {
              from,
              to,
              endpoint,
              reason,
              fix: `set MAILERLITE_LIST_LIMIT to ${to}, or to the largest size 'npm run contract:real' reports`,
            },
            'MailerLite refused the list page size; this worker lists the smaller size from now on',
          ),
      }),
    },
    logger,
    metrics,
    ...(opts.temporal ? { temporal: opts.temporal } : {}),
    health: healthSettings(config),
    notify: {
      ...(config.HEALTH_WEBHOOK_URL ? { webhookUrl: config.HEALTH_WEBHOOK_URL } : {}),
      runLink: (workflowId, runId) =>
        runUrl(
          uiBaseUrl(config.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS, config.TEMPORAL_UI_URL),
          config.TEMPORAL_NAMESPACE,
          workflowId,
          runId,
        ),
    },
    mailerliteRequestsPerMinute: config.MAILERLITE_REQUESTS_PER_MINUTE,
    mailerliteMaxGroups: config.MAILERLITE_MAX_GROUPS,
    customerLookup: config.EDD_CUSTOMER_LOOKUP,
    orderNumberFormat: { prefix: config.EDD_ORDER_NUMBER_PREFIX, postfix: config.EDD_ORDER_NUMBER_POSTFIX },
  });
}

/**
 * The Temporal client the worker's activities use (schedules, run descriptions), connected as the
 * worker is (`loadTemporalConnection`: address, namespace, TLS, credentials). The caller closes it
 * with `client.connection.close()`.
 */
export async function connectActivityClient(
  config: Config,
  connection: TemporalConnection,
): Promise<{ client: Client; namespace: string }> {
  const client = await connectClient({ connection, dataConverter: dataConverterFor(config) });
  return { client, namespace: connection.namespace };
}
