import type { OrderNumberFormat } from '../shared/order-number';
import type { Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { Metrics } from '../observability/metrics';
import type { Logger } from '../observability/logger';
import type { EddClient, MailerLiteClient } from '../providers';
import type { HealthSettings } from '../shared/health';
import type { CustomerDirectoryOptions, CustomerLookupMode } from './customer-directory';

/** What activities are built from; tests swap any member, production wires the real ones. */
export interface ActivityDeps {
  providers: { edd: EddClient; mailerlite: MailerLiteClient };
  logger: Logger;
  metrics: Metrics;
  /** Concurrent EDD customer look-ups in one source page. Default 8. */
  eddConcurrency?: number;
  /** How source pages find their customers (`EDD_CUSTOMER_LOOKUP`). Default `auto`. */
  customerLookup?: CustomerLookupMode;
  /** The store's sequential order number prefix and postfix (`EDD_ORDER_NUMBER_*`). Default none. */
  orderNumberFormat?: OrderNumberFormat;
  /** The customer list's limits, for tests; the defaults otherwise. */
  customerList?: Pick<CustomerDirectoryOptions, 'listAfter' | 'listPageSize' | 'maxAgeMs' | 'maxEntries'>;
  /**
   * A Temporal client, for activities that manage schedules or describe runs: provisioning's
   * schedule steps fail without it, and the scheduled launcher's lock-holder look-up then names
   * only the holder's workflow ID.
   */
  temporal?: { client: Client; namespace: string };
  /**
   * The health check's settings (HEALTH_* variables): thresholds, which a run's input may override,
   * the alert webhook, whether overloads pause schedules, the interval. Defaults when absent.
   */
  health?: HealthSettings;
  /**
   * Where a sync's notifications go (failed, timed out, waiting for approval): the operator's
   * webhook (HEALTH_WEBHOOK_URL), and a link to a run in the Temporal Web UI. Log only when absent.
   */
  notify?: { webhookUrl?: string; runLink?: (workflowId: string, runId: string) => string };
  /**
   * The MailerLite request budget this worker's deployment enforces, a minute
   * (`MAILERLITE_REQUESTS_PER_MINUTE`). 0 means none, and syncs then write a page per activity
   * (`writeRecordsPage`) instead of a request per activity on the rate-limited queue. Absent: the
   * budgeted path.
   */
  mailerliteRequestsPerMinute?: number;
  /** Groups the MailerLite account may hold (`MAILERLITE_MAX_GROUPS`). Default 1000. */
  mailerliteMaxGroups?: number;
}

/**
 * The worker's Temporal client, or a non-retryable failure saying that `need` (what the activity
 * does with it) needs one: workers built by src/workers/main.ts have one.
 */
export function requireTemporalClient(deps: Pick<ActivityDeps, 'temporal'>, need: string): Client {
  if (deps.temporal) return deps.temporal.client;
  throw ApplicationFailure.create({
    type: 'WorkerConfigError',
    nonRetryable: true,
    message:
      `This worker has no Temporal client (ActivityDeps.temporal), which ${need}; ` +
      'workers built by src/workers/main.ts have one.',
  });
}
