import type { InvalidRecordReport, SourceRecord } from '../shared/sync-types';
import { recordProblems } from '../validation/record-validator';
import type { ActivityDeps } from './deps';

export interface ValidationResult {
  valid: SourceRecord[];
  /** Every invalid record of the page with all of its problems. */
  invalid: InvalidRecordReport[];
}

export function validationActivities({ logger }: ActivityDeps) {
  return {
    /** Splits a page into valid and invalid records; nothing is dropped without a reason. */
    async validateRecords(input: { campaign: string; records: SourceRecord[] }): Promise<ValidationResult> {
      const valid: SourceRecord[] = [];
      const invalid: InvalidRecordReport[] = [];
      for (const record of input.records) {
        const reasons = recordProblems(record);
        if (reasons.length === 0) {
          const { sourceProblems: _none, ...clean } = record;
          valid.push(clean);
        } else {
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
      return { valid, invalid };
    },
  };
}
