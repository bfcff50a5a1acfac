import { NativeConnection } from '@temporalio/worker';
import type { TemporalConnection } from '../config/temporal-connection';
import { temporalConnectError } from '../config/temporal-connect-error';
import { probeTemporal } from './probe';

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
    // The core's error depends on timing: a server that refuses a client without a certificate
    // (TLS 1.3 says so after the handshake) shows as "connection closed" or as its alert. A probe
    // of the address with Node's sockets finds out which setting is wrong.
    throw temporalConnectError(connection, err, await probeTemporal(connection).catch(() => undefined));
  }
}
