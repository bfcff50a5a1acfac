import {
  ConfigError,
  EnvSchema,
  loadConfig,
  loadTemporalConnection,
  providerSettings,
  type Config,
  type TemporalConnection,
  type TemporalConnectionSummary,
} from '../config';
import { HEALTH_ENV_DEFAULTS } from '../config/health';
import { SEARCH_ATTRIBUTES } from '../shared/search-attributes';
import { checkSearchAttributes } from '../temporal/search-attributes-check';
import { connectTemporal } from '../temporal/connection';

export interface ConfigCheck {
  ok: boolean;
  /** Every variable with its effective value (secrets masked) and where it came from. */
  variables: { name: string; value: string; source: 'environment' | 'default' | 'unset' }[];
  /** Invalid variables, each named with what is wrong. */
  problems: string[];
  /** What a worker would still need (provider settings), though the configuration parses. */
  workerNeeds: string[];
  /** Where and how the worker and the CLI connect to Temporal (no secrets), when the settings are valid. */
  temporal?: TemporalConnectionSummary;
}

/** Variables whose values are secrets: never printed, only whether they are set. PEM text (`_DATA`) is not printed either. */
const SECRET = /TOKEN|SECRET|PASSWORD|ENCRYPTION_KEYS|WEBHOOK|API_KEY|_DATA$/;

/**
 * The effective configuration as the worker and the client would read it from `env`: each
 * variable's value (secrets masked) and its source, every invalid variable named with the reason,
 * and what a worker would additionally need.
 */
export function checkConfig(env: NodeJS.ProcessEnv): ConfigCheck {
  const names = Object.keys(EnvSchema.shape).sort();
  let problems: string[] = [];
  let effective: Record<string, unknown> = {};
  try {
    effective = { ...loadConfig(env) };
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems = err.problems;
  }
  // Defaults, to show for unset variables even when another variable is invalid. The health
  // thresholds have theirs in the thresholds' defaults, not in the schema.
  const defaults = {
    ...HEALTH_ENV_DEFAULTS,
    ...((EnvSchema.safeParse({}).data ?? {}) as Record<string, unknown>),
  } as Record<string, unknown>;
  const variables = names.map((name) => {
    const raw = env[name];
    const given = raw !== undefined && raw.trim() !== '';
    const value = given ? raw : (effective[name] ?? defaults[name]);
    return {
      name,
      value: value === undefined ? '' : mask(name, typeof value === 'string' ? value : JSON.stringify(value)),
      source: given
        ? ('environment' as const)
        : value === undefined
          ? ('unset' as const)
          : ('default' as const),
    };
  });
  // The Temporal connection's files (certificates, the config file's profile), as the worker will
  // read them: a missing file is a problem now, not at the worker's start.
  let temporal: TemporalConnectionSummary | undefined;
  if (problems.length === 0) {
    try {
      temporal = loadTemporalConnection(env).summary;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems;
    }
  }
  const workerNeeds: string[] = [];
  if (problems.length === 0) {
    try {
      providerSettings(effective as never);
    } catch (err) {
      if (err instanceof ConfigError) workerNeeds.push(...err.problems);
      else throw err;
    }
  }
  return {
    ok: problems.length === 0,
    variables,
    problems,
    workerNeeds,
    ...(temporal ? { temporal } : {}),
  };
}

function mask(name: string, value: string): string {
  if (!SECRET.test(name)) return value;
  return `(set, ${value.length} characters, hidden)`;
}

export function formatConfigCheck(c: ConfigCheck): string {
  const width = Math.max(...c.variables.map((v) => v.name.length));
  const lines = c.variables.map(
    (v) =>
      `  ${v.name.padEnd(width)}  ${v.source === 'unset' ? '(unset)' : v.value}${v.source === 'default' ? '  (default)' : ''}`,
  );
  lines.unshift(c.ok ? 'Configuration is valid:' : 'Configuration is INVALID:');
  if (c.temporal) lines.push('', `Temporal: ${describeSummary(c.temporal)}`);
  if (c.problems.length > 0) lines.push('', 'Fix these variables:', ...c.problems.map((p) => `  - ${p}`));
  if (c.workerNeeds.length > 0)
    lines.push(
      '',
      'A worker would also need (the client does not):',
      ...c.workerNeeds.map((p) => `  - ${p}`),
    );
  return lines.join('\n');
}

function describeSummary(t: TemporalConnectionSummary): string {
  const tls = !t.tls
    ? 'TLS off'
    : `TLS${t.clientCertificate ? ' with a client certificate' : ''}${t.serverCa ? `, CA from ${t.serverCa}` : ''}` +
      (t.serverName ? `, server name ${t.serverName}` : '');
  const profile = t.configFile ? `, profile '${t.profile ?? 'default'}' of ${t.configFile}` : '';
  const meta = t.grpcMetadata ? `, gRPC headers ${t.grpcMetadata.join(', ')}` : '';
  return `${t.address}, namespace ${t.namespace}, ${tls}${t.apiKey ? ', API key' : ''}${meta}${profile}`;
}

/** One service `config check --connect` tried, as the worker would reach it. */
export interface ConnectionCheckResult {
  service: 'temporal' | 'edd' | 'mailerlite';
  ok: boolean;
  /** What was reached, or what is wrong and which setting fixes it. */
  detail: string;
  /** Where: the Temporal address or the provider's URL. */
  target?: string;
  latencyMs?: number;
}

/**
 * Tries every service a worker needs with the worker's settings (from `env`, the configuration
 * `checkConfig` shows): Temporal as the CLI connects (the client) and as the worker does (the SDK's
 * native connection), and whether the namespace has every search attribute the workflows set; EDD
 * and MailerLite with the worker's URLs and credentials. Never throws for a failed check.
 */
export async function checkConnections(env: NodeJS.ProcessEnv): Promise<ConnectionCheckResult[]> {
  const config = loadConfig(env);
  const target = loadTemporalConnection(env);
  const results: ConnectionCheckResult[] = [await checkTemporal(target)];
  let credentials: ReturnType<typeof providerSettings> | undefined;
  try {
    credentials = providerSettings(config);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // A worker does not start without both providers' settings: neither is tried.
    for (const service of ['edd', 'mailerlite'] as const) {
      const needs = err.problems.filter((p) => p.startsWith(service === 'edd' ? 'EDD_' : 'MAILERLITE_'));
      results.push({
        service,
        ok: false,
        detail: `not tried: ${needs.length > 0 ? needs.join('; ') : "a worker needs the other provider's settings too"}`,
      });
    }
  }
  if (credentials) results.push(...(await checkProviders(config, credentials)));
  return results;
}

async function checkTemporal(target: TemporalConnection): Promise<ConnectionCheckResult> {
  const base = { service: 'temporal' as const, target: target.address };
  const started = performance.now();
  let clientMs: number;
  try {
    const connection = await connectTemporal(target);
    clientMs = Math.round(performance.now() - started);
    try {
      const outcome = await checkSearchAttributes(connection, target.namespace, target.address);
      const attributes =
        outcome.outcome === 'ok'
          ? `the ${SEARCH_ATTRIBUTES.length} search attributes the workflows set are registered in namespace ${target.namespace}`
          : `search attributes not checked: the server would not list them (${outcome.reason})`;
      // The worker's own connection (the SDK's Rust core, its own TLS stack): loaded only here, as
      // the CLI's other commands have no use for it.
      const workerStarted = performance.now();
      const { connectWorker } = await import('../temporal/worker-connection');
      const native = await connectWorker(target);
      await native.close();
      const workerMs = Math.round(performance.now() - workerStarted);
      return {
        ...base,
        ok: true,
        latencyMs: clientMs,
        detail: `connected to ${target.describe()} as the CLI (${clientMs} ms) and as the worker (${workerMs} ms); ${attributes}`,
      };
    } finally {
      await connection.close();
    }
  } catch (err) {
    return { ...base, ok: false, detail: namespaceAdvice(err, target) };
  }
}

/** gRPC NOT_FOUND: the namespace does not exist on that server. */
const NOT_FOUND = 5;

function namespaceAdvice(err: unknown, target: TemporalConnection): string {
  const message = err instanceof Error ? err.message : String(err);
  if ((err as { code?: unknown }).code === NOT_FOUND)
    return (
      `${target.describe()}: namespace ${target.namespace} was not found (${message}). ` +
      `Set TEMPORAL_NAMESPACE to an existing namespace, or create it (temporal operator namespace create --namespace ${target.namespace}).`
    );
  return message;
}

async function checkProviders(
  config: Config,
  credentials: ReturnType<typeof providerSettings>,
): Promise<ConnectionCheckResult[]> {
  // Loaded here only: the provider clients and the activities' messages are of no use to the
  // CLI's other commands.
  const [{ EddClient, MailerLiteClient }, { connectionFailure }] = await Promise.all([
    import('../providers'),
    import('../providers/connection-failure'),
  ]);
  const clients = {
    edd: new EddClient({ credentials: credentials.edd, timeoutMs: config.HTTP_TIMEOUT_MS }),
    mailerlite: new MailerLiteClient({
      credentials: credentials.mailerlite,
      timeoutMs: config.HTTP_TIMEOUT_MS,
      rateLimitMaxWaitMs: config.RATE_LIMIT_MAX_WAIT_MS,
      listLimit: config.MAILERLITE_LIST_LIMIT,
    }),
  };
  const results: ConnectionCheckResult[] = [];
  for (const service of ['edd', 'mailerlite'] as const) {
    const client = clients[service];
    const started = performance.now();
    try {
      await client.validateConnection();
      const latencyMs = Math.round(performance.now() - started);
      results.push({
        service,
        ok: true,
        target: client.baseUrl,
        latencyMs,
        detail: `${client.baseUrl} accepted the credentials (${latencyMs} ms)`,
      });
    } catch (err) {
      results.push({
        service,
        ok: false,
        target: client.baseUrl,
        detail: connectionFailure(service, client.baseUrl, err).message,
      });
    }
  }
  return results;
}

const SERVICE_NAMES = { temporal: 'Temporal', edd: 'EDD', mailerlite: 'MailerLite' } as const;

export function formatConnectionChecks(checks: ConnectionCheckResult[]): string {
  const lines = ["Connections, with this environment's settings (the worker's, when run where it runs):"];
  for (const c of checks)
    lines.push(`  ${c.ok ? 'ok  ' : 'FAIL'}  ${SERVICE_NAMES[c.service].padEnd(10)}  ${c.detail}`);
  return lines.join('\n');
}
