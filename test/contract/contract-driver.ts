/**
 * What the MailerLite contract needs from a client, and nothing more. Each driver adapts one client
 * (the official SDK, our MailerLiteClient) to it, so the same assertions judge both clients and,
 * through them, whichever server they talk to (the emulator or the real API).
 */

export const SUBSCRIBER_STATUSES = ['active', 'unsubscribed', 'unconfirmed', 'bounced', 'junk'] as const;
export type SubscriberStatus = (typeof SUBSCRIBER_STATUSES)[number];

/** A subscriber as a single-subscriber response shows it (those always carry groups). */
export interface DriverSubscriber {
  id: string;
  email: string;
  status: string;
  fields: Record<string, unknown>;
  /** IDs of the subscriber's groups. */
  groups: string[];
}

/** A subscriber as a list shows it: lists carry groups only on request, so the contract does not read them there. */
export interface ListedSubscriber {
  id: string;
  email: string;
  status: string;
}

export interface DriverPage<T> {
  items: T[];
  /** Null on the last page. */
  nextCursor: string | null;
}

export interface DriverGroup {
  id: string;
  name: string;
}

export interface DriverField {
  id: string;
  name: string;
  key: string;
  type: string;
}

export interface UpsertInput {
  email: string;
  fields?: Record<string, string | number | null>;
  groups?: string[];
  status?: SubscriberStatus;
}

export interface UpsertOutcome {
  id: string;
  /** True when the call created the subscriber; undefined when the client does not say. */
  created?: boolean;
  subscriber: DriverSubscriber;
}

export interface BatchItem {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Relative, starting with `api/` (documented). */
  path: string;
  body?: Record<string, unknown>;
}

export interface BatchOutcome {
  total: number;
  successful: number;
  failed: number;
  responses: { code: number; body: unknown }[];
}

/**
 * A failure as the contract judges it. Each driver decides from its client's own error shape
 * (typed classes, an axios response), so a client that loses the status or the field errors fails
 * the contract instead of passing it by accident.
 */
export interface DriverError {
  kind: 'auth' | 'validation' | 'not-found' | 'refused-by-client' | 'other';
  status?: number;
  message: string;
  /** Per-field messages of a 422 (`errors` in MailerLite's body). */
  fieldErrors: Record<string, string[]>;
  /** The class name of what was thrown, for failure messages. */
  thrown: string;
}

export interface MailerLiteDriver {
  upsertSubscriber(input: UpsertInput): Promise<UpsertOutcome>;
  /** By ID or email; undefined when MailerLite answers 404. */
  getSubscriber(idOrEmail: string): Promise<DriverSubscriber | undefined>;
  listSubscribers(opts: {
    status: SubscriberStatus;
    limit: number;
    cursor?: string | null;
  }): Promise<DriverPage<ListedSubscriber>>;
  updateSubscriber(
    id: string,
    data: { fields?: Record<string, string | number | null>; status?: SubscriberStatus },
  ): Promise<void>;
  deleteSubscriber(id: string): Promise<void>;
  createGroup(name: string): Promise<DriverGroup>;
  /** The first page of groups whose name contains `name` (MailerLite matches partially). */
  listGroups(name: string): Promise<DriverGroup[]>;
  /** The group named exactly `name`, or undefined. */
  findGroupByName(name: string): Promise<DriverGroup | undefined>;
  listGroupMembers(
    groupId: string,
    opts: { status: SubscriberStatus; limit: number; cursor?: string | null },
  ): Promise<DriverPage<ListedSubscriber>>;
  assignToGroup(subscriberId: string, groupId: string): Promise<void>;
  unassignFromGroup(subscriberId: string, groupId: string): Promise<void>;
  createField(name: string, type: 'text' | 'number' | 'date'): Promise<DriverField>;
  batch(requests: BatchItem[]): Promise<BatchOutcome>;
  /** Classifies anything this driver's calls threw. */
  describeError(error: unknown): DriverError;
}

/** Where a driver connects. */
export interface DriverOptions {
  /** Server root without `/api`, e.g. `https://connect.mailerlite.com` or the emulator's URL. */
  apiRoot: string;
  token: string;
  /** How long our client may wait out a 429's Retry-After in place; 0 = never. */
  rateLimitMaxWaitMs: number;
}

export interface DriverFactory {
  /** Shown in test names and used in the names of what the driver creates. */
  label: string;
  /** Short, lower-case, for emails and group names. */
  tag: string;
  create(options: DriverOptions): MailerLiteDriver;
}
