import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { DataConverter } from '@temporalio/common';
import { AesGcmPayloadCodec, parseCodecKeys } from '../codec/aes-gcm-codec';
import { DEFAULT_TASK_QUEUE } from '../shared/names';
import { ConfigError } from './errors';
import { HEALTH_ENV, healthSettingsFrom } from './health';
import { temporalTarget } from './temporal-connection';

export { ConfigError } from './errors';
export {
  DEFAULT_TEMPORAL_ADDRESS,
  DEFAULT_TEMPORAL_NAMESPACE,
  loadTemporalConnection,
  TemporalConnection,
  TEMPORAL_CONNECTION_VARIABLES,
  type TemporalConnectionSummary,
} from './temporal-connection';

/** `'true'|'false'` (and `1|0`), parsed explicitly: `Boolean('false')` is true. */
const booleanString = z
  .enum(['true', 'false', '1', '0'], { error: "must be 'true' or 'false'" })
  .transform((v) => v === 'true' || v === '1');

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/**
 * Every environment variable the worker, the client and the main job read, with its default.
 * Documented in docs/configuration.md ("Environment variables"); keep the two in step.
 */
export const EnvSchema = z.object({
  /**
   * host:port of a running Temporal frontend. Unset (and no config file profile names one): the
   * main job starts a local dev server; the worker and the CLI use localhost:7233.
   * The TEMPORAL_* connection variables are Temporal's own environment configuration
   * (`@temporalio/envconfig`), read by `loadTemporalConnection` (./temporal-connection.ts); they
   * are listed here to be checked and shown by `config check`.
   */
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().trim().min(1).default('default'),
  /** Temporal Cloud API key: sent as a bearer token, and turns TLS on. */
  TEMPORAL_API_KEY: optionalString,
  /** TLS on or off explicitly; on when any TLS setting or an API key is given. */
  TEMPORAL_TLS: optionalString.pipe(booleanString.optional()),
  /** mTLS: the client certificate and its private key (PEM), as files or as the PEM text itself. */
  TEMPORAL_TLS_CLIENT_CERT_PATH: optionalString,
  TEMPORAL_TLS_CLIENT_CERT_DATA: optionalString,
  TEMPORAL_TLS_CLIENT_KEY_PATH: optionalString,
  TEMPORAL_TLS_CLIENT_KEY_DATA: optionalString,
  /** The CA that signed the server's certificate (PEM); unset: the system's trust store (Temporal Cloud). */
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: optionalString,
  TEMPORAL_TLS_SERVER_CA_CERT_DATA: optionalString,
  /** The name the server's certificate is checked against, when not the address's host. */
  TEMPORAL_TLS_SERVER_NAME: optionalString,
  /** Profile of the Temporal config file to use (default `default`). */
  TEMPORAL_PROFILE: optionalString,
  /** Temporal's TOML client config file. Default: ~/.config/temporalio/temporal.toml when it exists. */
  TEMPORAL_CONFIG_FILE: optionalString,
  /**
   * The workers' task queue. No spaces or control characters: a name with a stray space or newline
   * starts syncs no worker polls (and they hold the campaign's lock).
   */
  TEMPORAL_TASK_QUEUE: z
    .string()
    .regex(/^[^\s\p{Cc}\p{Cf}]{1,200}$/u, 'must be a task queue name: no spaces or control characters')
    .default(DEFAULT_TASK_QUEUE),
  /** Temporal Web UI base URL, for links printed by the CLI. Default: derived from the address (port + 1000). */
  TEMPORAL_UI_URL: optionalString.pipe(z.url().optional()),
  /** Path to a `temporal` CLI binary (used to start a dev server). */
  TEMPORAL_CLI_PATH: optionalString,
  /** Folder for the main job's data (the dev server's SQLite file, logs). */
  CAMPAIGN_SYNC_DATA_DIR: z.string().trim().min(1).default('.campaign-sync'),

  /** EDD site base URL, e.g. https://shop.example.com (the client appends /edd-api/v2/...). */
  EDD_BASE_URL: optionalString.pipe(z.url().optional()),
  EDD_PUBLIC_KEY: optionalString,
  /** EDD token = md5(secret key + public key). Give either the token or the secret key. */
  EDD_TOKEN: optionalString,
  EDD_SECRET_KEY: optionalString,
  /**
   * How a sync finds the customers of its orders: `each` looks every one up (one request a
   * customer), `list` reads the store's whole customer list (one request per 1,000 customers) and
   * keeps it for 10 minutes, `auto` looks up one by one until a worker has needed 200 customers,
   * then reads the list.
   */
  EDD_CUSTOMER_LOOKUP: z.enum(['auto', 'list', 'each']).default('auto'),
  /** The store's sequential order number prefix and postfix (EDD: Payments > General), if any. */
  EDD_ORDER_NUMBER_PREFIX: z.string().default(''),
  EDD_ORDER_NUMBER_POSTFIX: z.string().default(''),

  MAILERLITE_BASE_URL: z.url().default('https://connect.mailerlite.com/api'),
  MAILERLITE_API_TOKEN: optionalString,
  /**
   * Subscribers asked for per request of MailerLite's cursor lists (a group's members: mirror
   * scans, transitions). MailerLite documents no maximum; when it refuses a size (422 on `limit`)
   * the worker steps down to 100 once and keeps that for the process, logging it. `npm run
   * contract:real` reports the largest size the account accepts.
   */
  MAILERLITE_LIST_LIMIT: z.coerce.number().int().min(1).max(10_000).default(1000),
  /**
   * Groups the MailerLite account may hold (MailerLite's limit is 1,000; older documents say 250).
   * `campaign create` says how many are left and refuses up front a campaign whose groups don't fit.
   */
  MAILERLITE_MAX_GROUPS: z.coerce.number().int().min(1).max(100_000).default(1000),

  /** Per-request timeout for provider HTTP calls, in milliseconds. */
  HTTP_TIMEOUT_MS: z.coerce.number().int().min(100).max(300_000).default(30_000),
  /**
   * MailerLite API requests a minute for all syncs and all workers together (the account allows
   * 120; the default leaves 10 for connection checks and provisioning). Enforced by the Temporal
   * server as the rate limit of the MailerLite task queue. 0 = no limit (emulators without one).
   */
  MAILERLITE_REQUESTS_PER_MINUTE: z.coerce.number().min(0).max(100_000).default(118),
  /**
   * Longest Retry-After a provider client waits out in place (then tries once more); a longer one
   * fails the activity attempt, whose retry Temporal delays by the Retry-After. Waiting in place
   * keeps a multi-request activity's progress; 10 s stays well inside every activity timeout.
   */
  RATE_LIMIT_MAX_WAIT_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),

  /**
   * Turns on payload encryption (AES-256-GCM) in the worker and the client: comma-separated
   * `id:base64key` pairs of 32-byte keys (`openssl rand -base64 32`). The first encrypts unless
   * PAYLOAD_ENCRYPTION_KEY_ID names another; all decrypt (keep old keys listed after a rotation).
   */
  PAYLOAD_ENCRYPTION_KEYS: optionalString.pipe(
    z
      .string()
      .optional()
      .superRefine((spec, ctx) => {
        if (spec === undefined) return;
        try {
          parseCodecKeys(spec);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      }),
  ),
  PAYLOAD_ENCRYPTION_KEY_ID: optionalString,
  /** Bearer token the codec server asks of callers (the Temporal UI sends it); unset = no check. */
  CODEC_SERVER_TOKEN: optionalString,
  /**
   * A workflow bundle built ahead (`npm run build:bundle`), loaded instead of bundling the workflow
   * code at start: what the worker image does.
   */
  WORKFLOW_BUNDLE_PATH: optionalString,
  /** Port of the worker's Prometheus endpoint (`GET /metrics`); 0 turns it off. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9464),
  /** Interface the metrics endpoint listens on. */
  METRICS_HOST: z.string().trim().min(1).default('0.0.0.0'),
  /**
   * host:port where the Temporal SDK's native runtime serves its own metrics, which the metrics
   * endpoint appends to its answer. Empty turns SDK metrics off.
   */
  SDK_METRICS_ADDRESS: z
    .string()
    .trim()
    .regex(/^$|^[^\s:]+:\d{1,5}$/, 'must be host:port, e.g. 127.0.0.1:9465 (or empty for none)')
    .default('127.0.0.1:9465'),
  /** Seconds in-flight activities get to finish after SIGTERM before the worker stops them. */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Pretty, human logs on a terminal instead of JSON lines. */
  LOG_PRETTY: booleanString.default(false),

  /** The health check: schedule interval, thresholds, alert webhook (src/config/health.ts). */
  ...HEALTH_ENV,
});

export type Config = z.output<typeof EnvSchema>;

/** Parses the environment once; throws {@link ConfigError} naming every wrong variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const result = EnvSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
    );
  }
  // HEALTH_* thresholds that contradict each other (e.g. unhealthy below degraded).
  healthSettings(result.data);
  // The server and namespace may come from a profile of Temporal's config file (TEMPORAL_PROFILE,
  // TEMPORAL_CONFIG_FILE); the environment overrides it. Everything that names the server (UI links,
  // messages, whether the main job starts a local one) then agrees with what is connected to.
  const target = temporalTarget(env);
  return {
    ...result.data,
    TEMPORAL_ADDRESS: target.address,
    TEMPORAL_NAMESPACE: target.namespace ?? result.data.TEMPORAL_NAMESPACE,
  };
}

export interface EddCredentials {
  baseUrl: string;
  publicKey: string;
  token: string;
}

export interface MailerLiteCredentials {
  baseUrl: string;
  apiToken: string;
}

/** The provider settings a worker needs, or a ConfigError that says which variables to set. */
export function providerSettings(config: Config): { edd: EddCredentials; mailerlite: MailerLiteCredentials } {
  const problems: string[] = [];
  if (!config.EDD_BASE_URL)
    problems.push('EDD_BASE_URL: required (the EDD site, e.g. https://shop.example.com)');
  if (!config.EDD_PUBLIC_KEY) problems.push('EDD_PUBLIC_KEY: required (Downloads → Tools → API Keys)');
  if (!config.EDD_TOKEN && !config.EDD_SECRET_KEY) {
    problems.push('EDD_TOKEN or EDD_SECRET_KEY: one is required (the token is md5(secret key + public key))');
  }
  if (!config.MAILERLITE_API_TOKEN) {
    problems.push('MAILERLITE_API_TOKEN: required (MailerLite → Integrations → API)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const publicKey = config.EDD_PUBLIC_KEY!;
  return {
    edd: {
      baseUrl: config.EDD_BASE_URL!,
      publicKey,
      token: config.EDD_TOKEN ?? eddToken(config.EDD_SECRET_KEY!, publicKey),
    },
    mailerlite: { baseUrl: config.MAILERLITE_BASE_URL, apiToken: config.MAILERLITE_API_TOKEN! },
  };
}

/** EDD's API token: md5 of the secret key followed by the public key. */
export function eddToken(secretKey: string, publicKey: string): string {
  return createHash('md5')
    .update(secretKey + publicKey)
    .digest('hex');
}

/**
 * The data converter the worker and the client use: with PAYLOAD_ENCRYPTION_KEYS set, payloads are
 * encrypted before they reach the Temporal server; otherwise the SDK's default (undefined).
 */
export function dataConverterFor(config: Config): DataConverter | undefined {
  if (!config.PAYLOAD_ENCRYPTION_KEYS) return undefined;
  try {
    const keys = parseCodecKeys(config.PAYLOAD_ENCRYPTION_KEYS, config.PAYLOAD_ENCRYPTION_KEY_ID);
    return { payloadCodecs: [new AesGcmPayloadCodec(keys)] };
  } catch (err) {
    throw new ConfigError([`PAYLOAD_ENCRYPTION_KEY_ID: ${(err as Error).message}`]);
  }
}

/** The worker's health settings: thresholds (defaults where unset) and the alert webhook. */
export function healthSettings(config: Config): ReturnType<typeof healthSettingsFrom> {
  try {
    return healthSettingsFrom(config);
  } catch (err) {
    throw new ConfigError([(err as Error).message]);
  }
}
