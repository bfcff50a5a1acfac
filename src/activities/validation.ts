import type { InvalidRecordReport, SourceRecord } from '../shared/sync-types';
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

export function validationActivities({ logger }: ActivityDeps) {
  return {
    /** Splits a page into valid and invalid records; nothing is dropped without a reason. */
    async validateRecords(input: ValidationInput): Promise<ValidationResult> {
      const returnValid = input.returnValid ?? true;
      const valid: SourceRecord[] = [];
      const invalid: InvalidRecordReport[] = [];
      const invalidAt: number[] = [];
      for (const [i, record] of input.records.entries()) {
        // A record with problems from the source is never valid (they are among its reasons).
        const reasons = recordProblems(record);
        if (reasons.length === 0) {
          if (returnValid) {
            const { sourceProblems: _none, ...clean } = record;
            valid.push(clean);
          }
        } else {
          invalidAt.push(i);
          invalid.push({
            orderId: record.orderId,
            customerId: record.customerId,
            email: record.email,
            reasons,
          });
          // IDs and reasons only: the email is personal data and stays out of logs.
          logger.info(
            { campaign: input.campaign, orderId: record.orderId, customerId: record.customerId, reasons },
            'invalid record',
          );
        }
      }
      if (invalid.length > 0)
        logger.info({ campaign: input.campaign, invalid: invalid.length }, 'invalid records on page');
      return returnValid ? { valid, invalid } : { valid, invalid, invalidAt };
    },
  };
}
