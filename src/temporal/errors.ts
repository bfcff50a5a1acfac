/** What the Temporal operations of every layer (the CLI, activities, the worker) fail with. */
import { whenAndAge } from '../shared/when';

/** A sync of the campaign is already running: the campaign's lock is held. */
export class SyncAlreadyRunningError extends Error {
  constructor(
    readonly campaign: string,
    readonly workflowId: string,
    readonly runId: string | undefined,
    readonly startedAt: Date | undefined,
    /** Who holds the lock: the run's trigger (`cli`, `schedule:…`) or the workflow holding it. */
    readonly holder?: string,
    /** `campaignSync`, or `campaignLock` when another workflow (e.g. a transition) holds the lock. */
    readonly holderType?: string,
    /** The holder's cancellation was requested and has not taken effect; its task queue. */
    readonly stalled?: { cancelRequested: boolean; taskQueue: string },
  ) {
    super(
      (holderType === 'campaignLock'
        ? `Campaign ${campaign} is locked by ${holder ?? 'another workflow'}: workflow ${workflowId}`
        : `Campaign ${campaign} is already syncing: workflow ${workflowId}`) +
        (runId ? `, run ${runId}` : '') +
        (startedAt ? `, started ${whenAndAge(startedAt)}` : '') +
        (holder && holderType !== 'campaignLock' ? `, started by ${holder}` : '') +
        (stalled?.cancelRequested
          ? `. Its cancellation was requested but has not taken effect: no worker has acted on it (does one poll ` +
            `task queue ${stalled.taskQueue}?). Free the lock with 'campaign-sync sync cancel ${campaign} --force'.`
          : `. Wait for it to finish, or cancel it with 'campaign-sync sync cancel ${campaign}'.`),
    );
    this.name = 'SyncAlreadyRunningError';
  }
}

/** No sync of the campaign was ever started (or its history has been removed by retention). */
export class SyncNotFoundError extends Error {
  constructor(
    readonly campaign: string,
    readonly runId?: string,
    /** Campaigns with syncs whose code is close to this one (a typo): named instead of starting one. */
    readonly suggestions: readonly string[] = [],
  ) {
    super(
      runId
        ? `No run ${runId} of campaign ${campaign}'s sync was found (a wrong run ID, or removed by retention).`
        : suggestions.length > 0
          ? `No sync of campaign ${campaign} was found; did you mean ${suggestions.join(' or ')}? ` +
            `'campaign-sync campaign list' lists the campaigns and their last syncs.`
          : `No sync of campaign ${campaign} was found. Start one with 'campaign-sync sync start ${campaign}'.`,
    );
    this.name = 'SyncNotFoundError';
  }
}

/** The CLI could not connect to Temporal: names the address tried, and whether it was the default. */
export class TemporalUnreachableError extends Error {
  constructor(
    readonly address: string,
    /** TEMPORAL_ADDRESS was unset, so the default was tried. */
    readonly isDefault: boolean,
    options?: { cause?: unknown },
  ) {
    super(
      // The connection's own failure names the server, how it was reached and the setting to fix.
      options?.cause instanceof Error && options.cause.name === 'TemporalConnectError'
        ? `${options.cause.message} 'campaign-sync config check --connect' shows the settings and tries them.`
        : `Cannot reach Temporal at ${address}` +
            (isDefault ? ' (TEMPORAL_ADDRESS is unset, so the default was tried)' : ' (TEMPORAL_ADDRESS)') +
            `: ${options?.cause instanceof Error ? options.cause.message : String(options?.cause)}. ` +
            `Is the server running there? 'campaign-sync config check' shows the settings.`,
      options,
    );
    this.name = 'TemporalUnreachableError';
  }
}
