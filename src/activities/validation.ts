import type { InvalidRecordReport, SourceRecord } from '../shared/sync-types';
import { recordProblems } from '../validation/record-validator';
import type { ActivityDeps } from './deps';

export interface ValidationInput {
  campaign: string;
  records: SourceRecord[];
}

/**
 * The verdicts on a page: the caller, which holds the records, keeps the valid ones itself
 * (`keepValid(records, invalidAt)`), so a page's records do not pass through history twice.
 */
export interface ValidationResult {
  /** Every invalid record of the page with all of its problems. */
  invalid: InvalidRecordReport[];
  /** Positions in the input's `records` of the invalid ones, in order. */
  invalidAt: number[];
}

/**
 * Every invalid record of a page with all of its problems, and their positions; nothing is dropped
 * without a reason. Logs IDs and reasons only.
 */
export function validatePage(
  logger: ActivityDeps['logger'],
  campaign: string,
  records: SourceRecord[],
): ValidationResult {
  const invalid: InvalidRecordReport[] = [];
  const invalidAt: number[] = [];
  for (const [i, record] of records.entries()) {
    // A record with problems from the source is never valid (they are among its reasons).
    const reasons = recordProblems(record);
    if (reasons.length === 0) continue;
    invalidAt.push(i);
    invalid.push({ orderId: record.orderId, customerId: record.customerId, email: record.email, reasons });
    // IDs and reasons only: the email is personal data and stays out of logs.
    logger.info(
      { campaign, orderId: record.orderId, customerId: record.customerId, reasons },
      'invalid record',
    );
  }
  if (invalid.length > 0) logger.info({ campaign, invalid: invalid.length }, 'invalid records on page');
  return { invalid, invalidAt };
}

export function validationActivities({ logger }: ActivityDeps) {
  return {
    /** Finds a page's invalid records, each with every reason; nothing is dropped without one. */
    async validateRecords(input: ValidationInput): Promise<ValidationResult> {
      return validatePage(logger, input.campaign, input.records);
    },
  };
}
