import { rmSync } from 'node:fs';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

export default async function globalTeardown(): Promise<void> {
  const env = (globalThis as { __temporalTestEnv?: TestWorkflowEnvironment }).__temporalTestEnv;
  await env?.teardown();
  if (process.env.CAMPAIGN_SYNC_TEST_BUNDLE) rmSync(process.env.CAMPAIGN_SYNC_TEST_BUNDLE, { force: true });
}
