import type { EddCredentials, MailerLiteCredentials } from '../src/config';
import {
  DEMO_EDD_LIMITED_KEYS,
  DEMO_EDD_PUBLIC_KEY,
  DEMO_EDD_SECRET_KEY,
  DEMO_MAILERLITE_TOKEN,
  startEddEmulator,
  startMailerLiteEmulator,
  type DemoDataset,
  type EmulatorHandle,
  type MailerLiteEmulatorOptions,
  type SequentialOrderNumbers,
} from './emulators';

export interface EmulatorPair {
  edd: EmulatorHandle & { token: string };
  mailerlite: EmulatorHandle;
  /** What a worker needs to reach them, as it would real services. */
  credentials: { edd: EddCredentials; mailerlite: MailerLiteCredentials };
  close(): Promise<void>;
}

/** Both emulators with the demo credentials: the demo, the benchmark and the tests start them so. */
export async function startEmulatorPair(opts: {
  dataset: DemoDataset;
  eddPort?: number;
  /** The store's sequential order numbers setting (default off, as in EDD). */
  eddOrderNumbers?: SequentialOrderNumbers;
  mailerlite?: Omit<MailerLiteEmulatorOptions, 'apiToken'>;
}): Promise<EmulatorPair> {
  const edd = await startEddEmulator({
    dataset: opts.dataset,
    publicKey: DEMO_EDD_PUBLIC_KEY,
    secretKey: DEMO_EDD_SECRET_KEY,
    // The demo's users with fewer capabilities too; `credentials` below hold the administrator's key.
    apiKeys: Object.values(DEMO_EDD_LIMITED_KEYS),
    port: opts.eddPort,
    ...(opts.eddOrderNumbers ? { orderNumbers: opts.eddOrderNumbers } : {}),
  });
  const mailerlite = await startMailerLiteEmulator({
    apiToken: DEMO_MAILERLITE_TOKEN,
    ...opts.mailerlite,
  }).catch(async (err: unknown) => {
    await edd.close();
    throw err;
  });
  return {
    edd,
    mailerlite,
    credentials: {
      edd: { baseUrl: edd.url, publicKey: DEMO_EDD_PUBLIC_KEY, token: edd.token },
      mailerlite: { baseUrl: `${mailerlite.url}/api`, apiToken: DEMO_MAILERLITE_TOKEN },
    },
    async close() {
      await Promise.all([edd.close(), mailerlite.close()]);
    },
  };
}

/** Delays every API answer of both emulators by `ms` (the fault setting `latencyMs`; 0 for none). */
export async function setLatency(pair: EmulatorPair, ms: number): Promise<void> {
  for (const emulator of [pair.edd, pair.mailerlite]) {
    const res = await fetch(`${emulator.url}/_admin/faults`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ latencyMs: ms }),
    });
    if (!res.ok) throw new Error(`setting latencyMs on ${emulator.url} answered HTTP ${res.status}`);
  }
}
