import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { TemporalConnection } from '../config/temporal-connection';
import { temporalConnectError } from '../config/temporal-connect-error';
import { probeTemporal } from './probe';

interface ClientExtras {
  /** With a payload codec when payload encryption is on (see `dataConverterFor`). */
  dataConverter?: DataConverter;
  /** Recorded by Temporal with the requests this client makes (cancellations, terminations). */
  identity?: string;
}

/**
 * Where to connect: `loadTemporalConnection(env)` (address, namespace, TLS, API key: what the CLI,
 * the worker and the main job use), or a plain address and namespace (a local server without TLS).
 */
export type ClientSettings = ClientExtras &
  ({ connection: TemporalConnection } | { address: string; namespace: string });

/** Largest gRPC answer the client accepts. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/**
 * Opens a client connection (`@temporalio/client`) to the server `connection` names, with its TLS
 * and credentials. Fails with a message that names the address and the setting to fix. The caller
 * closes it.
 */
export async function connectTemporal(connection: TemporalConnection): Promise<Connection> {
  try {
    return await Connection.connect({
      ...connection.connectionOptions(),
      // History pages carry whole pages of records (one payload can reach Temporal's 2 MB blob
      // limit); gRPC's default of 4 MB for an answer is too small for some of them.
      channelArgs: { 'grpc.max_receive_message_length': MAX_ANSWER_BYTES },
    });
  } catch (err) {
    // gRPC's client says only that the deadline passed: a probe of the address finds out why.
    throw temporalConnectError(connection, err, await probeTemporal(connection).catch(() => undefined));
  }
}

/** Connects a Temporal client; the caller closes it with `client.connection.close()`. */
export async function connectClient(settings: ClientSettings): Promise<Client> {
  const target =
    'connection' in settings
      ? settings.connection
      : TemporalConnection.plain(settings.address, settings.namespace);
  const connection = await connectTemporal(target);
  return new Client({
    connection,
    namespace: target.namespace,
    ...(settings.identity ? { identity: settings.identity } : {}),
    ...(settings.dataConverter ? { dataConverter: settings.dataConverter } : {}),
  });
}
