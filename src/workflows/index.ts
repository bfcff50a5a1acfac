export { campaignSync, progressQuery } from './campaign-sync';
