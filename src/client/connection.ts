import { Client, Connection } from '@temporalio/client';

export interface ClientSettings {
  address: string;
  namespace: string;
}

/** Connects a Temporal client; the caller closes it with `client.connection.close()`. */
export async function connectClient(settings: ClientSettings): Promise<Client> {
  const connection = await Connection.connect({ address: settings.address });
  return new Client({ connection, namespace: settings.namespace });
}
