export { buildActivities } from './build-activities';
export {
  NativeConnection,
  Runtime,
  SyncWorkers,
  workflowsPath,
  type SyncWorkerOptions,
} from './create-worker';
export { connectWorker } from '../temporal/worker-connection';
