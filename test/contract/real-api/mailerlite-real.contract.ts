import { describeAccountLimits } from '../account-limits';
import { describeMailerLiteContract } from '../mailerlite-contract';
import { officialSdkDriver } from '../official-sdk-driver';
import { projectClientDriver } from '../project-client-driver';
import { realApiTarget } from './real-api-settings';

/**
 * The contract against the real MailerLite API, through both clients, one request at a time. Not a
 * `*.test.ts` file, so `npm test` never runs it: `npm run contract:real` does, with a token.
 */
const target = realApiTarget();

describe(`MailerLite real API (${target.apiRoot})`, () => {
  describeMailerLiteContract(officialSdkDriver, () => target);
  describeMailerLiteContract(projectClientDriver, () => target);
  // Prints the largest page size the account's lists take: what MAILERLITE_LIST_LIMIT may be.
  describeAccountLimits(() => target);
});
