import { startMailerLiteEmulator } from '../../dev/emulators';
import type { EmulatorHandle } from '../../dev/emulators';
import type { ContractTarget } from './contract-context';
import { describeAccountLimits, describeProbe, probeListLimit } from './account-limits';
import { describeMailerLiteContract } from './mailerlite-contract';
import { officialSdkDriver } from './official-sdk-driver';
import { createPacer } from './pacer';
import { projectClientDriver } from './project-client-driver';

const TOKEN = 'contract-test-token';

/**
 * The emulator judged by two clients: the official SDK (written by MailerLite, against the real
 * API) and ours. Both run the same contract against one fresh emulator, one after the other.
 */
describe('MailerLite emulator under the contract', () => {
  let emulator: EmulatorHandle | undefined;
  let target: ContractTarget | undefined;

  beforeAll(async () => {
    emulator = await startMailerLiteEmulator({ apiToken: TOKEN, rateLimitPerMinute: 0 });
    target = {
      apiRoot: emulator.url,
      token: TOKEN,
      emailDomain: 'example.com',
      // The emulator holds only what these runs create: every list walk reads to the last page.
      maxListPages: 1_000,
      pace: createPacer(0),
      rateLimitMaxWaitMs: 0,
    };
  });
  afterAll(async () => {
    await emulator?.close();
  });

  const currentTarget = (): ContractTarget => {
    if (!target) throw new Error('the emulator starts in beforeAll; it is not running yet');
    return target;
  };
  describeMailerLiteContract(officialSdkDriver, currentTarget);
  describeMailerLiteContract(projectClientDriver, currentTarget);
  describeAccountLimits(currentTarget);

  // Runs after both contract runs' afterAll: their cleanup must have left the account empty.
  describe('after both runs', () => {
    it('left no subscriber, group or custom field behind', async () => {
      const res = await fetch(`${currentTarget().apiRoot}/_admin/state`);
      const state = (await res.json()) as {
        subscribers: { email: string }[];
        groups: { name: string }[];
        fields: { name: string; is_default: boolean }[];
      };
      expect(state.subscribers.map((s) => s.email)).toEqual([]);
      expect(state.groups.map((g) => g.name)).toEqual([]);
      expect(state.fields.filter((f) => !f.is_default).map((f) => f.name)).toEqual([]);
    });
  });
});

/**
 * The account-limit probe against an account that takes fewer than the client's default page size:
 * it must find the size, and our client must step down and still list.
 */
describe('MailerLite emulator with at most 250 a page, under the account-limit probe', () => {
  let emulator: EmulatorHandle | undefined;
  let target: ContractTarget | undefined;

  beforeAll(async () => {
    emulator = await startMailerLiteEmulator({ apiToken: TOKEN, rateLimitPerMinute: 0, maxListLimit: 250 });
    target = {
      apiRoot: emulator.url,
      token: TOKEN,
      emailDomain: 'example.com',
      maxListPages: 1_000,
      pace: createPacer(0),
      rateLimitMaxWaitMs: 0,
    };
  });
  afterAll(async () => {
    await emulator?.close();
  });

  const currentTarget = (): ContractTarget => {
    if (!target) throw new Error('the emulator starts in beforeAll; it is not running yet');
    return target;
  };
  describeAccountLimits(currentTarget);

  it('found 250, after refusals of the larger sizes on limit', async () => {
    const probe = await probeListLimit(currentTarget(), 'subscribers?filter[status]=active');
    expect(probe).toEqual({
      largest: 250,
      tried: [
        { limit: 5000, refusal: 'The limit may not be greater than 250.' },
        { limit: 2500, refusal: 'The limit may not be greater than 250.' },
        { limit: 1000, refusal: 'The limit may not be greater than 250.' },
        { limit: 500, refusal: 'The limit may not be greater than 250.' },
        { limit: 250, refusal: null },
      ],
    });
    expect(describeProbe(currentTarget().apiRoot, probe)).toMatch(
      /group member lists take limit=250 at most among the sizes tried; refused: 5000 .*MAILERLITE_LIST_LIMIT=250 is safe \(default 1000, which it refuses: workers step down to 100\)\.$/,
    );
  });
});
