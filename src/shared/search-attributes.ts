import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The campaign a run syncs, so runs can be filtered by campaign in the UI and with `workflow list`. */
export const CAMPAIGN_CODE = defineSearchAttributeKey('CampaignCode', SearchAttributeType.KEYWORD);

/** Who started the run: `cli`, `ui`, `schedule:<id>`, ... */
export const SYNC_TRIGGER = defineSearchAttributeKey('SyncTrigger', SearchAttributeType.KEYWORD);

/** A sync's mode (`upsert`, `update-only`, `mirror`), set when it starts. */
export const SYNC_MODE = defineSearchAttributeKey('SyncMode', SearchAttributeType.KEYWORD);

/**
 * A sync's state: `running` from its start, then `completed`, `failed`, `cancelled` or `timed-out`
 * (set before the run ends): `SyncStatus='failed'` finds the failed syncs.
 */
export const SYNC_STATUS = defineSearchAttributeKey('SyncStatus', SearchAttributeType.KEYWORD);

/** A health run's status (`healthy`, `degraded`, `unhealthy`): `HealthStatus='degraded'` finds the runs. */
export const HEALTH_STATUS = defineSearchAttributeKey('HealthStatus', SearchAttributeType.KEYWORD);

/** Every custom search attribute the project uses; a server must have them registered. */
export const SEARCH_ATTRIBUTES = [
  CAMPAIGN_CODE,
  SYNC_TRIGGER,
  SYNC_MODE,
  SYNC_STATUS,
  HEALTH_STATUS,
] as const;

/** The `--type` the `temporal` CLI takes for a search attribute type: `KEYWORD_LIST` is `KeywordList`. */
export function cliTypeName(type: string): string {
  return type
    .toLowerCase()
    .split('_')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

/**
 * The command that registers a search attribute in `namespace` (with `--address` when given: when
 * the server is not the CLI's default). The worker's refusal and the health check both print it.
 */
export function registerCommand(
  key: { name: string; type: string },
  namespace: string,
  address?: string,
): string {
  return (
    `temporal operator search-attribute create${address ? ` --address ${address}` : ''} ` +
    `--namespace ${namespace} --name ${key.name} --type ${cliTypeName(key.type)}`
  );
}
