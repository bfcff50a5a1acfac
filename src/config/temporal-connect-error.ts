import type { TemporalConnection } from './temporal-connection';

/**
 * Temporal could not be connected to, or refused the connection: the message names the server, how
 * it was connected to (TLS, a client certificate, an API key: never their values) and the setting
 * to fix. The SDK's own error is kept as `cause` and quoted in the message.
 */
export class TemporalConnectError extends Error {
  constructor(
    /** The server tried. */
    readonly address: string,
    readonly namespace: string,
    /** What the SDK said. */
    readonly reason: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TemporalConnectError';
  }
}

/** gRPC status codes. */
const UNAUTHENTICATED = 16;
const PERMISSION_DENIED = 7;

/**
 * A failed connect, as a {@link TemporalConnectError} whose message says what to fix. `diagnosis`:
 * what a probe of the address found (the client's gRPC reports only a deadline).
 */
export function temporalConnectError(
  connection: TemporalConnection,
  err: unknown,
  diagnosis?: string,
): Error {
  if (err instanceof TemporalConnectError) return err;
  const reason = diagnosis ? `${diagnosis} (${reasonOf(err)})` : reasonOf(err);
  const s = connection.summary;
  const advice = adviceFor(connection, err, reason);
  const message =
    `Could not connect to Temporal at ${connection.describe()}: ${reason}. ${advice}` +
    (connection.settings.defaultAddress
      ? ` (${s.address} is the default, used when TEMPORAL_ADDRESS is unset.)`
      : '');
  return new TemporalConnectError(s.address, s.namespace, reason, message, { cause: err });
}

function reasonOf(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e instanceof Error && parts.length < 4; e = e.cause) {
    const text = e.message.trim();
    if (text && !parts.some((p) => p.includes(text))) parts.push(text);
  }
  return (parts.join(': ') || String(err)).replace(/\s+/g, ' ');
}

function adviceFor(connection: TemporalConnection, err: unknown, reason: string): string {
  const s = connection.summary;
  const set = connection.settings;
  const code = (err as { code?: unknown }).code;
  const caSetting =
    set.serverCa ?? 'TEMPORAL_TLS_SERVER_CA_CERT_PATH (unset: the system trust store is used)';
  if (
    s.tls &&
    /certificate verify failed|unable to (get|verify)|self[- ]signed|UnknownIssuer|unknown ?issuer|invalid peer certificate|CERTIFICATE_VERIFY_FAILED|unknown authority/i.test(
      reason,
    )
  )
    return (
      `The server's certificate is not signed by the CA of ${caSetting}: set TEMPORAL_TLS_SERVER_CA_CERT_PATH ` +
      `to the CA certificate (PEM) that signed the server's certificate.`
    );
  if (s.tls && /NotValidForName|not valid for|does not match|hostname|altname|subject ?alt/i.test(reason))
    return (
      `The server's certificate is not issued for the host of the address: set TEMPORAL_TLS_SERVER_NAME to a ` +
      `name the certificate holds${s.serverName ? ` (now ${s.serverName})` : ''}, or TEMPORAL_ADDRESS to that name.`
    );
  if (
    s.tls &&
    /certificate required|bad certificate|CertificateRequired|handshake failure|alert|closed the connection after the TLS handshake/i.test(
      reason,
    )
  )
    return s.clientCertificate
      ? `The server refused the client certificate of ${set.clientCert}: use one signed by a CA the server trusts for clients.`
      : 'The server asks for a client certificate (mTLS): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH.';
  if (
    s.tls &&
    /wrong version number|packet length too long|http\/1|InvalidContentType|corrupt message/i.test(reason)
  )
    return 'The server does not speak TLS there: check TEMPORAL_ADDRESS, or set TEMPORAL_TLS=false for a server without TLS.';
  if (
    code === UNAUTHENTICATED ||
    code === PERMISSION_DENIED ||
    /unauthenticated|permission denied|unauthorized/i.test(reason)
  )
    return s.apiKey
      ? `The server refused the API key of ${set.apiKey ?? 'TEMPORAL_API_KEY'}: set it to a valid key with access to namespace ${s.namespace}.`
      : s.clientCertificate
        ? `The server refused the client certificate of ${set.clientCert}: use one it accepts for namespace ${s.namespace}.`
        : 'The server requires credentials: set TEMPORAL_API_KEY (Temporal Cloud), or TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (mTLS).';
  if (!s.tls && /speaks TLS/.test(reason))
    return (
      'The server uses TLS: set TEMPORAL_TLS=true, and TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed its ' +
      'certificate unless the system trusts it (and TEMPORAL_TLS_CLIENT_CERT_PATH/KEY_PATH if it asks for a client certificate).'
    );
  if (/ECONNREFUSED|Connection refused|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/i.test(reason))
    return 'Nothing answers there: check that the Temporal server runs and that TEMPORAL_ADDRESS (host:port) names it.';
  if (!s.tls)
    return (
      'Check that a Temporal server runs there and TEMPORAL_ADDRESS names it. A server with TLS (Temporal Cloud) ' +
      'needs TEMPORAL_TLS=true (or an API key, or a CA in TEMPORAL_TLS_SERVER_CA_CERT_PATH).'
    );
  return 'Check that a Temporal server runs there, that TEMPORAL_ADDRESS names it, and the TLS settings.';
}
