import { keepValid, type InvalidRecordReport, type SourceRecord } from '../shared/sync-types';
import { recordProblems } from '../validation/record-validator';
import type { ActivityDeps } from './deps';

export interface ValidationInput {
  campaign: string;
  records: SourceRecord[];
  /**
   * false: leave `valid` empty and give `invalidAt` instead; the caller, which holds the records,
   * keeps the others, so the page's records pass through history once less. Default true.
   */
  returnValid?: boolean;
}

export interface ValidationResult {
  /** The valid records (empty when the input's `returnValid` was false). */
  valid: SourceRecord[];
  /** Every invalid record of the page with all of its problems. */
  invalid: InvalidRecordReport[];
  /** Positions in the input's `records` of the invalid ones, in order. */
  invalidAt?: number[];
}

/**
 * Every invalid record of a page with all of its problems, and their positions; nothing is dropped
 * without a reason. Logs IDs and reasons only.
 */
export function validatePage(
  logger: ActivityDeps['logger'],
  campaign: string,
  records: SourceRecord[],
): { invalid: InvalidRecordReport[]; invalidAt: number[] } {
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

function clean(record: SourceRecord): SourceRecord {
  const { sourceProblems: _none, ...rest } = record;
  return rest;
}

export function validationActivities({ logger }: ActivityDeps) {
  return {
    /** Splits a page into valid and invalid records; nothing is dropped without a reason. */
    async validateRecords(input: ValidationInput): Promise<ValidationResult> {
      const { invalid, invalidAt } = validatePage(logger, input.campaign, input.records);
      if (input.returnValid === false) return { valid: [], invalid, invalidAt };
      return { valid: keepValid(input.records, invalidAt).map(clean), invalid };
    },
  };
}
