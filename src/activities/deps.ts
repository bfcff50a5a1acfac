import type { Metrics } from '../observability/metrics';
import type { Logger } from '../observability/logger';
import type { EddClient, MailerLiteClient } from '../providers';

/** What activities are built from; tests swap any member, production wires the real ones. */
export interface ActivityDeps {
  providers: { edd: EddClient; mailerlite: MailerLiteClient };
  logger: Logger;
  metrics: Metrics;
  /** Concurrent EDD customer look-ups in one source page. Default 8. */
  eddConcurrency?: number;
}
