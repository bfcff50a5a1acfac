import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';

export interface ClientSettings {
  address: string;
  namespace: string;
  /** With a payload codec when payload encryption is on (see `dataConverterFor`). */
  dataConverter?: DataConverter;
  /** Recorded by Temporal with the requests this client makes (cancellations, terminations). */
  identity?: string;
}

/** Largest gRPC answer the client accepts. */
const MAX_ANSWER_BYTES = 64 * 1024 * 1024;

/** Connects a Temporal client; the caller closes it with `client.connection.close()`. */
export async function connectClient(settings: ClientSettings): Promise<Client> {
  const connection = await Connection.connect({
    address: settings.address,
    // History pages carry whole pages of records (one payload can reach Temporal's 2 MB blob
    // limit); gRPC's default of 4 MB for an answer is too small for some of them.
    channelArgs: { 'grpc.max_receive_message_length': MAX_ANSWER_BYTES },
  });
  return new Client({
    connection,
    namespace: settings.namespace,
    ...(settings.identity ? { identity: settings.identity } : {}),
    ...(settings.dataConverter ? { dataConverter: settings.dataConverter } : {}),
  });
}
