import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import sharedGlobalTeardown from '../setup/global-teardown';
import { formatSummary, readCounts } from './support/counts';

/** Stops the shared dev server, then prints every case's counts: the last thing the suite prints. */
export default async function globalTeardown(): Promise<void> {
  await sharedGlobalTeardown();
  const file = process.env.CAMPAIGN_SYNC_RELIABILITY_COUNTS;
  if (!file) return;
  const started = Number(process.env.CAMPAIGN_SYNC_RELIABILITY_STARTED ?? Date.now());
  process.stdout.write(formatSummary(readCounts(file), Date.now() - started));
  rmSync(dirname(file), { recursive: true, force: true });
}
