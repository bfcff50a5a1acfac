/**
 * Error types shared by activities, workflows and the client.
 *
 * Temporal names an activity failure after the thrown error's class name (`error.name`), and a
 * retry policy's `nonRetryableErrorTypes` matches those names. So every class sets `name`, and the
 * list of errors that retrying cannot fix lives here, in {@link NON_RETRYABLE_ERROR_TYPES}.
 */

/** Base class: keeps `cause`, sets `name` from the subclass. */
export abstract class CampaignSyncError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The provider rejected our credentials (401/403). Retrying will not help; fix the credentials. */
export class ProviderAuthError extends CampaignSyncError {
  constructor(
    readonly provider: ProviderName,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A request the provider refuses as invalid (422 and other 4xx). Retrying the same request will not help. */
export class ProviderRequestError extends CampaignSyncError {
  constructor(
    readonly provider: ProviderName,
    readonly status: number,
    message: string,
    /** Per-field errors, as MailerLite reports them (`errors: { field: [messages] }`). */
    readonly fieldErrors: Record<string, string[]> = {},
  ) {
    super(message);
  }
}

/**
 * The provider accepts the credentials but answers them without the data a sync needs, because the
 * user they belong to lacks a permission: EDD answers a key whose user lacks `view_shop_reports`
 * (sales) or `view_shop_sensitive_data` (customers) with HTTP 200 and no data, which would read as
 * a store without purchasers. Retrying will not help; the message names what to grant.
 */
export class ProviderPermissionError extends CampaignSyncError {
  constructor(
    readonly provider: ProviderName,
    /** The permissions (EDD capabilities) the credentials' user lacks. */
    readonly missing: readonly string[],
    message: string,
  ) {
    super(message);
  }
}

/** The resource does not exist (404). */
export class ProviderNotFoundError extends CampaignSyncError {
  constructor(
    readonly provider: ProviderName,
    message: string,
  ) {
    super(message);
  }
}

/** The provider is rate limiting us (429). Retryable, after `retryAfterMs`. */
export class ProviderRateLimitError extends CampaignSyncError {
  constructor(
    readonly provider: ProviderName,
    message: string,
    /** How long the provider asked us to wait (its `Retry-After`), in milliseconds. */
    readonly retryAfterMs: number,
  ) {
    super(message);
  }
}

/** 5xx, connection reset, timeout, malformed body: the kind of failure a retry can fix. */
export class ProviderTransientError extends CampaignSyncError {
  constructor(
    readonly provider: ProviderName,
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A sync's connection check could not reach a provider at all (connection refused, no such host, no
 * route, an untrusted certificate, no answer in time): the message names the provider, its
 * configured URL, the worker and the setting to check. Retryable, but the check makes its third
 * attempt final (`UNREACHABLE_ATTEMPTS`), so the run fails within seconds, not minutes.
 */
export class ProviderUnreachableError extends CampaignSyncError {
  constructor(
    readonly provider: ProviderName,
    readonly url: string,
    message: string,
  ) {
    super(message);
  }
}

/** The workflow input or a configuration value is wrong; the message names the field. */
export class InvalidInputError extends CampaignSyncError {
  constructor(
    message: string,
    /** Each problem as `path: message`. */
    readonly issues: string[] = [],
  ) {
    super(message);
  }
}

/** The campaign does not exist in the source (no EDD album product has its code). */
export class CampaignNotFoundError extends CampaignSyncError {
  constructor(
    readonly campaign: string,
    /** Codes EDD's products give that are close to this one (a typo, another case). */
    readonly suggestions: readonly string[] = [],
  ) {
    super(
      `Campaign ${campaign} was not found: no EDD product derives this code` +
        (suggestions.length > 0 ? `; did you mean ${suggestions.join(' or ')}?` : '.') +
        ` 'campaign-sync campaign list' lists the codes EDD products give; 'sync start' and 'schedule create' ` +
        `take the album's product with --product-id, and 'campaign create --custom' makes a campaign without one.`,
    );
  }
}

/**
 * A campaign resource exists in the destination in a shape the sync cannot use (e.g. the purchase
 * field is a text field). Retrying will not help; the message says what to change.
 */
export class CampaignResourceConflictError extends CampaignSyncError {
  constructor(
    readonly resource: string,
    message: string,
  ) {
    super(message);
  }
}

export type ProviderName = 'edd' | 'mailerlite';

/**
 * Failure types that no retry can fix: the workflow fails at once with them instead of retrying
 * until its timeout. Rate-limit and transient errors are deliberately absent.
 */
/**
 * A campaign's lock is held (by a running sync, or by a workflow such as a transition holding it),
 * so the work that needed it was refused. Retrying at once will not help; wait for the holder.
 */
export class CampaignLockedError extends CampaignSyncError {}

/**
 * Provisioning a campaign (`campaign create`) failed at a step: the message names the step and its
 * cause, and what of this run's creations was undone (or, if undoing failed, what is left behind).
 * The failure's details hold a `ProvisioningFailureDetails` (src/shared/provisioning.ts).
 */
export class CampaignProvisioningError extends CampaignSyncError {}

/** A sync passed its overall `timeout`: it stopped at a page boundary, keeping what it wrote. */
export class SyncTimeoutError extends CampaignSyncError {}

/**
 * MailerLite says the campaign's purchase group or purchase field a sync wrote to is gone (deleted
 * since the IDs were found): an upsert naming the group is refused with `groups.N` invalid, or a
 * subscriber read back has no such field. Retrying the same writes will not help; the sync looks
 * them up again (and creates what is missing) and starts over.
 */
export class DestinationGoneError extends CampaignSyncError {}

/** A mirror sync's removals needed an approval that did not come within `approvalTimeout`. */
export class RemovalApprovalTimeoutError extends CampaignSyncError {}

/**
 * The worker process a full sync's list path runs on holds no index for it (it restarted, or let
 * it go): the workflow reads the destination again, on whichever worker it claims next.
 */
export class DestinationIndexLostError extends CampaignSyncError {
  constructor(readonly key: string) {
    super(`this worker holds no destination index for ${key}; the sync rebuilds it`);
  }
}

export const NON_RETRYABLE_ERROR_TYPES = [
  ProviderAuthError.name,
  ProviderPermissionError.name,
  ProviderRequestError.name,
  ProviderNotFoundError.name,
  InvalidInputError.name,
  CampaignNotFoundError.name,
  CampaignResourceConflictError.name,
  CampaignLockedError.name,
  CampaignProvisioningError.name,
  DestinationGoneError.name,
  DestinationIndexLostError.name,
] as const;

/** Whether an error, or one of its causes, is of the given type (an error's name, or a failure's `type`). */
export function hasCause(err: unknown, type: string): boolean {
  for (let current: unknown = err; current instanceof Error; current = current.cause) {
    if (current.name === type || (current as { type?: unknown }).type === type) return true;
  }
  return false;
}

/**
 * The innermost message of an error and its causes: what went wrong, under the layers a workflow
 * or activity failure wraps around it ("Activity task failed" around "EDD at ... could not be reached").
 */
export function innermostMessage(err: unknown): string {
  let message = err instanceof Error ? err.message : String(err);
  for (let current: unknown = err; current instanceof Error && current.cause;) {
    current = current.cause;
    if (current instanceof Error && current.message) message = current.message;
  }
  return message;
}
