import { getHeapStatistics } from 'node:v8';
import { installHealthSchedule } from '../temporal/health-schedule';
import { dataConverterFor, loadConfig, loadTemporalConnection, providerSettings } from '../config';
import { createLogger } from '../observability/logger';
import { createMetrics } from '../observability/metrics';
import { startMetricsServer } from '../observability/metrics-server';
import { runtimeLogging } from '../observability/sdk-logger';
import { buildActivities, connectActivityClient } from './build-activities';
import { connectWorker } from '../temporal/worker-connection';
import { Runtime, SyncWorkers } from './create-worker';
import { checkSearchAttributes } from '../temporal/search-attributes-check';

/** The worker process: polls the task queue until SIGINT/SIGTERM, then drains and exits 0. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.LOG_LEVEL, pretty: config.LOG_PRETTY });
  const logging = runtimeLogging(logger);
  Runtime.install({
    ...logging,
    telemetryOptions: {
      ...logging.telemetryOptions,
      // The SDK's own metrics, served by its native runtime and appended to /metrics below.
      ...(config.SDK_METRICS_ADDRESS
        ? { metrics: { prometheus: { bindAddress: config.SDK_METRICS_ADDRESS } } }
        : {}),
    },
  });
  const metrics = createMetrics(undefined, { defaultMetrics: true });
  const metricsServer =
    config.METRICS_PORT > 0
      ? await startMetricsServer({
          registry: metrics.registry,
          port: config.METRICS_PORT,
          host: config.METRICS_HOST,
          ...(config.SDK_METRICS_ADDRESS
            ? { sdkMetricsUrl: `http://${config.SDK_METRICS_ADDRESS}/metrics` }
            : {}),
        })
      : undefined;
  if (metricsServer) logger.info({ url: metricsServer.url }, 'metrics endpoint');
  const credentials = providerSettings(config);
  // Address, namespace, TLS and credentials, as the CLI and the main job read them.
  const target = loadTemporalConnection();
  const connection = await connectWorker(target);
  const temporal = await connectActivityClient(config, target).catch(async (err: unknown) => {
    await connection.close();
    throw err;
  });
  try {
    // Before bundling and polling: a namespace without the workflows' search attributes fails every
    // workflow task that sets them (BadSearchAttributes) and the syncs hang in silence. Refuse to
    // start instead, naming them and the commands that register them.
    const searchAttributes = await checkSearchAttributes(
      temporal.client.connection,
      target.namespace,
      config.TEMPORAL_ADDRESS,
    );
    if (searchAttributes.outcome === 'unchecked') {
      logger.warn(
        { namespace: target.namespace, reason: searchAttributes.reason },
        'search attributes not checked: the server would not list them',
      );
    }
    const workers = await SyncWorkers.create({
      connection,
      namespace: target.namespace,
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      mailerliteRequestsPerMinute: config.MAILERLITE_REQUESTS_PER_MINUTE,
      dataConverter: dataConverterFor(config),
      shutdownGraceTime: `${config.SHUTDOWN_GRACE_SECONDS}s`,
      ...(config.WORKFLOW_BUNDLE_PATH ? { workflowBundle: { codePath: config.WORKFLOW_BUNDLE_PATH } } : {}),
      activities: buildActivities({
        config,
        credentials,
        logger,
        metrics,
        temporal,
      }),
    });
    logger.info(
      {
        // What it connected to and how (TLS, client certificate, API key: yes or no, never their values).
        temporal: target.summary,
        address: target.address,
        namespace: target.namespace,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        // The heap limit it runs under (src/workers/heap.ts): a worker started without it still works,
        // with a larger resident size.
        heapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
      },
      'worker started',
    );
    if (config.HEALTH_SCHEDULE) {
      // Idempotent (an existing schedule gets the configured interval), and never fatal.
      void installHealthSchedule(temporal.client, {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        every: config.HEALTH_INTERVAL,
      }).then(
        (result) => logger.info(result, 'health schedule installed'),
        (err: unknown) =>
          logger.warn(
            { err: err instanceof Error ? err.message : String(err) },
            'health schedule not installed',
          ),
      );
    }
    // run() resolves after a graceful shutdown, which the SDK starts on SIGINT/SIGTERM.
    await workers.run();
    logger.info('worker stopped');
  } finally {
    await temporal.client.connection.close();
    await connection.close();
    await metricsServer?.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
