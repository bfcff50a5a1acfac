import { Option, type Command } from 'commander';
import { DEFAULT_PURCHASE_TIER, DEFAULT_TIERS } from '../shared/campaign';
import type { SyncInput } from '../shared/sync-types';
import { choice, duration, integer, share, single } from './cli-values';

/** Sync options (without the campaign) a command passes on to each sync. */
export type SyncOptionValues = Omit<SyncInput, 'campaign' | 'trigger' | 'resume'>;

export const SYNC_MODES = ['upsert', 'update-only', 'mirror'] as const;

/** What commander gives for the flags {@link addSyncOptions} declares (camelCase, parsed). */
export interface SyncOptionFlags {
  mode?: SyncInput['mode'];
  dryRun?: boolean;
  pageSize?: number;
  batchSize?: number;
  maxPages?: number;
  timeout?: string;
  purchaseTier?: string;
  maxRemovalShare?: number;
  approvalTimeout?: string;
  incremental?: boolean;
  lookback?: string;
  lookbackOrders?: number;
}

/** An option taking one value, parsed by `parse`, refused when given twice. */
export function valueOption<T>(
  flags: string,
  description: string,
  parse: (value: string) => T,
  choices?: readonly string[],
): Option {
  const long = /--[\w-]+/.exec(flags)![0];
  const option = new Option(flags, description);
  // choices() sets a parser of its own (shown in the help); ours, set after it, refuses repeats too.
  if (choices) option.choices(choices);
  return option.argParser(single(long, parse));
}

/** `--wait` and `--json` of a command that starts a run (a sync, a transition). */
export function addRunOutputOptions(cmd: Command): Command {
  return cmd
    .option('--wait', 'show its progress and print the summary when it ends')
    .option('--json', 'print the run (or with --wait the summary) as JSON');
}

/**
 * Declares the sync options `sync start`, `sync all` and `schedule create` share, with the bounds
 * of the sync input schema (SyncInputSchema), so a mistake is refused naming the flag. Defaults
 * are the workflow's and are shown in the help, not set here: a schedule stores only what was given.
 */
export function addSyncOptions(cmd: Command): Command {
  cmd
    .addOption(
      valueOption(
        '--mode <mode>',
        'what the sync writes (default: upsert)',
        choice('--mode', SYNC_MODES),
        SYNC_MODES,
      ),
    )
    .option('--dry-run', 'compute what it would create, update, skip and remove; write nothing')
    .addOption(
      valueOption(
        '--page-size <n>',
        'EDD sales per page, 1 to 1000 (default: 100)',
        integer('--page-size', 1, 1000),
      ),
    )
    .addOption(
      valueOption(
        '--batch-size <n>',
        'operations per MailerLite batch, 2 to 50 (default: 50)',
        integer('--batch-size', 2, 50),
      ),
    )
    .addOption(
      valueOption(
        '--max-pages <n>',
        'stop after this many source pages (default: no limit)',
        integer('--max-pages', 1),
      ),
    )
    .addOption(
      valueOption(
        '--timeout <duration>',
        'time limit of each sync, e.g. 2h (default: none)',
        duration('--timeout'),
      ),
    )
    .addOption(
      valueOption(
        '--purchase-tier <tier>',
        `tier whose group purchasers join (default: ${DEFAULT_PURCHASE_TIER})`,
        choice('--purchase-tier', DEFAULT_TIERS),
        DEFAULT_TIERS,
      ),
    );
  cmd
    .addOption(
      valueOption(
        '--max-removal-share <share>',
        'mirror: share of the group (0 to 1) removed without approval (default: 0.1)',
        share('--max-removal-share'),
      ),
    )
    .addOption(
      valueOption(
        '--approval-timeout <duration>',
        'mirror: how long to wait for sync approve (default: 24h)',
        duration('--approval-timeout'),
      ),
    );
  return addIncrementalOptions(cmd);
}

/** `--incremental`, `--lookback`, `--lookback-orders`. */
export function addIncrementalOptions(cmd: Command): Command {
  return cmd
    .option('--incremental', "read only the orders since the campaign's watermark (not with mirror)")
    .addOption(
      valueOption(
        '--lookback <duration>',
        'incremental: how far to read past the watermark (default: 48h)',
        duration('--lookback'),
      ),
    )
    .addOption(
      valueOption(
        '--lookback-orders <n>',
        'incremental: and at least this many orders, 0 to 100000 (default: 200)',
        integer('--lookback-orders', 0, 100_000),
      ),
    );
}

const SYNC_OPTION_KEYS = [
  'mode',
  'dryRun',
  'pageSize',
  'batchSize',
  'maxPages',
  'timeout',
  'purchaseTier',
  'maxRemovalShare',
  'approvalTimeout',
  'incremental',
  'lookback',
  'lookbackOrders',
] as const satisfies readonly (keyof SyncOptionFlags & keyof SyncOptionValues)[];

/** The sync options given (and only those): the sync input schema applies its defaults to the rest. */
export function syncOptionsFrom(flags: SyncOptionFlags): SyncOptionValues {
  const options: Record<string, unknown> = {};
  for (const key of SYNC_OPTION_KEYS) {
    const value = flags[key];
    if (value !== undefined && value !== false) options[key] = value;
  }
  return options;
}
