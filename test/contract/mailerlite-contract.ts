import { subscriberContract } from './contract-subscribers';
import { groupAndFieldContract } from './contract-groups-fields';
import { batchContract, errorContract } from './contract-batch-errors';
import { createContext } from './contract-context';
import type { ContractContext, ContractTarget } from './contract-context';
import type { DriverFactory } from './contract-driver';

/**
 * The MailerLite contract, written once: every test runs through one driver, against whatever server
 * `target()` names (known only after the caller's `beforeAll`). Tests run in order, one request at a
 * time, and each creates its own uniquely named subscribers, groups and fields, removed in `afterAll`,
 * so the suite can run against a real account without meeting anyone's data.
 */
export function describeMailerLiteContract(factory: DriverFactory, target: () => ContractTarget): void {
  describe(`MailerLite contract through the ${factory.label}`, () => {
    let context: ContractContext | undefined;
    const ctx = (): ContractContext => {
      if (!context) throw new Error('the contract context is made in beforeAll; it is not ready yet');
      return context;
    };

    beforeAll(() => {
      context = createContext(factory, target());
    });
    afterAll(async () => {
      if (context) await context.created.removeAll(context.target);
    });

    describe('subscribers', () => subscriberContract(ctx));
    describe('groups and fields', () => groupAndFieldContract(ctx));
    describe('batch', () => batchContract(ctx));
    describe('errors', () => errorContract(ctx));
  });
}
