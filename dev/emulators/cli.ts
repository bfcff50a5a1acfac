import { CLI_USAGE, CliArgsError, parseCliArgs } from './cli-args';
import {
  DEMO_EDD_LIMITED_KEYS,
  DEMO_EDD_PUBLIC_KEY,
  DEMO_EDD_SECRET_KEY,
  DEMO_MAILERLITE_TOKEN,
} from './demo-credentials';
import { expectedPurchasers, generateDemoData } from './demo-data';
import { eddToken } from './edd/auth';
import { startEddEmulator } from './edd/server';
import { startMailerLiteEmulator } from './mailerlite/server';
import type { EmulatorHandle } from './types';

const print = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

async function main(): Promise<void> {
  const options = parseCliArgs(process.argv.slice(2));
  if (options.help) {
    print(CLI_USAGE);
    return;
  }
  const dataset = generateDemoData({ seed: options.seed, customers: options.customers });
  const started: EmulatorHandle[] = [];
  const shutdown = async (signal: string): Promise<void> => {
    print(`\n${signal}: stopping the emulators…`);
    await Promise.all(started.map((h) => h.close()));
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  const edd = await startEddEmulator({
    dataset,
    publicKey: DEMO_EDD_PUBLIC_KEY,
    secretKey: DEMO_EDD_SECRET_KEY,
    apiKeys: Object.values(DEMO_EDD_LIMITED_KEYS),
    ...(options.orderNumbers ? { orderNumbers: options.orderNumbers } : {}),
    host: options.host,
    port: options.eddPort,
    faults: options.faults,
  });
  started.push(edd);
  const mailerlite = await startMailerLiteEmulator({
    apiToken: DEMO_MAILERLITE_TOKEN,
    host: options.host,
    port: options.mailerlitePort,
    rateLimitPerMinute: options.rateLimit,
    maxListLimit: options.maxListLimit,
    maxGroups: options.maxGroups,
    faults: options.faults,
  });
  started.push(mailerlite);

  print(
    `Demo data: seed ${dataset.seed}, ${dataset.customers.length} customers, ${dataset.sales.length} orders`,
  );
  print();
  print(
    `EDD REST API   ${edd.url}/edd-api/v2/   (customers, sales, products, info; admin: ${edd.url}/_admin/stats)`,
  );
  print(`  public key   ${DEMO_EDD_PUBLIC_KEY}`);
  print(`  secret key   ${DEMO_EDD_SECRET_KEY}`);
  print(`  token        ${edd.token}   (md5(secret + public))`);
  print(
    `  try          curl '${edd.url}/edd-api/v2/sales?key=${DEMO_EDD_PUBLIC_KEY}&token=${edd.token}&number=2'`,
  );
  print('  keys of users with fewer capabilities (EDD answers them 200 with no data where one is missing):');
  for (const key of Object.values(DEMO_EDD_LIMITED_KEYS)) {
    const can = key.capabilities.length > 0 ? key.capabilities.join(', ') : 'no shop capability';
    print(`    ${key.publicKey}  token ${eddToken(key.publicKey, key.secretKey)}  (${can})`);
  }
  print();
  const limit = options.rateLimit === 0 ? 'unlimited' : `${options.rateLimit} requests/minute`;
  print(
    `MailerLite API ${mailerlite.url}/api   (${limit}; admin: ${mailerlite.url}/_admin/state, /_admin/stats)`,
  );
  print(`  token        ${DEMO_MAILERLITE_TOKEN}   (Authorization: Bearer <token>)`);
  print(`  limits       list pages up to ${options.maxListLimit}, at most ${options.maxGroups} groups`);
  print();
  if (Object.keys(options.faults).length > 0) {
    print(`Faults (both emulators) ${JSON.stringify(options.faults)}; see or change them at /_admin/faults`);
    print();
  }
  print('Campaigns (purchasers: valid + with defects):');
  for (const product of dataset.products) {
    if (!product.campaign) continue;
    const { valid, invalid } = expectedPurchasers(dataset, product.campaign);
    print(`  ${product.campaign.padEnd(22)} ${product.title.padEnd(34)} ${valid.length} + ${invalid.length}`);
  }
  print();
  print('Ctrl+C to stop.');
}

main().catch((err: unknown) => {
  if (err instanceof CliArgsError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `emulators failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
