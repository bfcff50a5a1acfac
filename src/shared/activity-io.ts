/**
 * What some activities take and answer, where other layers need the shape too: the workflows
 * (which call them), shared planning code and the CLI (which reads them from a run's history).
 * The activities themselves import these from here.
 */
import type { DestinationSnapshot, SubscriberUpsert } from './subscriber-plan';
import { emptyCounts, type FailedRecordReport, type ReportEntry, type SyncCounts } from './sync-types';

export interface ExchangeInput {
  /** Upserts to send (at most 49, so a read always fits). */
  writes: SubscriberUpsert[];
  /** Emails to read after the writes. */
  reads: string[];
  /** Field keys to report in snapshots. */
  fieldKeys: string[];
  /** The group whose membership snapshots report. */
  groupId: string;
  /**
   * A dry run's group or field that does not exist yet: reads are not taken as a sign that the
   * field is gone (see {@link checkDestination}).
   */
  fieldsMayBeMissing?: boolean;
}

/**
 * One upsert's answer: written, refused (`failed`, with MailerLite's reason), or refused because
 * the person withdrew since the sync read them (`consent`: counted as skipped, not failed).
 */
export type WriteOutcome = { ok: true; created: boolean } | { ok: false; reason: string; consent?: true };

export interface ExchangeResult {
  writes: WriteOutcome[];
  reads: DestinationSnapshot[];
}

export interface CampaignListing {
  campaign: string;
  productId: number;
  title: string;
  /** Tier groups that exist, of `tiers`. */
  groupsPresent: number;
  groupsExpected: number;
  /** Whether the `<CAMPAIGN>_PURCHASE` field exists. */
  purchaseField: boolean;
}

export interface ReportEntriesInput {
  campaign: string;
  entries: ReportEntry[];
}

/** Name of the activity whose inputs make a sync's per-record report. */
export const REPORT_ACTIVITY = 'recordReportEntries';

export interface MirrorScanResult {
  /** Members read on this page. */
  scanned: number;
  /** Members whose email is no purchaser of the album in the source. */
  toRemove: { subscriberId: string; email: string }[];
  nextCursor: string | null;
}

/** What `writeListBatches` answers for the batches of one page it sent. */
export interface WriteListBatchesResult {
  counts: SyncCounts;
  failures: FailedRecordReport[];
  skips: FailedRecordReport[];
  entries: ReportEntry[];
  /** Orders written (by their answers: 201 created, 200 updated). */
  created: number[];
  updated: number[];
  /** MailerLite requests sent. */
  requests: number;
}

/** A `writeListBatches` answer before anything is counted. */
export function emptyWriteListBatchesResult(): WriteListBatchesResult {
  return {
    counts: emptyCounts(),
    failures: [],
    skips: [],
    entries: [],
    created: [],
    updated: [],
    requests: 0,
  };
}
