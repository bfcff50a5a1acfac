import { FaultSettingsError, MAX_LATENCY_MS, parseFaultSettings } from './shared/faults';
import type { FaultSettings } from './shared/faults';

/** Options of `node dist/dev/emulators/cli.js`, with their defaults. */
export interface EmulatorCliOptions {
  /** Demo data seed. Default 42. */
  seed: number;
  /** Demo customers. Default 2000. */
  customers: number;
  /** Default 8081. */
  eddPort: number;
  /** Default 8082. */
  mailerlitePort: number;
  /** MailerLite requests per minute; 0 = unlimited. Default 120, the real limit. */
  rateLimit: number;
  /** Largest `limit` MailerLite's cursor lists accept. Default 1000 (*unconfirmed*). */
  maxListLimit: number;
  /** Most groups the MailerLite account holds. Default 1000, the real limit. */
  maxGroups: number;
  /** Address to listen on. Default 127.0.0.1 (0.0.0.0 inside a container). */
  host: string;
  /** The store's sequential order numbers (prefix and postfix), when given; off by default, as in EDD. */
  orderNumbers?: { prefix: string; postfix: string };
  /** Faults both emulators start with (`--error-rate` ...). Default none: `{}`. */
  faults: FaultSettings;
  help: boolean;
}

export const CLI_USAGE = `Usage: node dist/dev/emulators/cli.js [options]

Starts the EDD and MailerLite emulators on localhost with the deterministic demo data.

Options:
  --seed N              demo data seed (default 42)
  --customers N         number of demo customers, 1 to 1000000 (default 2000)
  --edd-port N          EDD emulator port, 0 for any free port (default 8081)
  --mailerlite-port N   MailerLite emulator port, 0 for any free port (default 8082)
  --rate-limit N        MailerLite requests per minute, 0 = unlimited (default 120)
  --max-list-limit N    largest limit MailerLite's subscriber lists accept; above it 422 (default 1000)
  --max-groups N        most groups the MailerLite account holds; one more is refused (default 1000)
  --host ADDRESS        address to listen on (default 127.0.0.1; 0.0.0.0 in a container)
  --order-number-prefix TEXT, --order-number-postfix TEXT
                        turn on EDD's sequential order numbers (sales show e.g. EDD-1 as their ID)
  -h, --help            show this help

Fault injection (both emulators; API requests only, never /_admin; default none):
  --error-rate R        share 0..1 of requests answered 500/502/503, not handled
  --reset-rate R        share 0..1 of requests whose connection is reset, no answer
  --malformed-rate R    share 0..1 of requests answered 200 with truncated JSON, not handled
  --latency-ms N|MIN-MAX
                        delay before each request is handled, fixed or drawn per request
  --fault-seed N        seed of the fault sequence (default 1): same seed, same faults
  The rates together may not exceed 1. Change faults at run time with
  PUT/GET/DELETE <emulator>/_admin/faults (see dev/emulators/README.md).
`;

/** A mistake on the command line; the message says which option and what it accepts. */
export class CliArgsError extends Error {
  constructor(
    message: string,
    readonly option: string,
  ) {
    super(message);
    this.name = 'CliArgsError';
  }
}

const INTEGER_OPTIONS = {
  '--seed': { key: 'seed', min: 0, max: 4_294_967_295 },
  '--customers': { key: 'customers', min: 1, max: 1_000_000 },
  '--edd-port': { key: 'eddPort', min: 0, max: 65_535 },
  '--mailerlite-port': { key: 'mailerlitePort', min: 0, max: 65_535 },
  '--rate-limit': { key: 'rateLimit', min: 0, max: 1_000_000 },
  '--max-list-limit': { key: 'maxListLimit', min: 1, max: 1_000_000 },
  '--max-groups': { key: 'maxGroups', min: 0, max: 1_000_000 },
} as const;

type IntegerOption = keyof typeof INTEGER_OPTIONS;

const isIntegerOption = (name: string): name is IntegerOption => Object.hasOwn(INTEGER_OPTIONS, name);

/** Fault options and the setting each one fills; values are checked by `parseFaultSettings`. */
const FAULT_OPTIONS = {
  '--error-rate': 'errorRate',
  '--reset-rate': 'resetRate',
  '--malformed-rate': 'malformedRate',
  '--latency-ms': 'latencyMs',
  '--fault-seed': 'seed',
} as const;

type FaultOption = keyof typeof FAULT_OPTIONS;

interface GivenFault {
  option: FaultOption;
  text: string;
}

const isFaultOption = (name: string): name is FaultOption => Object.hasOwn(FAULT_OPTIONS, name);

const FAULT_VALUE_HINTS: Record<FaultOption, string> = {
  '--error-rate': 'a number from 0 to 1, e.g. 0.1',
  '--reset-rate': 'a number from 0 to 1, e.g. 0.05',
  '--malformed-rate': 'a number from 0 to 1, e.g. 0.01',
  '--latency-ms': `milliseconds from 0 to ${MAX_LATENCY_MS}, or a range MIN-MAX, e.g. 20-200`,
  '--fault-seed': 'an integer from 0 to 4294967295',
};

/** The raw setting for a fault option's text; range checks are left to `parseFaultSettings`. */
function faultValue(name: FaultOption, text: string): unknown {
  if (name === '--latency-ms') {
    const range = /^(\d+)-(\d+)$/.exec(text);
    if (range) return { min: Number(range[1]), max: Number(range[2]) };
    return /^\d+$/.test(text) ? Number(text) : Number.NaN;
  }
  if (name === '--fault-seed') return /^\d+$/.test(text) ? Number(text) : Number.NaN;
  return /^(\d+(\.\d*)?|\.\d+)$/.test(text) ? Number(text) : Number.NaN;
}

const RATE_OPTIONS: readonly FaultOption[] = ['--error-rate', '--reset-rate', '--malformed-rate'];

/** Checks each fault option, then the rates' sum, naming the option at fault. */
function checkFaults(faults: Record<string, unknown>, given: Map<string, GivenFault>): FaultSettings {
  for (const [field, { option, text }] of given) {
    try {
      parseFaultSettings({ [field]: faults[field] });
    } catch (err) {
      if (!(err instanceof FaultSettingsError)) throw err;
      throw new CliArgsError(`${option} must be ${FAULT_VALUE_HINTS[option]}, got "${text}".`, option);
    }
  }
  const rates = RATE_OPTIONS.filter((option) => given.has(FAULT_OPTIONS[option]));
  const sum = rates.reduce((total, option) => total + Number(faults[FAULT_OPTIONS[option]]), 0);
  if (sum > 1 + 1e-9) {
    throw new CliArgsError(
      `${rates.join(', ')} add up to ${sum}; together they may not exceed 1.`,
      rates[rates.length - 1]!,
    );
  }
  return faults;
}

/** Parses `--name value` and `--name=value`; throws {@link CliArgsError} for anything it cannot use. */
export function parseCliArgs(argv: readonly string[]): EmulatorCliOptions {
  const options: EmulatorCliOptions = {
    seed: 42,
    customers: 2000,
    eddPort: 8081,
    mailerlitePort: 8082,
    rateLimit: 120,
    maxListLimit: 1000,
    maxGroups: 1000,
    host: '127.0.0.1',
    faults: {},
    help: false,
  };
  const faults: Record<string, unknown> = {};
  const givenFaults = new Map<string, GivenFault>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') {
      options.help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (name === '--host') {
      const host = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (!host || host.startsWith('--'))
        throw new CliArgsError('--host needs an address, e.g. 0.0.0.0.', name);
      options.host = host;
      continue;
    }
    if (name === '--order-number-prefix' || name === '--order-number-postfix') {
      const text = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (text === undefined || text.startsWith('--') || /\s/.test(text)) {
        throw new CliArgsError(`${name} needs a text without spaces, e.g. EDD-.`, name);
      }
      options.orderNumbers ??= { prefix: '', postfix: '' };
      options.orderNumbers[name === '--order-number-prefix' ? 'prefix' : 'postfix'] = text;
      continue;
    }
    if (isFaultOption(name)) {
      const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
      if (value === undefined || value === '' || value.startsWith('--')) {
        throw new CliArgsError(`${name} needs a value: ${FAULT_VALUE_HINTS[name]}.`, name);
      }
      const parsed = faultValue(name, value);
      if (typeof parsed === 'number' && Number.isNaN(parsed)) {
        throw new CliArgsError(`${name} must be ${FAULT_VALUE_HINTS[name]}, got "${value}".`, name);
      }
      faults[FAULT_OPTIONS[name]] = parsed;
      givenFaults.set(FAULT_OPTIONS[name], { option: name, text: value });
      continue;
    }
    if (!isIntegerOption(name)) {
      throw new CliArgsError(`Unknown option ${arg}. Run with --help to see the options.`, name);
    }
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    const { key, min, max } = INTEGER_OPTIONS[name];
    if (value === undefined || value === '' || value.startsWith('--')) {
      throw new CliArgsError(`${name} needs a value: an integer from ${min} to ${max}.`, name);
    }
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new CliArgsError(`${name} must be an integer from ${min} to ${max}, got "${value}".`, name);
    }
    options[key] = n;
  }
  options.faults = checkFaults(faults, givenFaults);
  return options;
}
