import { formatSqlDateTime } from '../shared/dates';
import { DEFAULT_FIELDS, SUBSCRIBER_STATUSES } from './facts';
import type { FieldType, SubscriberStatus } from './facts';

export type FieldValue = string | number | null;

export interface Subscriber {
  id: string;
  /** Big numeric ID as a BigInt, for ordering (real IDs exceed 2^53). */
  seq: bigint;
  email: string;
  status: SubscriberStatus;
  source: string;
  ipAddress: string | null;
  subscribedAt: string | null;
  unsubscribedAt: string | null;
  createdAt: string;
  updatedAt: string;
  optedInAt: string | null;
  optinIp: string | null;
  /** Only fields that were ever set; serialisation fills the rest with null. */
  fields: Map<string, FieldValue>;
  groupIds: Set<string>;
}

export interface Group {
  id: string;
  seq: bigint;
  name: string;
  createdAt: string;
  memberIds: Set<string>;
  /** Members by status, kept up to date on every change so group objects are cheap to render. */
  counts: Record<SubscriberStatus, number>;
}

export interface Field {
  id: string;
  name: string;
  key: string;
  type: FieldType;
  isDefault: boolean;
}

/** One row of an import report's lists (`invalid`, `changed`, ...); `id` is null when no subscriber exists. */
export interface ImportEntry {
  id: string | null;
  email: string;
}

/** A finished group import, as `GET /api/subscribers/import/{id}` reports it. */
export interface ImportReport {
  id: string;
  seq: bigint;
  groupId: string;
  total: number;
  imported: number;
  updated: number;
  errored: number;
  invalid: ImportEntry[];
  changed: ImportEntry[];
  unchanged: ImportEntry[];
  unsubscribed: ImportEntry[];
  duplicate: ImportEntry[];
  /** Milliseconds since the epoch; the emulator finishes an import as soon as it is created. */
  finishedAt: number;
}

/** Subscriber and group IDs look like real ones: 18 digits, above 2^53, so clients must keep them as strings. */
const FIRST_ID = 170_000_000_000_000_001n;
/** Custom fields get small numeric IDs after the defaults, as in real accounts. */
const FIRST_CUSTOM_FIELD_ID = 900_001;

function emptyCounts(): Record<SubscriberStatus, number> {
  return Object.fromEntries(SUBSCRIBER_STATUSES.map((s) => [s, 0])) as Record<SubscriberStatus, number>;
}

/** The whole in-memory account. */
export class MailerLiteState {
  readonly subscribers = new Map<string, Subscriber>();
  /** Subscriber IDs in ascending order (IDs only grow), for cursor pagination. */
  private subscriberSeqs: bigint[] = [];
  private readonly subscriberIdByEmail = new Map<string, string>();
  readonly groups = new Map<string, Group>();
  /** Group imports by ID, in creation order. */
  readonly imports = new Map<string, ImportReport>();
  /** In ID order; subscribers' `fields` objects follow this order. */
  fields: Field[] = [];
  private nextSeq = FIRST_ID;
  private nextFieldId = FIRST_CUSTOM_FIELD_ID;

  constructor(private readonly now: () => number) {
    this.reset();
  }

  /** Empties the account; the default fields stay, as they do in a real account. */
  reset(): void {
    this.subscribers.clear();
    this.subscriberSeqs = [];
    this.subscriberIdByEmail.clear();
    this.groups.clear();
    this.imports.clear();
    this.fields = DEFAULT_FIELDS.map((f) => ({ ...f, type: 'text', isDefault: true }));
    this.nextSeq = FIRST_ID;
    this.nextFieldId = FIRST_CUSTOM_FIELD_ID;
  }

  timestamp(): string {
    return formatSqlDateTime(this.now());
  }

  /** The injected clock, in milliseconds. */
  nowMs(): number {
    return this.now();
  }

  private newSeq(): bigint {
    const seq = this.nextSeq;
    this.nextSeq += 1n;
    return seq;
  }

  // Subscribers

  subscriberByEmail(email: string): Subscriber | undefined {
    const id = this.subscriberIdByEmail.get(email.toLowerCase());
    return id === undefined ? undefined : this.subscribers.get(id);
  }

  /** By ID, or by email when the value contains `@` (as `GET /api/subscribers/{id_or_email}` does). */
  subscriberByIdOrEmail(idOrEmail: string): Subscriber | undefined {
    return idOrEmail.includes('@') ? this.subscriberByEmail(idOrEmail) : this.subscribers.get(idOrEmail);
  }

  createSubscriber(email: string, status: SubscriberStatus): Subscriber {
    const seq = this.newSeq();
    const now = this.timestamp();
    const subscriber: Subscriber = {
      id: seq.toString(),
      seq,
      // MailerLite stores emails lower-cased (cassette: "MNMnxYoVFs@email.com" came back lower-case).
      email: email.toLowerCase(),
      status,
      source: 'api',
      ipAddress: null,
      subscribedAt: now,
      unsubscribedAt: status === 'unsubscribed' ? now : null,
      createdAt: now,
      updatedAt: now,
      optedInAt: null,
      optinIp: null,
      fields: new Map(),
      groupIds: new Set(),
    };
    this.subscribers.set(subscriber.id, subscriber);
    this.subscriberSeqs.push(seq);
    this.subscriberIdByEmail.set(subscriber.email, subscriber.id);
    return subscriber;
  }

  setStatus(subscriber: Subscriber, status: SubscriberStatus): void {
    if (subscriber.status === status) return;
    for (const groupId of subscriber.groupIds) {
      const group = this.groups.get(groupId);
      if (!group) continue;
      group.counts[subscriber.status] -= 1;
      group.counts[status] += 1;
    }
    subscriber.status = status;
    if (status === 'unsubscribed') subscriber.unsubscribedAt = this.timestamp();
  }

  deleteSubscriber(subscriber: Subscriber): void {
    for (const groupId of [...subscriber.groupIds]) {
      const group = this.groups.get(groupId);
      if (group) this.leaveGroup(subscriber, group);
    }
    this.subscribers.delete(subscriber.id);
    this.subscriberIdByEmail.delete(subscriber.email);
    const index = this.indexOfSeq(subscriber.seq);
    if (this.subscriberSeqs[index] === subscriber.seq) this.subscriberSeqs.splice(index, 1);
  }

  /** Position of the first ID ≥ `seq` in the ascending ID list. */
  indexOfSeq(seq: bigint): number {
    let lo = 0;
    let hi = this.subscriberSeqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.subscriberSeqs[mid]! < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Subscriber IDs ascending; cursor pagination walks it from either end. */
  seqsAscending(): readonly bigint[] {
    return this.subscriberSeqs;
  }

  // Groups

  createGroup(name: string): Group {
    const seq = this.newSeq();
    const group: Group = {
      id: seq.toString(),
      seq,
      name,
      createdAt: this.timestamp(),
      memberIds: new Set(),
      counts: emptyCounts(),
    };
    this.groups.set(group.id, group);
    return group;
  }

  groupNamed(name: string): Group | undefined {
    const wanted = name.toLowerCase();
    for (const group of this.groups.values()) if (group.name.toLowerCase() === wanted) return group;
    return undefined;
  }

  joinGroup(subscriber: Subscriber, group: Group): void {
    if (group.memberIds.has(subscriber.id)) return;
    group.memberIds.add(subscriber.id);
    group.counts[subscriber.status] += 1;
    subscriber.groupIds.add(group.id);
  }

  leaveGroup(subscriber: Subscriber, group: Group): void {
    if (!group.memberIds.delete(subscriber.id)) return;
    group.counts[subscriber.status] -= 1;
    subscriber.groupIds.delete(group.id);
  }

  deleteGroup(group: Group): void {
    for (const id of group.memberIds) this.subscribers.get(id)?.groupIds.delete(group.id);
    this.groups.delete(group.id);
  }

  // Imports

  /** An empty, finished report with a fresh ID (from the same sequence as subscribers and groups). */
  createImport(groupId: string, total: number): ImportReport {
    const seq = this.newSeq();
    const report: ImportReport = {
      id: seq.toString(),
      seq,
      groupId,
      total,
      imported: 0,
      updated: 0,
      errored: 0,
      invalid: [],
      changed: [],
      unchanged: [],
      unsubscribed: [],
      duplicate: [],
      finishedAt: this.now(),
    };
    this.imports.set(report.id, report);
    return report;
  }

  // Fields

  fieldByKey(key: string): Field | undefined {
    return this.fields.find((f) => f.key === key);
  }

  createField(name: string, key: string, type: FieldType): Field {
    const field: Field = { id: String(this.nextFieldId++), name, key, type, isDefault: false };
    this.fields.push(field);
    return field;
  }

  deleteField(field: Field): void {
    this.fields = this.fields.filter((f) => f !== field);
    for (const subscriber of this.subscribers.values()) subscriber.fields.delete(field.key);
  }
}
