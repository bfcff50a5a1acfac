import type { EddCredentials, MailerLiteCredentials } from '../src/config';
import {
  DEMO_EDD_PUBLIC_KEY,
  DEMO_EDD_SECRET_KEY,
  DEMO_MAILERLITE_TOKEN,
  startEddEmulator,
  startMailerLiteEmulator,
  type DemoDataset,
  type EmulatorHandle,
  type MailerLiteEmulatorOptions,
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
  mailerlite?: Omit<MailerLiteEmulatorOptions, 'apiToken'>;
}): Promise<EmulatorPair> {
  const edd = await startEddEmulator({
    dataset: opts.dataset,
    publicKey: DEMO_EDD_PUBLIC_KEY,
    secretKey: DEMO_EDD_SECRET_KEY,
    port: opts.eddPort,
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
