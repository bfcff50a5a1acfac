import { existsSync, readFileSync } from 'node:fs';
import { platform } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { inspect } from 'node:util';
import type { TLSConfig } from '@temporalio/common/lib/internal-non-workflow';
import {
  loadClientConfig,
  loadClientConfigProfile,
  toClientOptions,
  type ClientConfigProfile,
  type ConfigDataSource,
} from '@temporalio/envconfig';
import { ConfigError } from './errors';

/** Used when neither the environment nor a profile names a server. */
export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';
export const DEFAULT_TEMPORAL_NAMESPACE = 'default';

/**
 * The variables of Temporal's environment configuration (`@temporalio/envconfig`, shared with the
 * `temporal` CLI and the other SDKs) that this project reads. `TEMPORAL_GRPC_META_<NAME>` adds a
 * gRPC header too.
 */
export const TEMPORAL_CONNECTION_VARIABLES = [
  'TEMPORAL_ADDRESS',
  'TEMPORAL_NAMESPACE',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS',
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'TEMPORAL_TLS_CLIENT_CERT_DATA',
  'TEMPORAL_TLS_CLIENT_KEY_PATH',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'TEMPORAL_TLS_SERVER_CA_CERT_DATA',
  'TEMPORAL_TLS_SERVER_NAME',
  'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
  'TEMPORAL_PROFILE',
  'TEMPORAL_CONFIG_FILE',
] as const;

/** The three PEM artefacts of a TLS setting, as the config file names them (`tls.<field>_path`). */
type TlsFile = 'client_cert' | 'client_key' | 'server_ca_cert';
const TLS_FILE_ROLE: Record<TlsFile, string> = {
  client_cert: 'the client certificate (mTLS)',
  client_key: "the client certificate's private key (mTLS)",
  server_ca_cert: "the CA certificate that signed the server's certificate",
};
const TLS_FILE_SOURCE: Record<TlsFile, 'clientCert' | 'clientKey' | 'serverCACert'> = {
  client_cert: 'clientCert',
  client_key: 'clientKey',
  server_ca_cert: 'serverCACert',
};

/** What a connection is, safe to log and print: no API key, no key material, no header values. */
export interface TemporalConnectionSummary {
  address: string;
  namespace: string;
  /** TLS on (a server certificate is verified) or off (plain gRPC, a local server). */
  tls: boolean;
  /** A client certificate is presented (mTLS). */
  clientCertificate: boolean;
  /** Where the CA that verifies the server comes from: the setting that names it, or the system's trust store. */
  serverCa?: string;
  /** The name the server's certificate is checked against, when not the address's host. */
  serverName?: string;
  /** An API key is sent (its value never is shown). */
  apiKey: boolean;
  /** Names of extra gRPC headers (`TEMPORAL_GRPC_META_*`, `grpc_meta`), without their values. */
  grpcMetadata?: string[];
  /** The config file's profile in use, when a config file was read. */
  profile?: string;
  configFile?: string;
}

/**
 * Where a worker, the CLI and the main job connect to Temporal and how: address, namespace, TLS and
 * credentials, as {@link loadTemporalConnection} reads them. Holds secrets (the API key, a client
 * key): it serialises (JSON, pino, `util.inspect`) as its {@link summary} only, and must never
 * travel in workflow inputs.
 */
export class TemporalConnection {
  /** A private field: a spread, `JSON.stringify` or a careless log of this object cannot copy it. */
  readonly #secrets: { tls?: TLSConfig; apiKey?: string; metadata?: Record<string, string> };
  readonly summary: TemporalConnectionSummary;
  /** Settings named in messages: which variable or profile key gave the CA, the client certificate. */
  readonly settings: {
    serverCa?: string;
    clientCert?: string;
    clientKey?: string;
    apiKey?: string;
    /** True when nothing named a server and the default localhost:7233 is used. */
    defaultAddress?: boolean;
  };

  constructor(
    readonly address: string,
    readonly namespace: string,
    opts: {
      tls?: TLSConfig;
      apiKey?: string;
      metadata?: Record<string, string>;
      summary?: Partial<TemporalConnectionSummary>;
      settings?: TemporalConnection['settings'];
    } = {},
  ) {
    this.#secrets = { tls: opts.tls, apiKey: opts.apiKey, metadata: opts.metadata };
    this.settings = opts.settings ?? {};
    this.summary = {
      address,
      namespace,
      tls: opts.tls !== undefined,
      clientCertificate: opts.tls?.clientCertPair !== undefined,
      apiKey: opts.apiKey !== undefined,
      ...opts.summary,
    };
  }

  /** A local server without TLS or credentials (the dev server, tests). */
  static plain(address: string, namespace: string = DEFAULT_TEMPORAL_NAMESPACE): TemporalConnection {
    return new TemporalConnection(address, namespace);
  }

  /**
   * What `Connection.connect` (`@temporalio/client`) and `NativeConnection.connect`
   * (`@temporalio/worker`) take: address, TLS, API key, gRPC headers. Secrets: never log this.
   */
  connectionOptions(): {
    address: string;
    tls?: TLSConfig;
    apiKey?: string;
    metadata?: Record<string, string>;
  } {
    const { tls, apiKey, metadata } = this.#secrets;
    return {
      address: this.address,
      ...(tls ? { tls } : {}),
      ...(apiKey !== undefined ? { apiKey } : {}),
      ...(metadata && Object.keys(metadata).length > 0 ? { metadata } : {}),
    };
  }

  /** `host:port (namespace ns, TLS with a client certificate, API key)`, for messages and logs. */
  describe(): string {
    const s = this.summary;
    const tls = !s.tls
      ? 'TLS off'
      : `TLS${s.clientCertificate ? ' with a client certificate' : ''}${s.serverCa ? `, CA from ${s.serverCa}` : ''}`;
    const profile = s.configFile ? `, profile '${s.profile ?? 'default'}' of ${s.configFile}` : '';
    return `${s.address} (namespace ${s.namespace}, ${tls}${s.apiKey ? ', API key' : ''}${profile})`;
  }

  toJSON(): TemporalConnectionSummary {
    return this.summary;
  }

  [inspect.custom](): string {
    return `TemporalConnection ${this.describe()}`;
  }
}

/**
 * Reads where and how to connect to Temporal, the one way the worker, the CLI and the main job do:
 * through `@temporalio/envconfig`, so the variables and the TOML config file are those of the
 * `temporal` CLI and every Temporal SDK. The profile `TEMPORAL_PROFILE` (default `default`) of the
 * file `TEMPORAL_CONFIG_FILE` (default `~/.config/temporalio/temporal.toml`, when it exists) is read
 * first, then the environment overrides it: `TEMPORAL_ADDRESS` (default localhost:7233),
 * `TEMPORAL_NAMESPACE` (default `default`), `TEMPORAL_API_KEY` (turns TLS on), `TEMPORAL_TLS`,
 * `TEMPORAL_TLS_CLIENT_CERT_PATH`/`_DATA` and `TEMPORAL_TLS_CLIENT_KEY_PATH`/`_DATA` (mTLS),
 * `TEMPORAL_TLS_SERVER_CA_CERT_PATH`/`_DATA`, `TEMPORAL_TLS_SERVER_NAME`, `TEMPORAL_GRPC_META_*`.
 *
 * Reads the certificate files. Throws {@link ConfigError} naming the variable (or the profile's
 * key) to fix: a file that is missing or not PEM (with its path), a certificate without its key,
 * an unknown profile, a config file that is not TOML. Never puts a secret in a message.
 */
export function loadTemporalConnection(env: NodeJS.ProcessEnv = process.env): TemporalConnection {
  const resolved = resolveProfile(env);
  const { profile, vars } = resolved;
  const problems: string[] = [];
  const settingOf = (field: TlsFile, source: ConfigDataSource | undefined) =>
    source ? tlsSettingName(resolved, field, 'path' in source ? 'path' : 'data') : undefined;

  if (
    vars.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION === 'true' ||
    vars.TEMPORAL_TLS_DISABLE_HOST_VERIFICATION === '1'
  ) {
    problems.push(
      'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: not supported by the TypeScript SDK (it always verifies the server). ' +
        "Unset it; set TEMPORAL_TLS_SERVER_CA_CERT_PATH to the CA that signed the server's certificate, and " +
        'TEMPORAL_TLS_SERVER_NAME to the name in it when that is not the host of TEMPORAL_ADDRESS.',
    );
  }
  const tls = profile.tls;
  const tlsOn = tls !== undefined && profile.tls?.disabled !== true;
  if (tlsOn) {
    for (const field of Object.keys(TLS_FILE_SOURCE) as TlsFile[]) {
      const source = tls[TLS_FILE_SOURCE[field]];
      if (!source) continue;
      const problem = pemProblem(source, field === 'client_key' ? 'PRIVATE KEY' : 'CERTIFICATE');
      if (problem)
        problems.push(`${settingOf(field, source)}: ${problem}; it should hold ${TLS_FILE_ROLE[field]}.`);
    }
    if (tls.clientCert && !tls.clientKey)
      problems.push(
        `${settingOf('client_cert', tls.clientCert)} is set but no key is: set TEMPORAL_TLS_CLIENT_KEY_PATH to the client certificate's private key (or unset both).`,
      );
    if (tls.clientKey && !tls.clientCert)
      problems.push(
        `${settingOf('client_key', tls.clientKey)} is set but no certificate is: set TEMPORAL_TLS_CLIENT_CERT_PATH to the client certificate (or unset both).`,
      );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  let options: ReturnType<typeof toClientOptions>;
  try {
    options = toClientOptions(profile);
  } catch (err) {
    throw new ConfigError([`Temporal TLS settings: ${(err as Error).message}`]);
  }
  const tlsConfig = options.connectionOptions.tls;
  const address = options.connectionOptions.address?.trim() || DEFAULT_TEMPORAL_ADDRESS;
  const namespace = options.namespace?.trim() || DEFAULT_TEMPORAL_NAMESPACE;
  const metadata = options.connectionOptions.metadata as Record<string, string> | undefined;
  return new TemporalConnection(address, namespace, {
    ...(tlsConfig ? { tls: tlsConfig === true ? {} : tlsConfig } : {}),
    ...(profile.apiKey ? { apiKey: profile.apiKey } : {}),
    ...(metadata ? { metadata } : {}),
    summary: {
      ...(tlsOn && tls?.serverCACert ? { serverCa: settingOf('server_ca_cert', tls.serverCACert)! } : {}),
      ...(tlsConfig && !tls?.serverCACert ? { serverCa: "the system's trust store" } : {}),
      ...(profile.tls?.serverName ? { serverName: profile.tls.serverName } : {}),
      ...(metadata && Object.keys(metadata).length > 0 ? { grpcMetadata: Object.keys(metadata).sort() } : {}),
      ...(resolved.file ? { configFile: resolved.file, profile: resolved.name ?? 'default' } : {}),
    },
    settings: {
      ...(options.connectionOptions.address?.trim() ? {} : { defaultAddress: true }),
      ...(tlsOn && tls?.serverCACert ? { serverCa: settingOf('server_ca_cert', tls.serverCACert)! } : {}),
      ...(tlsOn && tls?.clientCert ? { clientCert: settingOf('client_cert', tls.clientCert)! } : {}),
      ...(tlsOn && tls?.clientKey ? { clientKey: settingOf('client_key', tls.clientKey)! } : {}),
      ...(profile.apiKey
        ? { apiKey: vars.TEMPORAL_API_KEY ? 'TEMPORAL_API_KEY' : profileKey(resolved, 'api_key') }
        : {}),
    },
  });
}

/**
 * The Temporal address and namespace the configuration gives (environment over config file
 * profile), without reading certificate files: what `loadConfig` puts in `TEMPORAL_ADDRESS` and
 * `TEMPORAL_NAMESPACE`. Address undefined when neither names one.
 */
export function temporalTarget(env: NodeJS.ProcessEnv): { address?: string; namespace?: string } {
  const { profile } = resolveProfile(env);
  return {
    ...(profile.address?.trim() ? { address: profile.address.trim() } : {}),
    ...(profile.namespace?.trim() ? { namespace: profile.namespace.trim() } : {}),
  };
}

interface ResolvedProfile {
  profile: ClientConfigProfile;
  /** The environment as envconfig saw it (blank values of our variables dropped). */
  vars: Record<string, string>;
  /** The config file read, if any. */
  file?: string;
  /** The profile asked for (TEMPORAL_PROFILE), if any. */
  name?: string;
}

function resolveProfile(env: NodeJS.ProcessEnv): ResolvedProfile {
  // Blank means unset here, as for every other variable of the project (envconfig would take
  // TEMPORAL_ADDRESS='' as an address).
  const known = new Set<string>(TEMPORAL_CONNECTION_VARIABLES);
  const vars: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (known.has(name) && value.trim() === '') continue;
    vars[name] = known.has(name) && !name.endsWith('_DATA') ? value.trim() : value;
  }
  const explicitFile = vars.TEMPORAL_CONFIG_FILE;
  if (explicitFile && !existsSync(explicitFile)) {
    throw new ConfigError([
      `TEMPORAL_CONFIG_FILE=${explicitFile}: no such file. Set it to a Temporal client config file (TOML with [profile.<name>] tables), or unset it.`,
    ]);
  }
  const file = explicitFile ?? existing(defaultConfigFile(vars));
  const name = vars.TEMPORAL_PROFILE;
  const fileSetting = explicitFile ? `TEMPORAL_CONFIG_FILE=${explicitFile}` : (file ?? '');
  try {
    return { profile: loadClientConfigProfile({ overrideEnvVars: vars }), vars, file, name };
  } catch (err) {
    const message = (err as Error).message;
    if (/^Profile '.*' not found/.test(message)) {
      let known: string[] = [];
      try {
        known = file ? Object.keys(loadClientConfig({ overrideEnvVars: vars }).profiles) : [];
      } catch {
        // The message below stands without the list.
      }
      throw new ConfigError([
        `TEMPORAL_PROFILE=${name}: ` +
          (file
            ? `${file} has no [profile.${name}]${known.length > 0 ? ` (it has ${known.map((k) => `'${k}'`).join(', ')})` : ''}. Set TEMPORAL_PROFILE to one of its profiles, or unset it.`
            : `no Temporal config file was found (${defaultConfigFile(vars) ?? 'no default path'}). Set TEMPORAL_CONFIG_FILE to the file that has [profile.${name}], or unset TEMPORAL_PROFILE.`),
      ]);
    }
    if (/Cannot specify both/.test(message)) {
      throw new ConfigError([
        `Temporal TLS settings: ${message} (in ${fileSetting || 'the environment'}, or TEMPORAL_TLS_*_PATH and TEMPORAL_TLS_*_DATA together): give each as a path or as data, not both.`,
      ]);
    }
    throw new ConfigError([
      `${fileSetting || 'Temporal config file'}: not a valid Temporal client config file (${message}).`,
    ]);
  }
}

/** The variable, or the config file key, that gave a TLS file: what a message tells a person to fix. */
function tlsSettingName(resolved: ResolvedProfile, field: TlsFile, kind: 'path' | 'data'): string {
  const variable = `TEMPORAL_TLS_${field.toUpperCase()}_${kind.toUpperCase()}`;
  if (resolved.vars[variable] !== undefined)
    return kind === 'path' ? `${variable}=${resolved.vars[variable]}` : variable;
  const source = resolved.profile.tls?.[TLS_FILE_SOURCE[field]];
  const path = source && 'path' in source ? ` = "${source.path}"` : '';
  return `${profileKey(resolved, `tls.${field}_${kind}`)}${path}`;
}

function profileKey(resolved: ResolvedProfile, key: string): string {
  return `${key} of [profile.${resolved.name ?? 'default'}] in ${resolved.file ?? 'the Temporal config file'}`;
}

/** Why a PEM source cannot be used (missing, unreadable, not PEM), or undefined when it can. */
function pemProblem(source: ConfigDataSource, kind: 'CERTIFICATE' | 'PRIVATE KEY'): string | undefined {
  let text: string;
  if ('path' in source) {
    if (!existsSync(source.path)) return 'no such file';
    try {
      text = readFileSync(source.path, 'utf8');
    } catch (err) {
      return `cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`;
    }
  } else {
    text = typeof source.data === 'string' ? source.data : Buffer.from(source.data).toString('utf8');
  }
  // Checked by its armour only: the content (a key) is never echoed.
  const pattern =
    kind === 'CERTIFICATE' ? /-----BEGIN CERTIFICATE-----/ : /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
  if (!pattern.test(text))
    return `not a PEM ${kind === 'CERTIFICATE' ? 'certificate' : 'private key'} (no "-----BEGIN ${kind}-----" line)`;
  return undefined;
}

/** Where envconfig looks for its file when TEMPORAL_CONFIG_FILE is unset (as `@temporalio/envconfig` does). */
function defaultConfigFile(vars: Record<string, string>): string | undefined {
  const os = platform();
  let dir: string | undefined;
  if (os === 'win32') dir = vars.APPDATA;
  else if (os === 'darwin') dir = vars.HOME ? join(vars.HOME, 'Library', 'Application Support') : undefined;
  else if (vars.XDG_CONFIG_HOME) dir = isAbsolute(vars.XDG_CONFIG_HOME) ? vars.XDG_CONFIG_HOME : undefined;
  else dir = vars.HOME ? join(vars.HOME, '.config') : undefined;
  return dir ? join(dir, 'temporalio', 'temporal.toml') : undefined;
}

function existing(path: string | undefined): string | undefined {
  return path && existsSync(path) ? path : undefined;
}
