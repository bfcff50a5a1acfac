import { InvalidInputError } from '../shared/errors';
import type { SyncInput } from '../shared/sync-types';

/** An incremental run's flags, for every command that starts syncs. */
export const INCREMENTAL_FLAGS = {
  incremental: { type: 'boolean' },
  lookback: { type: 'string' },
  'lookback-orders': { type: 'string' },
} as const;

/** `--incremental`, `--lookback`, `--lookback-orders` into sync options (checked by the input schema). */
export function incrementalFromFlags(values: {
  incremental?: boolean;
  lookback?: string;
  'lookback-orders'?: string;
}): Pick<SyncInput, 'incremental' | 'lookback' | 'lookbackOrders'> {
  const options: Pick<SyncInput, 'incremental' | 'lookback' | 'lookbackOrders'> = {};
  if (values.incremental) options.incremental = true;
  if (values.lookback !== undefined) options.lookback = values.lookback;
  if (values['lookback-orders'] !== undefined) {
    const n = Number(values['lookback-orders']);
    if (!/^\d+$/.test(values['lookback-orders']) || !Number.isSafeInteger(n))
      throw new InvalidInputError(
        `--lookback-orders must be a whole number of orders, not '${values['lookback-orders']}'`,
      );
    options.lookbackOrders = n;
  }
  return options;
}

/** Sync options as `schedule create` and `sync all` take them on the command line. */
export const SYNC_OPTION_FLAGS = {
  mode: { type: 'string' },
  'dry-run': { type: 'boolean' },
  'page-size': { type: 'string' },
  'batch-size': { type: 'string' },
  'max-pages': { type: 'string' },
  timeout: { type: 'string' },
  'purchase-tier': { type: 'string' },
  'max-removal-share': { type: 'string' },
  'approval-timeout': { type: 'string' },
  ...INCREMENTAL_FLAGS,
} as const;

/** Sync options (without the campaign) a command passes on to each sync. */
export type SyncOptionValues = Omit<SyncInput, 'campaign' | 'trigger' | 'resume'>;

export function positiveIntFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidInputError(`--${name} must be a positive whole number, not '${value}'`);
  return n;
}

/**
 * The sync options given as flags (see {@link SYNC_OPTION_FLAGS}); their values are checked by the
 * sync input schema afterwards, except that numbers must be numbers.
 */
export function syncOptionsFromFlags(values: {
  [K in keyof typeof SYNC_OPTION_FLAGS]?: (typeof SYNC_OPTION_FLAGS)[K]['type'] extends 'boolean'
    ? boolean
    : string;
}): SyncOptionValues {
  const options: SyncOptionValues = { ...incrementalFromFlags(values) };
  if (values.mode !== undefined) options.mode = values.mode as SyncInput['mode'];
  if (values['dry-run']) options.dryRun = true;
  const pageSize = positiveIntFlag('page-size', values['page-size']);
  if (pageSize !== undefined) options.pageSize = pageSize;
  const batchSize = positiveIntFlag('batch-size', values['batch-size']);
  if (batchSize !== undefined) options.batchSize = batchSize;
  const maxPages = positiveIntFlag('max-pages', values['max-pages']);
  if (maxPages !== undefined) options.maxPages = maxPages;
  if (values.timeout !== undefined) options.timeout = values.timeout;
  if (values['purchase-tier'] !== undefined) options.purchaseTier = values['purchase-tier'];
  if (values['approval-timeout'] !== undefined) options.approvalTimeout = values['approval-timeout'];
  if (values['max-removal-share'] !== undefined) {
    const share = Number(values['max-removal-share']);
    if (!Number.isFinite(share) || share < 0 || share > 1)
      throw new InvalidInputError(
        `--max-removal-share must be a number from 0 to 1 (0.1 = 10%), not '${values['max-removal-share']}'`,
      );
    options.maxRemovalShare = share;
  }
  return options;
}

/** The campaign code positional of a command, exactly one. */
export function campaignPositional(positionals: string[], verb: string): string {
  const campaign = positionals[0];
  if (!campaign)
    throw new InvalidInputError(`'${verb}' needs a campaign code, e.g. campaign-sync ${verb} 2024_ETB_NBL`);
  if (positionals.length > 1) throw new InvalidInputError(`unexpected argument '${positionals[1]}'`);
  return campaign;
}
