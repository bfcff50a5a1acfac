export { campaignSync } from './campaign-sync';
export { listCampaigns } from './list-campaigns';
export { campaignLock } from './campaign-lock';
export { campaignCreate } from './campaign-create';
export { scheduledCampaignSync, scheduledSyncAll } from './scheduled-sync';
export { systemHealth } from './health';
export { syncAllCampaigns } from './sync-all';
export { campaignTransition, transitionTier } from './campaign-transition';
