/**
 * `campaign create`'s pure parts: what a run must create and what it would refuse (from what
 * exists), its outcome, and the English a person reads (the client's line, the failure's message).
 * The workflow (src/workflows/campaign-create.ts) only orchestrates the steps.
 */
import { syncScheduleId } from './names';
import type {
  CampaignCreateOptions,
  CampaignCreateResult,
  ProvisionedResource,
  ProvisioningFailureDetails,
} from './provisioning';

/** What of a campaign's MailerLite resources exists (the `lookupCampaignResources` activity's answer). */
export interface ExistingResources {
  groups: { tier: string; name: string; id: string | null }[];
  field: { id: string; name: string; key: string; type: string } | null;
  accountGroups: { count: number; max: number };
}

/** The account's groups as a run found them. */
export interface GroupRoom {
  used: number;
  max: number;
  leftBefore: number;
}

/** What a create run found: what it would create and reuse, and why a real run would be refused. */
export interface ProvisioningPlan {
  room: GroupRoom;
  /** Groups that do not exist yet. */
  missingGroups: number;
  /** The purchase field exists with another type than number. */
  fieldConflict?: string;
  /** The missing groups do not fit the account. */
  roomConflict?: string;
  conflicts: string[];
  wouldCreate: ProvisionedResource[];
  /** What exists already (a real run may find more taken meanwhile). */
  existing: ProvisionedResource[];
}

/** `campaignCreate`'s result; the client adds the `message` ({@link createResultMessage}). */
export type CampaignCreateOutcome = Omit<CampaignCreateResult, 'message'>;

export function planProvisioning(
  campaign: string,
  fieldName: string,
  found: ExistingResources,
  schedule: { id: string; exists: boolean } | undefined,
): ProvisioningPlan {
  const missingGroups = found.groups.filter((g) => g.id === null).length;
  const { count: used, max } = found.accountGroups;
  const room = { used, max, leftBefore: Math.max(0, max - used) };
  const fieldConflict =
    found.field && found.field.type !== 'number'
      ? fieldConflictMessage(fieldName, found.field.type)
      : undefined;
  // The account's group limit, checked before anything is created: a campaign whose groups do
  // not all fit is refused whole, rather than failing at the first refused group and undoing.
  const roomConflict =
    missingGroups > room.leftBefore ? groupRoomMessage(campaign, room, missingGroups) : undefined;
  const group = (name: string) => ({ kind: 'group' as const, name });
  return {
    room,
    missingGroups,
    ...(fieldConflict ? { fieldConflict } : {}),
    ...(roomConflict ? { roomConflict } : {}),
    conflicts: [fieldConflict, roomConflict].filter((c): c is string => c !== undefined),
    wouldCreate: [
      ...found.groups.filter((g) => g.id === null).map((g) => group(g.name)),
      ...(found.field ? [] : [{ kind: 'field' as const, name: fieldName }]),
      ...(schedule && !schedule.exists ? [{ kind: 'schedule' as const, name: schedule.id }] : []),
    ],
    existing: [
      ...found.groups.filter((g) => g.id !== null).map((g) => group(g.name)),
      ...(found.field ? [{ kind: 'field' as const, name: fieldName }] : []),
      ...(schedule?.exists ? [{ kind: 'schedule' as const, name: schedule.id }] : []),
    ],
  };
}

/** A create run's outcome: what it created and reused (a dry run: what it would create). */
export function createOutcome(
  input: CampaignCreateOptions,
  productId: number | null,
  plan: ProvisioningPlan,
  done: { created: ProvisionedResource[]; reused: ProvisionedResource[]; scheduleCreated: boolean },
): CampaignCreateOutcome {
  const { campaign, schedule } = input;
  const { room } = plan;
  const wouldCreate = input.dryRun ? plan.wouldCreate : [];
  const conflicts = input.dryRun ? plan.conflicts : [];
  // Groups this run adds (a dry run: a real run would add, if they fit; if not, it adds none).
  const wanted = (input.dryRun ? wouldCreate : done.created).filter((r) => r.kind === 'group').length;
  const adding = wanted <= room.leftBefore ? wanted : 0;
  return {
    campaign,
    productId,
    custom: input.custom,
    dryRun: input.dryRun,
    created: done.created,
    reused: done.reused,
    wouldCreate,
    conflicts,
    accountGroups: { ...room, leftAfter: room.leftBefore - adding },
    schedule: schedule
      ? {
          scheduleId: syncScheduleId(campaign),
          timing: schedule.every !== undefined ? { every: schedule.every } : { cron: schedule.cron! },
          created: done.scheduleCreated,
        }
      : null,
  };
}

/** The line a person reads of a create run: what was (or would be) created, and the account's room. */
export function createResultMessage(r: CampaignCreateOutcome): string {
  const { campaign, created, reused, wouldCreate, conflicts, accountGroups: room } = r;
  const listed = describeResources;
  let message: string;
  if (r.dryRun) {
    message =
      wouldCreate.length > 0
        ? `Dry run: would create ${listed(wouldCreate)} for campaign ${campaign}; nothing was created.`
        : `Dry run: nothing to create for campaign ${campaign}: ${listed(reused)} exist already.`;
    if (conflicts.length > 0) message += ` A real run would fail: ${conflicts.join(' ')}`;
  } else {
    message =
      created.length > 0
        ? `Created ${listed(created)} for campaign ${campaign}` +
          (reused.length > 0 ? `; reused ${listed(reused)} that existed.` : '.')
        : `Nothing to create for campaign ${campaign}: ${listed(reused)} exist already.`;
  }
  const adding = room.leftBefore - room.leftAfter;
  message +=
    ` MailerLite account: ${room.used} of ${room.max} groups used, ${room.leftBefore} left` +
    (adding > 0 ? `; ${room.leftAfter} after ${r.dryRun ? 'a real run' : 'this run'}.` : '.');
  return message;
}

export function resourceLabel(resource: ProvisionedResource): string {
  return `${resource.kind} ${resource.name}`;
}

export function fieldConflictMessage(fieldName: string, type: string): string {
  return (
    `MailerLite field ${fieldName} is a ${type} field; the purchase field must be a number field ` +
    `(it holds EDD order IDs). Delete or rename it in MailerLite, then create the campaign again.`
  );
}

/** Why a campaign's missing groups do not fit the account, and what to do about it. */
function groupRoomMessage(campaign: string, room: GroupRoom, needed: number): string {
  return (
    `The MailerLite account holds ${room.used} of its ${room.max} groups: ${room.leftBefore} left, and ` +
    `campaign ${campaign} needs ${needed} more. Delete groups that are no longer needed in MailerLite ` +
    `(or raise MAILERLITE_MAX_GROUPS if the account allows more), then create the campaign again.`
  );
}

/** The message of a `CampaignProvisioningError`: the step, its cause, what was undone or left behind. */
export function provisioningFailureMessage(d: ProvisioningFailureDetails): string {
  let text = `Creating campaign ${d.campaign} failed: step '${d.failedStep}' failed: ${d.cause}`;
  if (d.created.length === 0) text += '; nothing to undo (this run had created nothing)';
  else if (d.undone.length > 0) text += `; undone: ${d.undone.join(', ')}`;
  if (d.leftBehind.length > 0) {
    text +=
      `; NOT undone, left behind in ${d.leftBehind.some((r) => r.kind === 'schedule') ? 'MailerLite/Temporal' : 'MailerLite'} ` +
      `(delete by hand): ${d.leftBehind
        .map((r) => `${r.kind} ${r.name}${r.id ? ` (id ${r.id})` : ''}: ${r.reason}`)
        .join('; ')}`;
  }
  return text;
}

/** `8 groups, field X and schedule Y`. */
function describeResources(items: ProvisionedResource[]): string {
  const groups = items.filter((r) => r.kind === 'group').length;
  const parts = [
    ...(groups > 0 ? [`${groups} group${groups === 1 ? '' : 's'}`] : []),
    ...items.filter((r) => r.kind !== 'group').map(resourceLabel),
  ];
  if (parts.length <= 1) return parts[0] ?? 'nothing';
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}
