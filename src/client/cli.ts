import { parseArgs } from 'node:util';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ConfigError, loadConfig, type Config } from '../config';
import { InvalidInputError } from '../shared/errors';
import type { SyncInput } from '../shared/sync-types';
import { formatCampaigns, listCampaigns } from './campaign-list';
import { connectClient } from './connection';
import { EXIT, SyncAlreadyRunningError, SyncNotFoundError } from './errors';
import { formatLocks, formatProgress, formatStatus, formatSummary } from './format';
import { listLocks } from './locks';
import { cancelSync, SyncNotRunningError } from './sync-cancel';
import { startSync } from './sync-start';
import { failureMessage, syncStatus } from './sync-status';
import { watchSync } from './sync-watch';
import { runUrl, uiBaseUrl } from './ui-link';

export const USAGE = `Usage: campaign-sync <command> [options]

Commands:
  sync start <campaign> [--wait] [--dry-run] [--mode upsert|update-only] [--product-id N]
                        [--page-size N] [--max-pages N]
                        [--purchase-tier TIER] [--json]
                        Start a sync of one campaign (e.g. 2024_ETB_NBL). With --wait, show
                        its progress and print the summary when it ends. With --dry-run,
                        compute what it would create, update and skip, and write nothing.
  sync status <campaign> [--json]
                        The latest run of a campaign's sync: progress, summary or failure.
  sync cancel <campaign>
                        Cancel a campaign's running sync (keeps what was written).
  locks [--json]        Campaign locks held by running syncs.
  campaign list [--json]
                        Campaigns EDD's album products give (YEAR_ARTIST_ALBUM), and whether
                        their MailerLite groups and purchase field exist.
  help                  This text.

Environment: TEMPORAL_ADDRESS (default localhost:7233), TEMPORAL_NAMESPACE (default), TEMPORAL_TASK_QUEUE
(campaign-sync), TEMPORAL_UI_URL. See README.md.

Exit codes: 0 success, 1 failure, 2 invalid input, 3 refused (campaign locked), 4 not found.`;

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
    const config = loadConfig(env);
    const connect = async () => {
      client = await connectClient({ address: address(config), namespace: config.TEMPORAL_NAMESPACE });
      return client;
    };
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
      if (sub !== 'list')
        throw new UsageError(sub ? `unknown campaign command '${sub}'` : "'campaign' needs list");
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean' } } });
      const campaigns = await listCampaigns(await connect(), config.TEMPORAL_TASK_QUEUE);
      io.out(values.json ? JSON.stringify(campaigns, null, 2) : formatCampaigns(campaigns));
      return EXIT.ok;
    }
    if (command !== 'sync') throw new UsageError(`unknown command '${command}'`);
    switch (sub) {
      case 'start':
        return await syncStartCommand(rest, config, connect, io);
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
      case 'cancel': {
        const { positionals } = parseArgs({ args: rest, allowPositionals: true, options: {} });
        const campaign = campaignArg(positionals, 'sync cancel');
        const { runId } = await cancelSync(await connect(), campaign);
        io.out(`Cancellation requested for campaign ${campaign} (run ${runId}).`);
        return EXIT.ok;
      }
      default:
        throw new UsageError(sub ? `unknown sync command '${sub}'` : "'sync' needs start, status or cancel");
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
      'max-pages': { type: 'string' },
      'purchase-tier': { type: 'string' },
    },
  });
  const input: SyncInput = { campaign: campaignArg(positionals, 'sync start'), trigger: 'cli' };
  const productId = positiveInt('product-id', values['product-id']);
  const pageSize = positiveInt('page-size', values['page-size']);
  const maxPages = positiveInt('max-pages', values['max-pages']);
  if (productId !== undefined) input.productId = productId;
  if (pageSize !== undefined) input.pageSize = pageSize;
  if (maxPages !== undefined) input.maxPages = maxPages;
  if (values['purchase-tier'] !== undefined) input.purchaseTier = values['purchase-tier'];
  if (values['dry-run']) input.dryRun = true;
  if (values.mode !== undefined) input.mode = values.mode as SyncInput['mode'];

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
  if (!values.wait) return EXIT.ok;
  const summary = await watchSync(handle, (p) => io.out(formatProgress(p)));
  io.out(values.json ? JSON.stringify(summary, null, 2) : formatSummary(summary));
  return EXIT.ok;
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
  if (err instanceof WorkflowFailedError) {
    io.err(`Sync failed: ${failureMessage(err)}`);
    return EXIT.failed;
  }
  io.err(`Error: ${err instanceof Error ? err.message : String(err)}`);
  return EXIT.failed;
}
