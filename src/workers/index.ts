export { buildActivities } from './build-activities';
export { createSyncWorker, NativeConnection, Runtime, workflowsPath } from './create-worker';
