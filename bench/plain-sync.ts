import { loadConfig, type EddCredentials, type MailerLiteCredentials } from '../src/config';
import { checkSyncInput } from '../src/temporal/sync-start';
import { createLogger } from '../src/observability/logger';
import { createMetrics } from '../src/observability/metrics';
import { newestPerEmail, planWrite, type SubscriberUpsert } from '../src/shared/subscriber-plan';
import { emptyCounts, keepValid, type SourceRecord } from '../src/shared/sync-types';
import { buildActivities } from '../src/workers/build-activities';
import { MAX_BATCH_ITEMS } from '../src/shared/write-stream';

/**
 * The engine-overhead baseline (figure 1 of `npm run bench`): a campaign sync as a plain sequential
 * script, no Temporal. The same calls as a sync, through the same activity functions and provider
 * clients: check both connections, resolve the album, ensure its groups and field, then page by
 * page: fetch the page (sales and customers), validate it, and send its MailerLite batches (each
 * one the upserts decided by the previous batch's reads plus as many new reads as fit, as a lane
 * of the write pipeline does) one after another. Nothing overlaps: one lane, the next page is
 * fetched only once the batches the current one filled are answered.
 *
 * Run by `bench/run-all.ts` as its own process (as the worker is), with the emulators' credentials
 * in `BENCH_CREDENTIALS` (JSON); prints one JSON line with the time and counts.
 */
async function main(): Promise<void> {
  const [campaign, productIdArg, pageSizeArg] = process.argv.slice(2);
  const credentials = JSON.parse(process.env.BENCH_CREDENTIALS ?? '') as {
    edd: EddCredentials;
    mailerlite: MailerLiteCredentials;
  };
  const options = checkSyncInput({
    campaign: campaign!,
    productId: Number(productIdArg),
    pageSize: Number(pageSizeArg),
  });
  const acts = buildActivities({
    config: loadConfig({}),
    credentials,
    logger: createLogger({ level: 'silent' }),
    metrics: createMetrics(),
  });
  const counts = emptyCounts();
  const started = performance.now();
  const cpuAtStart = process.cpuUsage();

  await acts.checkEddConnection();
  await acts.checkMailerLiteConnection();
  const { productId } = await acts.resolveCampaign({
    campaign: options.campaign,
    productId: options.productId,
  });
  const resources = await acts.ensureCampaignResources({
    campaign: options.campaign,
    tiers: options.tiers,
    purchaseTier: options.purchaseTier,
  });
  const plan = { groupId: resources.purchaseGroupId, purchaseFieldKey: resources.purchaseFieldKey };
  const fieldKeys = ['name', 'last_name', resources.purchaseFieldKey];

  const queue: SourceRecord[] = [];
  const pending: SubscriberUpsert[] = [];
  let requests = 0;
  const maxWrites = MAX_BATCH_ITEMS - 1;
  const send = async () => {
    const writes = pending.splice(0, maxWrites);
    const { latest: reading, superseded } = newestPerEmail(queue.splice(0, MAX_BATCH_ITEMS - writes.length));
    counts.superseded += superseded;
    requests++;
    const result = await acts.mailerliteExchange({
      writes,
      reads: reading.map((r) => r.email),
      fieldKeys,
      groupId: plan.groupId,
    });
    for (const outcome of result.writes) {
      if (!outcome.ok) counts.failed++;
      else counts[outcome.created ? 'created' : 'updated']++;
    }
    result.reads.forEach((snapshot, i) => {
      const p = planWrite(reading[i]!, snapshot, plan);
      if (p.kind === 'create' || p.kind === 'update') pending.push(p.upsert);
      else if (p.kind === 'skipped') counts.skipped++;
      else counts[p.kind]++;
    });
  };

  for (let page = 1; ; page++) {
    const batch = await acts.fetchPurchasersPage({ productId, page, pageSize: options.pageSize });
    counts.fetched += batch.records.length;
    if (batch.records.length > 0) {
      const { invalid, invalidAt } = await acts.validateRecords({
        campaign: options.campaign,
        records: batch.records,
      });
      const valid = keepValid(batch.records, invalidAt);
      counts.valid += valid.length;
      counts.invalid += invalid.length;
      queue.push(...valid);
      // Full batches only, as the pipeline sends them, until the page's records are used up.
      while (
        pending.length >= maxWrites ||
        queue.length >= MAX_BATCH_ITEMS - Math.min(pending.length, maxWrites)
      ) {
        await send();
      }
    }
    if (batch.done) break;
  }
  while (queue.length > 0 || pending.length > 0) await send();

  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  console.log(JSON.stringify({ seconds, cpuSeconds, requests, ...counts }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
