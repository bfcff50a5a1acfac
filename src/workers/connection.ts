import { NativeConnection } from '@temporalio/worker';
import type { TemporalConnection } from '../config/temporal-connection';
import { temporalConnectError } from '../config/temporal-connect-error';

/**
 * The worker's connection (`NativeConnection`, the SDK's Rust core) to the server `connection`
 * names, with its TLS and credentials: the same settings as the CLI's client
 * (`loadTemporalConnection`). Fails with a message that names the address and the setting to fix.
 * The caller closes it.
 */
export async function connectWorker(connection: TemporalConnection): Promise<NativeConnection> {
  try {
    return await NativeConnection.connect(connection.connectionOptions());
  } catch (err) {
    throw temporalConnectError(connection, err);
  }
}
