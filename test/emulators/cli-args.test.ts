import { CLI_USAGE, CliArgsError, parseCliArgs } from '../../dev/emulators/cli-args';

describe('emulator CLI arguments', () => {
  it('has documented defaults', () => {
    expect(parseCliArgs([])).toEqual({
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
    });
  });

  it('turns on sequential order numbers with a prefix or postfix, and refuses an empty or spaced one', () => {
    expect(parseCliArgs(['--order-number-prefix', 'EDD-']).orderNumbers).toEqual({
      prefix: 'EDD-',
      postfix: '',
    });
    expect(parseCliArgs(['--order-number-postfix=/A']).orderNumbers).toEqual({ prefix: '', postfix: '/A' });
    expect(() => parseCliArgs(['--order-number-prefix'])).toThrow(/--order-number-prefix needs a text/);
    expect(() => parseCliArgs(['--order-number-prefix', 'A B'])).toThrow(CliArgsError);
    expect(CLI_USAGE).toContain('--order-number-prefix');
  });

  it('accepts both --name value and --name=value', () => {
    expect(
      parseCliArgs([
        '--seed',
        '7',
        '--customers=500',
        '--rate-limit',
        '0',
        '--edd-port=0',
        '--host',
        '0.0.0.0',
        '--max-list-limit=100',
        '--max-groups',
        '250',
      ]),
    ).toMatchObject({
      host: '0.0.0.0',
      maxListLimit: 100,
      maxGroups: 250,
      seed: 7,
      customers: 500,
      rateLimit: 0,
      eddPort: 0,
    });
  });

  it.each([
    [['--customers', 'many'], /--customers must be an integer from 1 to 1000000, got "many"/],
    [['--customers', '0'], /--customers must be an integer from 1/],
    [['--edd-port', '70000'], /--edd-port must be an integer from 0 to 65535/],
    [['--seed'], /--seed needs a value/],
    [['--host'], /--host needs an address/],
    [['--seed', '--customers', '5'], /--seed needs a value/],
    [['--verbose'], /Unknown option --verbose/],
    [['--max-list-limit', '0'], /--max-list-limit must be an integer from 1 to 1000000, got "0"/],
    [['--max-groups', 'lots'], /--max-groups must be an integer from 0 to 1000000, got "lots"/],
    [['--error-rate', '1.5'], /--error-rate must be a number from 0 to 1, e.g. 0.1, got "1.5"/],
    [['--reset-rate', 'often'], /--reset-rate must be a number from 0 to 1/],
    [
      ['--latency-ms', '50-10'],
      /--latency-ms must be milliseconds .* or a range MIN-MAX, e.g. 20-200, got "50-10"/,
    ],
    [['--latency-ms', '-5'], /--latency-ms must be milliseconds from 0 to 120000/],
    [['--fault-seed', '1.5'], /--fault-seed must be an integer from 0 to 4294967295/],
    [['--error-rate', '0.6', '--malformed-rate', '0.5'], /--error-rate, --malformed-rate add up to 1.1/],
    [['--malformed-rate'], /--malformed-rate needs a value: a number from 0 to 1/],
  ])('rejects %j with a message that says what is wrong', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(CliArgsError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });

  it('collects fault options into the settings both emulators start with', () => {
    expect(
      parseCliArgs([
        '--error-rate',
        '0.1',
        '--reset-rate=0.05',
        '--malformed-rate',
        '.01',
        '--latency-ms',
        '20-200',
        '--fault-seed',
        '7',
      ]).faults,
    ).toEqual({
      errorRate: 0.1,
      resetRate: 0.05,
      malformedRate: 0.01,
      latencyMs: { min: 20, max: 200 },
      seed: 7,
    });
    expect(parseCliArgs(['--latency-ms=150']).faults).toEqual({ latencyMs: 150 });
  });

  it('documents the fault options in --help', () => {
    for (const option of [
      '--error-rate',
      '--latency-ms',
      '--reset-rate',
      '--malformed-rate',
      '--fault-seed',
    ]) {
      expect(CLI_USAGE).toContain(option);
    }
    expect(CLI_USAGE).toContain('/_admin/faults');
  });
});
