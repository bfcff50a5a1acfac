export { CampaignCreateRunningError, createCampaign, formatCreateResult } from './campaign-create';
export { formatCampaigns, listCampaigns } from './campaign-list';
export { buildProgram, runCli } from './cli';
export { connectClient, type ClientSettings } from './connection';
export { EXIT, SyncAlreadyRunningError, SyncNotFoundError } from './errors';
export { formatLocks, formatProgress, formatStatus, formatSummary } from './format';
export {
  formatHealthReport,
  installHealthSchedule,
  recentHealthReports,
  runHealthNow,
  type HealthScheduleResult,
} from './health';
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
export { startSync, type SyncHandle } from './sync-start';
export { failureMessage, syncStatus, type SyncStatus } from './sync-status';
export { watchSync } from './sync-watch';
export { runUrl, uiBaseUrl } from './ui-link';
