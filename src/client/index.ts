export { CampaignCreateRunningError, createCampaign, formatCreateResult } from './campaign-create';
export { formatCampaigns, listCampaigns } from './campaign-list';
export { buildProgram, runCli } from './cli';
export { connectClient, type ClientSettings } from '../temporal/connection';
export { EXIT } from './errors';
export { SyncAlreadyRunningError, SyncNotFoundError } from '../temporal/errors';
export { formatLocks, formatProgress, formatStatus, formatSummary } from './format';
export { formatHealthReport } from './health';
export {
  installHealthSchedule,
  recentHealthReports,
  runHealthNow,
  type HealthScheduleResult,
} from '../temporal/health-schedule';
export { listLocks, type HeldLock, type LockRelease } from './locks';
export {
  backfillSyncSchedule,
  createSyncSchedule,
  deleteSyncSchedule,
  describeSyncSchedule,
  listSyncSchedules,
  ScheduleExistsError,
  ScheduleMissingError,
  setSyncSchedulePaused,
  triggerSyncSchedule,
  updateSyncSchedule,
  type ScheduleView,
} from './schedules';
export { startSyncAll, SyncAllRunningError, type SyncAllHandle } from './sync-all';
export { cancelSync, SyncNotRunningError } from './sync-cancel';
export { formatSystemStatus, systemStatus, type SystemStatus } from './status';
export { startSync, type SyncHandle } from '../temporal/sync-start';
export { failureMessage, syncStatus, type SyncStatus } from './sync-status';
export { watchSync } from './sync-watch';
export { runUrl, uiBaseUrl } from '../temporal/ui-link';
