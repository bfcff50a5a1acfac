import { loadConfig, providerSettings } from '../config';
import { createLogger } from '../observability/logger';
import { createMetrics } from '../observability/metrics';
import { runtimeLogging } from '../observability/sdk-logger';
import { buildActivities, connectActivityClient } from './build-activities';
import { NativeConnection, Runtime, SyncWorkers } from './create-worker';

/** The worker process: polls the task queue until SIGINT/SIGTERM, then drains and exits 0. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL });
  Runtime.install(runtimeLogging(logger));
  const credentials = providerSettings(config);
  const address = config.TEMPORAL_ADDRESS ?? 'localhost:7233';
  const connection = await NativeConnection.connect({ address });
  const temporal = await connectActivityClient(config);
  try {
    const workers = await SyncWorkers.create({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      mailerliteRequestsPerMinute: config.MAILERLITE_REQUESTS_PER_MINUTE,
      activities: buildActivities({
        config,
        credentials,
        logger,
        metrics: createMetrics(undefined, { defaultMetrics: true }),
        temporal,
      }),
    });
    logger.info(
      { address, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE },
      'worker started',
    );
    // run() resolves after a graceful shutdown, which the SDK starts on SIGINT/SIGTERM.
    await workers.run();
    logger.info('worker stopped');
  } finally {
    await temporal.client.connection.close();
    await connection.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
