import type { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { cliTypeName, registerCommand, SEARCH_ATTRIBUTES } from '../shared/search-attributes';

type IndexedValueType = temporal.api.enums.v1.IndexedValueType;
const { IndexedValueType } = temporal.api.enums.v1;

/** A search attribute as `defineSearchAttributeKey` gives it. */
export interface AttributeKey {
  name: string;
  type: SearchAttributeType;
}

/** gRPC status codes of a server that will not list search attributes to this caller. */
const PERMISSION_DENIED = 7;
const UNIMPLEMENTED = 12;

/** What the check needs of a connection: both the client's `Connection` and `NativeConnection` have it. */
export interface OperatorConnection {
  operatorService: {
    listSearchAttributes(request: {
      namespace: string;
    }): Promise<{ customAttributes?: Record<string, IndexedValueType> | null }>;
  };
}

export interface SearchAttributeMismatch {
  key: AttributeKey;
  /** The type the namespace has it registered with, as the CLI names it (`Text`). */
  registeredAs: string;
}

/**
 * The namespace lacks search attributes the workflows set, or has them with another type: the
 * server would refuse every workflow task that sets them (`BadSearchAttributes`) and the syncs would
 * hang, so the worker refuses to start. The message names each and the commands that fix it.
 */
export class SearchAttributesNotRegisteredError extends Error {
  constructor(
    readonly namespace: string,
    readonly missing: AttributeKey[],
    readonly mismatched: SearchAttributeMismatch[],
    address?: string,
  ) {
    const lines: string[] = [];
    const names = (keys: AttributeKey[]) => keys.map((k) => k.name).join(', ');
    if (missing.length > 0) {
      lines.push(
        `Temporal namespace '${namespace}' lacks the search attributes ${names(missing)}, which the workflows set: ` +
          `without them every workflow task fails with BadSearchAttributes and the syncs hang. ` +
          `Register them, then start the worker again:`,
        ...missing.map((key) => `  ${registerCommand(key, namespace, address)}`),
      );
    }
    if (mismatched.length > 0) {
      const flag = address ? ` --address ${address}` : '';
      lines.push(
        `Temporal namespace '${namespace}' has search attributes of the wrong type: ` +
          mismatched
            .map((m) => `${m.key.name} is ${m.registeredAs}, the workflows need ${cliTypeName(m.key.type)}`)
            .join('; ') +
          `. Remove and register them again (their values on existing runs are lost), then start the worker again:`,
        ...mismatched.flatMap((m) => [
          `  temporal operator search-attribute remove${flag} --namespace ${namespace} --name ${m.key.name} --yes`,
          `  ${registerCommand(m.key, namespace, address)}`,
        ]),
      );
    }
    super(lines.join('\n'));
    this.name = 'SearchAttributesNotRegisteredError';
  }
}

export type SearchAttributesCheck =
  | { outcome: 'ok' }
  /** The server would not list them (e.g. an API key without operator rights): not checked. */
  | { outcome: 'unchecked'; reason: string };

/**
 * Checks that every search attribute in {@link SEARCH_ATTRIBUTES} is registered in `namespace`
 * with its type. Throws {@link SearchAttributesNotRegisteredError} naming what is missing or of
 * the wrong type, with the commands that register them. A server that refuses to list them
 * (permission denied, not implemented) leaves them unchecked rather than stopping the worker.
 */
export async function checkSearchAttributes(
  connection: OperatorConnection,
  namespace: string,
  /** The server's address, put into the commands the error shows. */
  address?: string,
): Promise<SearchAttributesCheck> {
  let registered: Record<string, IndexedValueType>;
  try {
    const response = await connection.operatorService.listSearchAttributes({ namespace });
    registered = response.customAttributes ?? {};
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === PERMISSION_DENIED || code === UNIMPLEMENTED) {
      return { outcome: 'unchecked', reason: err instanceof Error ? err.message : String(err) };
    }
    throw err;
  }
  const missing: AttributeKey[] = [];
  const mismatched: SearchAttributeMismatch[] = [];
  for (const key of SEARCH_ATTRIBUTES) {
    const actual = registered[key.name];
    if (actual === undefined) missing.push(key);
    else if (actual !== IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]) {
      const name = IndexedValueType[actual] as string | undefined;
      mismatched.push({
        key,
        registeredAs: name ? cliTypeName(name.replace(/^INDEXED_VALUE_TYPE_/, '')) : `type ${actual}`,
      });
    }
  }
  if (missing.length > 0 || mismatched.length > 0) {
    throw new SearchAttributesNotRegisteredError(namespace, missing, mismatched, address);
  }
  return { outcome: 'ok' };
}
