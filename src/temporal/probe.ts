import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { TemporalConnection } from '../config/temporal-connection';

/** How long the probe waits for each step: it runs after a connect already failed. */
const PROBE_TIMEOUT_MS = 3000;

/** HTTP/2's client preface and an empty SETTINGS frame: a gRPC server answers with its own SETTINGS. */
const H2_PREFACE = Buffer.concat([
  Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'),
  Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
]);

/**
 * Why the client could not connect, found out with Node's own sockets: gRPC's client reports only
 * "Failed to connect before the deadline", which names no cause. Tries the address (TCP), then the
 * TLS handshake with the connection's CA, client certificate and server name, and says what went
 * wrong (refused, an untrusted certificate, a name mismatch, a client certificate the server asks
 * for, a server that speaks TLS to a client without it). Undefined when the probe finds nothing wrong.
 */
export async function probeTemporal(connection: TemporalConnection): Promise<string | undefined> {
  const [host, portText] = splitAddress(connection.address);
  const port = Number(portText);
  if (!host || !Number.isInteger(port)) return undefined;
  const { tls } = connection.connectionOptions();
  if (!tls) {
    const tcp = await attempt(() => netConnect({ host, port }), 'connect', false);
    if (tcp) return tcp;
    // The TCP port answers: does it want TLS? A handshake that does not verify anything tells.
    const speaksTls =
      (await attempt(
        () => tlsConnect({ host, port, rejectUnauthorized: false, ALPNProtocols: ['h2'] }),
        'secureConnect',
        false,
      )) === undefined;
    return speaksTls ? 'the server speaks TLS, and this client connected without it' : undefined;
  }
  const servername = tls.serverNameOverride ?? (isIP(host) ? undefined : host);
  const options: ConnectionOptions = {
    host,
    port,
    ALPNProtocols: ['h2'],
    ...(servername ? { servername } : {}),
    ...(tls.serverRootCACertificate ? { ca: Buffer.from(tls.serverRootCACertificate) } : {}),
    ...(tls.clientCertPair
      ? { cert: Buffer.from(tls.clientCertPair.crt), key: Buffer.from(tls.clientCertPair.key) }
      : {}),
  };
  // A server that refuses the client certificate says so after the handshake (TLS 1.3): the probe
  // speaks HTTP/2 and waits for the server's first answer.
  return attempt(() => tlsConnect(options), 'secureConnect', true);
}

function splitAddress(address: string): [string | undefined, string | undefined] {
  const bracketed = /^\[(.+)\]:(\d+)$/.exec(address);
  if (bracketed) return [bracketed[1], bracketed[2]];
  const at = address.lastIndexOf(':');
  return at < 0 ? [address, undefined] : [address.slice(0, at), address.slice(at + 1)];
}

/** Opens a socket; undefined once it is up (and, with `answer`, the server said something), else the reason. */
function attempt(open: () => Socket, ready: string, answer: boolean): Promise<string | undefined> {
  return new Promise((resolve) => {
    let socket: Socket;
    const done = (reason: string | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reason);
    };
    const timer = setTimeout(() => done(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`), PROBE_TIMEOUT_MS);
    try {
      socket = open();
    } catch (err) {
      clearTimeout(timer);
      resolve((err as Error).message);
      return;
    }
    socket.once('error', (err: NodeJS.ErrnoException) => done(tidy(err.message || err.code || String(err))));
    socket.once(ready, () => {
      if (!answer) return done(undefined);
      socket.write(H2_PREFACE);
      socket.once('data', () => done(undefined));
      socket.once('close', () => done('the server closed the connection after the TLS handshake'));
    });
  });
}

/** OpenSSL's `<hex>:error:...:SSL routines:ssl3_read_bytes:tlsv13 alert certificate required:<file>:...` as `TLS alert: certificate required`. */
function tidy(message: string): string {
  const alert = /alert ([a-z ]+?)(?::|$)/.exec(message);
  if (/SSL routines/.test(message) && alert)
    return `the server ended the TLS handshake with the alert "${alert[1]}"`;
  return message.replace(/\s+/g, ' ').trim();
}
