import { ConfigError, EnvSchema, loadConfig, providerSettings } from '../config';
import { HEALTH_ENV_DEFAULTS } from '../config/health';

export interface ConfigCheck {
  ok: boolean;
  /** Every variable with its effective value (secrets masked) and where it came from. */
  variables: { name: string; value: string; source: 'environment' | 'default' | 'unset' }[];
  /** Invalid variables, each named with what is wrong. */
  problems: string[];
  /** What a worker would still need (provider settings), though the configuration parses. */
  workerNeeds: string[];
}

/** Variables whose values are secrets: never printed, only whether they are set. */
const SECRET = /TOKEN|SECRET|PASSWORD|ENCRYPTION_KEYS|WEBHOOK/;

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
  const workerNeeds: string[] = [];
  if (problems.length === 0) {
    try {
      providerSettings(effective as never);
    } catch (err) {
      if (err instanceof ConfigError) workerNeeds.push(...err.problems);
      else throw err;
    }
  }
  return { ok: problems.length === 0, variables, problems, workerNeeds };
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
  if (c.problems.length > 0) lines.push('', 'Fix these variables:', ...c.problems.map((p) => `  - ${p}`));
  if (c.workerNeeds.length > 0)
    lines.push(
      '',
      'A worker would also need (the client does not):',
      ...c.workerNeeds.map((p) => `  - ${p}`),
    );
  return lines.join('\n');
}
