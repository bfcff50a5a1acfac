import { CliArgsError, parseCliArgs } from '../../dev/emulators/cli-args';

describe('emulator CLI arguments', () => {
  it('has documented defaults', () => {
    expect(parseCliArgs([])).toEqual({
      seed: 42,
      customers: 2000,
      eddPort: 8081,
      mailerlitePort: 8082,
      rateLimit: 120,
      host: '127.0.0.1',
      help: false,
    });
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
      ]),
    ).toMatchObject({
      host: '0.0.0.0',
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
  ])('rejects %j with a message that says what is wrong', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(CliArgsError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});
