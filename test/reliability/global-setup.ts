import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharedGlobalSetup from '../setup/global-setup';

/**
 * The shared test setup (a real Temporal dev server and the workflow bundle), plus a file where
 * each reliability case appends its counts for the summary the teardown prints.
 */
export default async function globalSetup(): Promise<void> {
  process.env.CAMPAIGN_SYNC_RELIABILITY_STARTED = String(Date.now());
  const dir = mkdtempSync(join(tmpdir(), 'campaign-sync-reliability-'));
  process.env.CAMPAIGN_SYNC_RELIABILITY_COUNTS = join(dir, 'counts.jsonl');
  await sharedGlobalSetup();
}
