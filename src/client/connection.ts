import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';

export interface ClientSettings {
  address: string;
  namespace: string;
  /** With a payload codec when payload encryption is on (see `dataConverterFor`). */
  dataConverter?: DataConverter;
}

/** Connects a Temporal client; the caller closes it with `client.connection.close()`. */
export async function connectClient(settings: ClientSettings): Promise<Client> {
  const connection = await Connection.connect({ address: settings.address });
  return new Client({
    connection,
    namespace: settings.namespace,
    ...(settings.dataConverter ? { dataConverter: settings.dataConverter } : {}),
  });
}
