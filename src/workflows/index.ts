export { campaignSync, progressQuery } from './campaign-sync';
export { listCampaigns } from './list-campaigns';
