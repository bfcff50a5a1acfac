import { randomBytes } from 'node:crypto';
import type { DriverError, DriverFactory, DriverPage, MailerLiteDriver } from './contract-driver';
import { CreatedResources } from './created-resources';
import { paced } from './pacer';
import type { Pacer } from './pacer';

/** The server a contract run talks to. */
export interface ContractTarget {
  /** Server root without `/api`. */
  apiRoot: string;
  token: string;
  /** Domain of the emails the run invents. */
  emailDomain: string;
  /**
   * Most pages a list walk reads. A real account can hold far more subscribers than a run may
   * afford to read; the run's own subscribers are the newest, so they come first either way.
   */
  maxListPages: number;
  pace: Pacer;
  /** Passed to our client: how long it may wait out a 429 in place. */
  rateLimitMaxWaitMs: number;
}

export interface ContractContext {
  driver: MailerLiteDriver;
  /** The same client with a token the server does not know. */
  badTokenDriver: MailerLiteDriver;
  created: CreatedResources;
  target: ContractTarget;
  /** An email no other run (or test) uses. */
  email(label: string): string;
  /** A group name no other run (or test) uses. */
  groupName(label: string): string;
  /** A field name no other run uses, upper-case with `_` like the project's `<CAMPAIGN>_PURCHASE`. */
  fieldName(label: string): string;
}

/** One per process: runs against a shared account must never meet each other's data. */
const RUN_ID = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;

export function createContext(factory: DriverFactory, target: ContractTarget): ContractContext {
  const options = {
    apiRoot: target.apiRoot,
    token: target.token,
    rateLimitMaxWaitMs: target.rateLimitMaxWaitMs,
  };
  const prefix = `mlc-${RUN_ID}-${factory.tag}`;
  return {
    driver: paced(factory.create(options), target.pace, ['describeError']),
    badTokenDriver: paced(factory.create({ ...options, token: `${target.token}-not-valid` }), target.pace, [
      'describeError',
    ]),
    created: new CreatedResources(),
    target,
    email: (label) => `${prefix}-${label}@${target.emailDomain}`,
    groupName: (label) => `${prefix}-${label}`,
    fieldName: (label) => `${prefix}_${label}`.replace(/-/g, '_').toUpperCase(),
  };
}

/** What the call threw, as the driver classifies it; fails the test when the call succeeds. */
export async function failureOf(driver: MailerLiteDriver, call: Promise<unknown>): Promise<DriverError> {
  try {
    await call;
  } catch (error) {
    return driver.describeError(error);
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export interface Walk<T> {
  pages: T[][];
  /** False when `maxPages` stopped the walk before the last page. */
  complete: boolean;
}

/** Follows `nextCursor` from the first page until the last one (or `maxPages`). */
export async function walkPages<T>(
  fetchPage: (cursor: string | null) => Promise<DriverPage<T>>,
  maxPages: number,
): Promise<Walk<T>> {
  const pages: T[][] = [];
  let cursor: string | null = null;
  do {
    const page: DriverPage<T> = await fetchPage(cursor);
    pages.push(page.items);
    cursor = page.nextCursor;
  } while (cursor !== null && pages.length < maxPages);
  return { pages, complete: cursor === null };
}
