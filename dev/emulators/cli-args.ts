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
  /** Address to listen on. Default 127.0.0.1 (0.0.0.0 inside a container). */
  host: string;
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
  --host ADDRESS        address to listen on (default 127.0.0.1; 0.0.0.0 in a container)
  -h, --help            show this help
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
} as const;

type IntegerOption = keyof typeof INTEGER_OPTIONS;

const isIntegerOption = (name: string): name is IntegerOption => Object.hasOwn(INTEGER_OPTIONS, name);

/** Parses `--name value` and `--name=value`; throws {@link CliArgsError} for anything it cannot use. */
export function parseCliArgs(argv: readonly string[]): EmulatorCliOptions {
  const options: EmulatorCliOptions = {
    seed: 42,
    customers: 2000,
    eddPort: 8081,
    mailerlitePort: 8082,
    rateLimit: 120,
    host: '127.0.0.1',
    help: false,
  };
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
  return options;
}
