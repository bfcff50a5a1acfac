export { buildActivities } from './build-activities';
export { createSyncWorker, NativeConnection, workflowsPath } from './create-worker';
