export { campaignSync, progressQuery } from './campaign-sync';
export { listCampaigns } from './list-campaigns';
export { campaignLock } from './campaign-lock';
