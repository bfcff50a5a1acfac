import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

/** The campaign a run syncs, so runs can be filtered by campaign in the UI and with `workflow list`. */
export const CAMPAIGN_CODE = defineSearchAttributeKey('CampaignCode', SearchAttributeType.KEYWORD);

/** Who started the run: `cli`, `ui`, `schedule:<id>`, ... */
export const SYNC_TRIGGER = defineSearchAttributeKey('SyncTrigger', SearchAttributeType.KEYWORD);

/** A health run's status (`healthy`, `degraded`, `unhealthy`): `HealthStatus='degraded'` finds the runs. */
export const HEALTH_STATUS = defineSearchAttributeKey('HealthStatus', SearchAttributeType.KEYWORD);

/** Every custom search attribute the project uses; a server must have them registered. */
export const SEARCH_ATTRIBUTES = [CAMPAIGN_CODE, SYNC_TRIGGER, HEALTH_STATUS] as const;
