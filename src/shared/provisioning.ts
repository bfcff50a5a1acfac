import { z } from 'zod';
import { DEFAULT_TIERS, tierGroupName } from './campaign';
import { SyncInputSchema, type SyncInput, type SyncSummary } from './sync-types';
import { campaignCodeSchema, describeZodIssues, tiersSchema } from './schemas';
import type { SyncAllSummary } from './sync-all';

/** `every` of a sync schedule: a whole number of minutes, hours or days, e.g. `30m`, `1h`, `1d`. */
export const EVERY_PATTERN = /^[1-9]\d{0,5}(m|h|d)$/;

/** A cron expression of five fields (minute hour day-of-month month day-of-week), or an `@hourly`-style macro. */
const CRON_FIELD = /^[0-9A-Za-z*?/,\-#LW]+$/;
const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

export function isCronExpression(value: string): boolean {
  const text = value.trim();
  if (CRON_MACROS.includes(text)) return true;
  const fields = text.split(/\s+/);
  return fields.length === 5 && fields.every((f) => CRON_FIELD.test(f));
}

/** Sync options a schedule may not set: the launcher sets the campaign and the trigger, a scheduled sync writes. */
const RESERVED_SYNC_KEYS = ['campaign', 'trigger', 'resume', 'dryRun'] as const;

/**
 * Input of the `campaignCreate` workflow: which campaign to provision in MailerLite (its tier
 * groups and purchase field) and, optionally, a recurring sync schedule. Unknown keys are refused.
 */
export const CampaignCreateInputSchema = z
  .object({
    /** Campaign code `YEAR_ARTIST_ALBUM`, e.g. `2024_ETB_NBL`. */
    campaign: campaignCodeSchema(),
    /** A custom campaign: no EDD product, so nothing is resolved from EDD. Default false. */
    custom: z.boolean().default(false),
    /** EDD product ID of the album; found from the code when absent (not for a custom campaign). */
    productId: z.number().int().positive().optional(),
    /** Tiers whose groups the campaign has. Default: BEMA's eight tiers. */
    tiers: tiersSchema().default([...DEFAULT_TIERS]),
    /** List what a real run would create, and create nothing. Default false. */
    dryRun: z.boolean().default(false),
    /** A recurring sync of the campaign; none unless given. */
    schedule: z
      .object({
        /** Interval, e.g. `1h`, `30m`, `1d` (at least a minute). */
        every: z
          .string()
          .trim()
          .regex(EVERY_PATTERN, 'every must be a whole number of minutes, hours or days, e.g. 30m, 1h, 1d')
          .optional(),
        /** Cron expression (UTC), e.g. `0 * * * *`. */
        cron: z
          .string()
          .trim()
          .refine(
            isCronExpression,
            'cron must have five fields (minute hour day month weekday), e.g. "0 * * * *"',
          )
          .optional(),
        /** Options of each scheduled sync (as `campaignSync` takes them), e.g. `{ pageSize: 200 }`. */
        sync: z.record(z.string(), z.unknown()).optional(),
      })
      .strict()
      .refine((s) => (s.every === undefined) !== (s.cron === undefined), {
        message: 'give exactly one of every and cron',
      })
      .optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    const names = input.tiers.map((tier) => tierGroupName(input.campaign, tier));
    const dup = names.find((name, i) => names.indexOf(name) !== i);
    if (dup) ctx.addIssue({ code: 'custom', path: ['tiers'], message: `two tiers give the group ${dup}` });
    if (input.custom && input.productId !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['productId'],
        message: 'a custom campaign has no EDD product: leave productId out, or drop custom',
      });
    }
    if (!input.schedule) return;
    if (input.custom) {
      ctx.addIssue({
        code: 'custom',
        path: ['schedule'],
        message: 'a custom campaign has no EDD product, so a scheduled sync would have nothing to sync',
      });
      return;
    }
    const sync = input.schedule.sync ?? {};
    for (const key of RESERVED_SYNC_KEYS) {
      if (key in sync) {
        ctx.addIssue({
          code: 'custom',
          path: ['schedule', 'sync', key],
          message: `is set by the schedule itself and may not be given`,
        });
      }
    }
    const parsed = SyncInputSchema.safeParse(
      scheduledSyncInput(input.campaign, input.tiers, sync, 'schedule'),
    );
    if (!parsed.success) {
      for (const issue of describeZodIssues(parsed.error)) {
        ctx.addIssue({ code: 'custom', path: ['schedule', 'sync'], message: issue });
      }
    }
  });

/** What a caller passes (defaults may be left out). */
export type CampaignCreateInput = z.input<typeof CampaignCreateInputSchema>;
/** The input after defaults are applied. */
export type CampaignCreateOptions = z.output<typeof CampaignCreateInputSchema>;

/**
 * The sync input a campaign's schedule passes its launcher: the schedule's sync options, the
 * campaign's tiers when they are not the defaults, and the trigger `schedule:<scheduleId>`.
 */
export function scheduledSyncInput(
  campaign: string,
  tiers: string[],
  sync: Record<string, unknown>,
  trigger: string,
): SyncInput {
  const defaultTiers = tiers.length === DEFAULT_TIERS.length && tiers.every((t, i) => t === DEFAULT_TIERS[i]);
  return {
    ...(defaultTiers ? {} : { tiers }),
    ...sync,
    campaign,
    trigger,
  };
}

/** A sync schedule's timing: exactly one of `every` and `cron`; a cron's `timezone` (IANA, default UTC). */
export interface ScheduleTiming {
  every?: string;
  cron?: string;
  timezone?: string;
}

/** One MailerLite group or field, or the sync schedule, as provisioning saw it. */
export interface ProvisionedResource {
  kind: 'group' | 'field' | 'schedule';
  name: string;
  /** MailerLite's ID (a group or field this run created); absent for a reused resource or a schedule. */
  id?: string;
}

/** What `campaignCreate` returns. */
export interface CampaignCreateResult {
  campaign: string;
  /** The album's EDD product; null for a custom campaign. */
  productId: number | null;
  custom: boolean;
  dryRun: boolean;
  /** What this run created (nothing in a dry run). */
  created: ProvisionedResource[];
  /** What existed already and was left as it is. */
  reused: ProvisionedResource[];
  /** A dry run's list of what a real run would create (empty otherwise). */
  wouldCreate: ProvisionedResource[];
  /** A dry run's list of existing resources a real run would fail on (e.g. a text purchase field). */
  conflicts: string[];
  /**
   * The MailerLite account's groups as this run found them: how many it held, the most it may hold
   * (`MAILERLITE_MAX_GROUPS`), and how many were left before and after this run's creations (a dry
   * run: after a real run's).
   */
  accountGroups: { used: number; max: number; leftBefore: number; leftAfter: number };
  /** The schedule asked for, if any, and whether it was created now. */
  schedule: { scheduleId: string; timing: ScheduleTiming; created: boolean } | null;
  /** One line for people: what was created, or "nothing to create". */
  message: string;
}

/** A resource this run created and could not remove while undoing. */
export interface LeftBehind {
  kind: ProvisionedResource['kind'];
  name: string;
  id?: string;
  reason: string;
}

/** The details of a `CampaignProvisioningError` failure. */
export interface ProvisioningFailureDetails {
  campaign: string;
  /** The step that failed, e.g. `create group 2024_ETB_NBL_SILVER`. */
  failedStep: string;
  cause: string;
  /** What this run had created when the step failed. */
  created: string[];
  /** Of those, what was undone (deleted again). */
  undone: string[];
  /** Of those, what could not be undone: still there, to be removed by hand. */
  leftBehind: LeftBehind[];
}

/** The run holding a campaign's lock (its workflow ID is `campaign-sync-<CODE>`). */
export interface LockHolder {
  workflowId: string;
  /** `campaignSync`, or `campaignLock` when another workflow (a create, a transition) holds it. */
  workflowType?: string;
  runId?: string;
  /** ISO time the holder started. */
  startedAt?: string;
  /** Its `SyncTrigger` search attribute: who started it (`cli`, `schedule:…`, `create:…`). */
  trigger?: string;
}

/** The launcher's answer when the campaign was locked at the scheduled time: no sync ran. */
export interface ScheduledSyncSkipped {
  status: 'skipped';
  campaign: string;
  holder: LockHolder;
}

/**
 * What `scheduledSyncAll` returns: the `sync all` summary, or `skipped` when a `sync all` was
 * running already (its holder named).
 */
export type ScheduledSyncAllResult =
  (SyncAllSummary & { status: 'completed' }) | { status: 'skipped'; holder: LockHolder };

/** What `scheduledCampaignSync` returns: the sync's summary, or why it was skipped. */
export type ScheduledSyncResult = SyncSummary | ScheduledSyncSkipped;
