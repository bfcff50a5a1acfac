import type { ProviderName } from '../shared/errors';

/**
 * The provider contract of BEMA CRM's `Provider_Interface` (seed 001), in TypeScript. EDD is a
 * read-only source here, so it implements the reading half; MailerLite implements all of it.
 */

/** A subscriber as every provider reports it. */
export interface ContractSubscriber {
  id: string;
  email: string;
  status: string;
  /** IDs of the groups the subscriber is in (empty where the provider has no groups). */
  groups: string[];
  fields: Record<string, unknown>;
}

/** One page of a list; pass `nextCursor` back to get the next one (null on the last page). */
export interface ContractPage<T> {
  items: T[];
  nextCursor: string | null;
}

export interface SubscriberSource {
  readonly provider: ProviderName;
  /** Resolves when the provider answers with the configured credentials; throws a typed error otherwise. */
  validateConnection(): Promise<void>;
  /**
   * One page of subscribers with a status. The cursor is opaque and fits in an activity's
   * heartbeat, so a long read resumes where it stopped.
   */
  getSubscribers(opts: {
    status?: string;
    cursor?: string | null;
    limit?: number;
  }): Promise<ContractPage<ContractSubscriber>>;
}

export interface SubscriberDestination extends SubscriberSource {
  /** Creates or updates by email; returns the subscriber's ID. */
  addOrUpdateSubscriber(data: {
    email: string;
    fields?: Record<string, string | number | null>;
    groups?: string[];
    status?: string;
  }): Promise<string>;
  updateSubscriber(
    id: string,
    data: { fields?: Record<string, string | number | null>; status?: string },
  ): Promise<void>;
  addSubscriberToGroup(subscriberId: string, groupId: string): Promise<void>;
  removeSubscriberFromGroup(subscriberId: string, groupId: string): Promise<void>;
  getGroups(): Promise<{ id: string; name: string }[]>;
}
