import { INCREMENTAL_FLAGS, incrementalFromFlags } from './sync-options';
import { parseArgs } from 'node:util';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ConfigError, dataConverterFor, loadConfig, loadTemporalConnection, type Config } from '../config';
import { InvalidInputError } from '../shared/errors';
import { unpolledAdvice } from '../shared/health';
import { parseDuration } from '../shared/duration';
import type { ReportKind, SyncInput } from '../shared/sync-types';
import { campaignCreateCommand } from './campaign-create';
import { startCodecServer } from '../codec/codec-server';
import { formatCampaigns, listCampaigns } from './campaign-list';
import { configCheckCommand } from './config-check';
import { connectClient } from './connection';
import { EXIT, SyncAlreadyRunningError, SyncNotFoundError } from './errors';
import { formatLocks, formatProgress, formatReport, formatStatus, formatSummary } from './format';
import { healthCommand } from './health';
import { statusCommand } from './status';
import { scheduleCommand } from './schedule-command';
import { syncAllCommand } from './sync-all';
import { listLocks } from './locks';
import { cancelSync, SyncNotRunningError, type CancelOutcome } from './sync-cancel';
import { noWorkerWarning } from './worker-presence';
import { decideRemovals, RemovalDecisionError } from './sync-approve';
import { syncReport } from './sync-report';
import { checkSyncInput, startSync } from './sync-start';
import { cliIdentity, failureMessage, syncStatus } from './sync-status';
import { transitionCommand } from './transition';
import { watchSync } from './sync-watch';
import { runUrl, uiBaseUrl } from './ui-link';

export const USAGE = `Usage: campaign-sync <command> [options]

Commands:
  sync start <campaign> [--wait] [--dry-run] [--mode upsert|update-only|mirror]
                        [--product-id N] [--page-size N] [--batch-size N] [--max-pages N]
                        [--timeout 2h] [--progress-interval 10s] [--purchase-tier TIER]
                        [--max-removal-share 0.1] [--approval-timeout 24h] [--json]
                        [--incremental [--lookback 48h] [--lookback-orders 200]]
                        Start a sync of one campaign (e.g. 2024_ETB_NBL). With --wait, show
                        its progress and print the summary when it ends. With --dry-run,
                        compute what it would create, update, skip and remove, and write
                        nothing. Mirror mode also removes from the purchase group those no
                        longer purchasers; above --max-removal-share of the group it waits
                        for 'sync approve' (or the approveRemovals signal) and fails after
                        --approval-timeout without one. --incremental reads only the orders
                        since the campaign's watermark (the newest order its last completed
                        run read), back past it by the lookback; without one, a full sync.
                        Schedules and 'sync all' take --incremental too.
  sync approve <campaign> [--count N] [--by NAME]
  sync reject <campaign> [--by NAME]
                        Approve or refuse the removals a mirror sync is waiting for. --count
                        must equal the pending count shown by 'sync status', when given.
  sync report <campaign> [--run RUN_ID] [--kind invalid|failed|skipped|removed] [--json]
                        Every record of a sync (the latest, or the one RUN_ID belongs to) that
                        was invalid, refused, skipped or removed, with its reasons; readable
                        while the sync runs and after it ends.
  sync status <campaign> [--json]
                        The latest run of a campaign's sync: progress, retrying activities,
                        summary or failure; who stopped it and why, and what it did.
  sync cancel <campaign> [--reason TEXT] [--force]
                        Cancel a campaign's running sync (keeps what was written; records who
                        and why). --force terminates it instead, freeing the lock at once: for
                        a run no worker can act on (no worker polls its task queue).
  transition run <source> <destination> [--dry-run] [--remove-from-source]
                        [--rules JSON|@file] [--wait] [--json]
                        Move subscribers from the source campaign's tier groups to the
                        destination's next-tier groups by rules (default: BEMA's progression),
                        holding both campaigns' locks. --dry-run writes nothing.
  sync all [--concurrency N] [--campaign CODE[=PRODUCT_ID]]... [--mode M] [--dry-run] [--incremental]
           [--timeout 2h] [--page-size N] [--wait] [--json]
                        Sync every campaign (EDD's albums, or those given) as child workflows,
                        at most N at once (default 2); a locked campaign is skipped with its
                        holder named. With --wait, progress and the summary with totals;
                        exit 3 when a campaign was skipped.
  locks [--json]        Campaign locks held now: holder (cli, schedule:..., sync-all:...,
                        transition:..., create:...), start, progress, latest release time.
  schedule create <campaign> --every 1h | --cron "0 * * * *" [--mode M] [--dry-run]
                  [--product-id N] [--timeout 1h] [--page-size N] [--note TEXT] [--paused]
                  [--incremental [--lookback 48h] [--lookback-orders 200]]
                        A recurring sync of the campaign (overlap SKIP, catch-up window 10
                        min; each run takes the campaign's lock or is skipped, naming the
                        holder). Its syncs' timeout defaults to the interval (cron: 1h). A
                        campaign has one full schedule and may have one --incremental one
                        beside it (e.g. every 1m, with a nightly full one).
  schedule list [--json] | describe <campaign> [--incremental] [--json]
                        Schedules; one schedule's spec, state, next runs and recent results.
  schedule pause|unpause <campaign> [--incremental] [--note TEXT]
  schedule trigger <campaign> [--incremental] [--wait]
  schedule backfill <campaign> [--incremental] --from ISO --to ISO [--overlap skip|...]
  schedule delete <campaign> [--incremental]
                        --incremental: the campaign's incremental schedule, not its full one.
  campaign create <campaign> [--custom] [--every 1h | --cron "0 * * * *"] [--dry-run] [--json]
                        Create a campaign's MailerLite tier groups and purchase field (those
                        missing; a second run creates nothing), and with --every/--cron a sync
                        schedule. If a step fails, what this run created is deleted again and
                        the failed step is named. --custom: no EDD product. --dry-run lists
                        what it would create.
  campaign list [--json]
                        Campaigns EDD's album products give (YEAR_ARTIST_ALBUM), and whether
                        their MailerLite groups and purchase field exist.
  config check [--json] [--connect]
                        The effective configuration (secrets masked), every invalid variable
                        named; exit 2 when invalid. --connect: also connect to Temporal (and
                        check its search attributes), EDD and MailerLite as the worker would;
                        exit 1 when one fails.
  codec-server [--port 8888] [--origin URL]...
                        Serve /encode and /decode for the Temporal UI when payload encryption
                        is on (PAYLOAD_ENCRYPTION_KEYS); CODEC_SERVER_TOKEN requires a bearer
                        token. Runs until interrupted.
  status [--json]       The whole system at a glance: workers polling the task queues, running
                        syncs with progress, schedules, the last health report, failed syncs
                        of the last 24 hours.
  health [--json] [--last N]
                        The latest health report and the trend of the last N (default 10).
  health run [--json]   Run a health check now and print its report (exit 1 when unhealthy).
  health install [--every 5m]
                        Install the health schedule (or set its interval; default
                        HEALTH_INTERVAL); the worker installs it at start too.
  help                  This text.

Environment: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE (default), TEMPORAL_TASK_QUEUE
(campaign-sync), TEMPORAL_UI_URL; TLS and Temporal Cloud: TEMPORAL_API_KEY, TEMPORAL_TLS_*,
TEMPORAL_PROFILE. See README.md.

Exit codes: 0 success, 1 failure, 2 invalid input, 3 refused (campaign locked, schedule exists,
scheduled run skipped, sync all --wait skipped a locked campaign), 4 not found.`;

class UsageError extends Error {
  override name = 'UsageError';
}

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: Io = { out: (l) => console.log(l), err: (l) => console.error(l) };

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new UsageError(`--${name} must be a positive whole number, not '${value}'`);
  return n;
}

function campaignArg(positionals: string[], verb: string): string {
  const campaign = positionals[0];
  if (!campaign)
    throw new UsageError(`'${verb}' needs a campaign code, e.g. campaign-sync ${verb} 2024_ETB_NBL`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1]}'`);
  return campaign;
}

/** Runs one CLI command; returns the process exit code. */
export async function runCli(
  argv: string[],
  env: NodeJS.ProcessEnv = process.env,
  io: Io = defaultIo,
): Promise<number> {
  let client: Client | undefined;
  try {
    const [command, sub, ...rest] = argv;
    if (!command || command === 'help' || command === '--help' || command === '-h') {
      io.out(USAGE);
      return command ? EXIT.ok : EXIT.invalidInput;
    }
    if (command === 'config') {
      if (sub !== 'check') throw new UsageError("'config' needs check");
      const { values } = parseArgs({
        args: rest,
        options: { json: { type: 'boolean' }, connect: { type: 'boolean' } },
      });
      return await configCheckCommand(env, values, io);
    }
    const config = loadConfig(env);
    if (command === 'codec-server') {
      return await codecServerCommand(
        [sub, ...rest].filter((a): a is string => a !== undefined),
        config,
        io,
      );
    }
    const connect = async () => {
      client = await connectClient({
        connection: loadTemporalConnection(env),
        dataConverter: dataConverterFor(config),
        identity: cliIdentity(env.USER),
      });
      return client;
    };
    if (command === 'status') {
      return await statusCommand(
        [sub, ...rest].filter((a): a is string => a !== undefined),
        {
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          connect,
          io,
        },
      );
    }
    if (command === 'health') {
      return await healthCommand(sub, rest, {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        interval: config.HEALTH_INTERVAL,
        connect,
        io,
      });
    }
    if (command === 'locks') {
      const { values } = parseArgs({
        args: [sub, ...rest].filter((a): a is string => a !== undefined),
        options: { json: { type: 'boolean' } },
      });
      const locks = await listLocks(await connect());
      io.out(values.json ? JSON.stringify(locks, null, 2) : formatLocks(locks));
      return EXIT.ok;
    }
    if (command === 'campaign') {
      if (sub === 'create') return await campaignCreateCommand(rest, config.TEMPORAL_TASK_QUEUE, connect, io);
      if (sub !== 'list')
        throw new UsageError(sub ? `unknown campaign command '${sub}'` : "'campaign' needs list or create");
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } } });
      const campaigns = await listCampaigns(await connect(), config.TEMPORAL_TASK_QUEUE);
      io.out(values.json ? JSON.stringify(campaigns, null, 2) : formatCampaigns(campaigns));
      return EXIT.ok;
    }
    if (command === 'transition') {
      return await transitionCommand(sub, rest, {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        connect,
        io,
        runLink: (workflowId, runId) =>
          runUrl(
            uiBaseUrl(address(config), config.TEMPORAL_UI_URL),
            config.TEMPORAL_NAMESPACE,
            workflowId,
            runId,
          ),
      });
    }
    if (command === 'schedule') {
      return await scheduleCommand(sub, rest, {
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        connect,
        io,
        ...(env.USER ? { user: env.USER } : {}),
      });
    }
    if (command !== 'sync') throw new UsageError(`unknown command '${command}'`);
    switch (sub) {
      case 'start':
        return await syncStartCommand(rest, config, connect, io);
      case 'all':
        return await syncAllCommand(rest, {
          taskQueue: config.TEMPORAL_TASK_QUEUE,
          connect,
          io,
          runLink: (workflowId, runId) =>
            runUrl(
              uiBaseUrl(address(config), config.TEMPORAL_UI_URL),
              config.TEMPORAL_NAMESPACE,
              workflowId,
              runId,
            ),
        });
      case 'status': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { json: { type: 'boolean' } },
        });
        const status = await syncStatus(await connect(), campaignArg(positionals, 'sync status'));
        io.out(values.json ? JSON.stringify(status, null, 2) : formatStatus(status));
        return status.status === 'FAILED' ? EXIT.failed : EXIT.ok;
      }
      case 'report':
        return await syncReportCommand(rest, connect, io);
      case 'approve':
      case 'reject': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { count: { type: 'string' }, by: { type: 'string' } },
        });
        const campaign = campaignArg(positionals, `sync ${sub}`);
        const count = sub === 'approve' ? nonNegativeInt('count', values.count) : undefined;
        const result = await decideRemovals(await connect(), campaign, {
          approve: sub === 'approve',
          by: values.by ?? env.USER ?? 'cli',
          ...(count !== undefined ? { count } : {}),
        });
        io.out(
          result.approved
            ? `Approved: the mirror sync of ${campaign} removes ${result.toRemove} of ${result.groupMembers} group members.`
            : `Refused: the mirror sync of ${campaign} removes nobody (${result.toRemove} were pending).`,
        );
        return EXIT.ok;
      }
      case 'cancel': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { force: { type: 'boolean' }, reason: { type: 'string' } },
        });
        const campaign = campaignArg(positionals, 'sync cancel');
        const outcome = await cancelSync(await connect(), campaign, {
          by: cliIdentity(env.USER),
          force: values.force === true,
          ...(values.reason !== undefined ? { reason: values.reason } : {}),
        });
        for (const line of formatCancelOutcome(campaign, outcome)) (line.warn ? io.err : io.out)(line.text);
        return EXIT.ok;
      }
      default:
        throw new UsageError(
          sub
            ? `unknown sync command '${sub}'`
            : "'sync' needs start, all, status, report, approve, reject or cancel",
        );
    }
  } catch (err) {
    return reportError(err, io);
  } finally {
    await client?.connection.close();
  }
}

async function syncStartCommand(
  args: string[],
  config: Config,
  connect: () => Promise<Client>,
  io: Io,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      wait: { type: 'boolean' },
      json: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      mode: { type: 'string' },
      'product-id': { type: 'string' },
      'page-size': { type: 'string' },
      'batch-size': { type: 'string' },
      'max-pages': { type: 'string' },
      'purchase-tier': { type: 'string' },
      timeout: { type: 'string' },
      'progress-interval': { type: 'string' },
      'max-removal-share': { type: 'string' },
      'approval-timeout': { type: 'string' },
      ...INCREMENTAL_FLAGS,
    },
  });
  const input: SyncInput = {
    campaign: campaignArg(positionals, 'sync start'),
    trigger: 'cli',
    ...incrementalFromFlags(values),
  };
  const productId = positiveInt('product-id', values['product-id']);
  const pageSize = positiveInt('page-size', values['page-size']);
  const maxPages = positiveInt('max-pages', values['max-pages']);
  if (productId !== undefined) input.productId = productId;
  if (pageSize !== undefined) input.pageSize = pageSize;
  if (maxPages !== undefined) input.maxPages = maxPages;
  const batchSize = positiveInt('batch-size', values['batch-size']);
  if (batchSize !== undefined) input.batchSize = batchSize;
  if (values.timeout !== undefined) input.timeout = values.timeout;
  if (values['progress-interval'] !== undefined) input.progressInterval = values['progress-interval'];
  if (values['approval-timeout'] !== undefined) input.approvalTimeout = values['approval-timeout'];
  if (values['max-removal-share'] !== undefined) {
    const share = Number(values['max-removal-share']);
    if (!Number.isFinite(share) || share < 0 || share > 1)
      throw new UsageError(
        `--max-removal-share must be a number from 0 to 1 (0.1 = 10%), not '${values['max-removal-share']}'`,
      );
    input.maxRemovalShare = share;
  }
  if (values['purchase-tier'] !== undefined) input.purchaseTier = values['purchase-tier'];
  if (values['dry-run']) input.dryRun = true;
  if (values.mode !== undefined) input.mode = values.mode as SyncInput['mode'];

  // Checked before connecting: a mistake is reported even when the server is away.
  checkSyncInput(input);
  const client = await connect();
  const handle = await startSync(client, config.TEMPORAL_TASK_QUEUE, input);
  const link = runUrl(
    uiBaseUrl(address(config), config.TEMPORAL_UI_URL),
    config.TEMPORAL_NAMESPACE,
    handle.workflowId,
    handle.firstExecutionRunId,
  );
  io.out(
    `Started sync of ${input.campaign}: workflow ${handle.workflowId}, run ${handle.firstExecutionRunId}`,
  );
  io.out(`Temporal UI: ${link}`);
  const noWorker = () => noWorkerWarning(client, config.TEMPORAL_TASK_QUEUE, input.campaign);
  const warning = await noWorker();
  if (warning) io.err(`Warning: ${warning}`);
  if (!values.wait) return EXIT.ok;
  const summary = await watchSync(handle, (p) => io.out(formatProgress(p)), {
    intervalMs: parseDuration(input.progressInterval ?? '10s'),
    onNoAnswer: async () => {
      const still = await noWorker();
      if (still) io.err(`Still waiting: ${still}`);
    },
  });
  io.out(values.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
  return EXIT.ok;
}

async function syncReportCommand(args: string[], connect: () => Promise<Client>, io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { run: { type: 'string' }, kind: { type: 'string', multiple: true }, json: { type: 'boolean' } },
  });
  const campaign = campaignArg(positionals, 'sync report');
  const kinds = (values.kind ?? []).flatMap((k) => k.split(','));
  for (const kind of kinds) {
    if (!REPORT_KINDS.includes(kind as ReportKind))
      throw new UsageError(`--kind must be one of ${REPORT_KINDS.join(', ')}, not '${kind}'`);
  }
  const report = await syncReport(await connect(), campaign, {
    ...(values.run ? { runId: values.run } : {}),
    kinds: kinds as ReportKind[],
  });
  io.out(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
  return EXIT.ok;
}

function nonNegativeInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number, not '${value}'`);
  return n;
}

const REPORT_KINDS: readonly ReportKind[] = ['invalid', 'failed', 'skipped', 'removed'];

async function codecServerCommand(args: string[], config: Config, io: Io): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string' }, origin: { type: 'string', multiple: true } },
  });
  const converter = dataConverterFor(config);
  if (!converter?.payloadCodecs?.[0])
    throw new UsageError('codec-server needs PAYLOAD_ENCRYPTION_KEYS (the same keys as the worker)');
  const port = positiveInt('port', values.port) ?? 8888;
  const origins = values.origin ?? [uiBaseUrl(address(config), config.TEMPORAL_UI_URL)];
  const server = await startCodecServer({
    codec: converter.payloadCodecs[0],
    origins,
    port,
    ...(config.CODEC_SERVER_TOKEN ? { token: config.CODEC_SERVER_TOKEN } : {}),
  });
  io.out(
    `Codec server on ${server.url} for ${origins.join(', ')}; start the UI with --ui-codec-endpoint ${server.url}`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return EXIT.ok;
}

/** What `sync cancel` says: done, or why nothing happens yet and what to type. */
function formatCancelOutcome(campaign: string, o: CancelOutcome): { text: string; warn?: boolean }[] {
  if (o.outcome === 'terminated')
    return [
      {
        text:
          `Terminated the sync of ${campaign} (run ${o.runId}): the campaign's lock is free. What it wrote stays; ` +
          `its partial stats were not recorded. 'campaign-sync sync status ${campaign}' shows who stopped it and why.`,
      },
    ];
  const lines: { text: string; warn?: boolean }[] = [
    {
      text:
        `Cancellation requested for campaign ${campaign} (run ${o.runId})` +
        (o.alreadyRequested ? ', again' : '') +
        `: it stops after the activities in flight, keeps what it wrote and records what it did.`,
    },
  ];
  if (!o.workerPolling)
    lines.push({
      warn: true,
      text:
        `Warning: no worker polls task queue ${o.taskQueue}, so nothing acts on the cancellation and the run keeps ` +
        `the campaign's lock: ${unpolledAdvice(campaign, o.taskQueue)} (which terminates the run; its partial stats are not recorded).`,
    });
  return lines;
}

function address(config: Config): string {
  return config.TEMPORAL_ADDRESS ?? 'localhost:7233';
}

/** Prints what went wrong and maps it to an exit code. */
export function reportError(err: unknown, io: Io): number {
  if (
    err instanceof UsageError ||
    (err instanceof TypeError && (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
  ) {
    io.err(`Error: ${err.message}\n\n${USAGE}`);
    return EXIT.invalidInput;
  }
  if (err instanceof InvalidInputError || err instanceof ConfigError) {
    io.err(`Error: ${err.message}`);
    return EXIT.invalidInput;
  }
  if (err instanceof SyncAlreadyRunningError) {
    io.err(`Refused: ${err.message}`);
    return EXIT.locked;
  }
  if (err instanceof SyncNotFoundError || err instanceof SyncNotRunningError) {
    io.err(err.message);
    return EXIT.notFound;
  }
  if (err instanceof RemovalDecisionError) {
    io.err(`Not done: ${err.message}`);
    return EXIT.failed;
  }
  if (err instanceof WorkflowFailedError) {
    io.err(`Sync failed: ${failureMessage(err)}`);
    return EXIT.failed;
  }
  io.err(`Error: ${err instanceof Error ? err.message : String(err)}`);
  return EXIT.failed;
}
