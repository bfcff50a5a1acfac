import { Writable } from 'node:stream';
import { runInNewContext } from 'node:vm';
import { ActivityFailure, ApplicationFailure, RetryState } from '@temporalio/common';
import { createLogger, type Logger } from '../../src/observability/logger';
import { bundlerLogger, sdkLogger } from '../../src/observability/sdk-logger';
import { ProviderTransientError } from '../../src/shared/errors';

/** A logger writing into an array of parsed JSON lines (a real pino logger, a real stream). */
function capture(level = 'trace'): { logger: Logger; lines: Record<string, unknown>[]; raw: () => string } {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      done();
    },
  });
  const logger = createLogger({ level, destination });
  return {
    logger,
    raw: () => text,
    get lines() {
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
  };
}

/** What an HTTP client throws when EDD is unreachable: a provider error caused by Node's own. */
function unreachableEdd(): ProviderTransientError {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), {
    code: 'ECONNREFUSED',
    syscall: 'connect',
    address: '127.0.0.1',
    port: 9,
  });
  return new ProviderTransientError('edd', 'edd GET /products: connect ECONNREFUSED 127.0.0.1:9', undefined, {
    cause: refused,
  });
}

interface LoggedError {
  type?: string;
  message?: string;
  stack?: string;
  cause?: LoggedError;
  [key: string]: unknown;
}

describe('errors in the SDK log metadata', () => {
  it('logs an activity failure with its type, message, stack and cause chain, not {}', () => {
    const out = capture();
    sdkLogger(out.logger).warn('Activity failed', { error: unreachableEdd(), durationMs: 505 });
    const [line] = out.lines;
    const error = line!.error as LoggedError;
    expect(error.type).toBe('ProviderTransientError');
    expect(error.message).toBe('edd GET /products: connect ECONNREFUSED 127.0.0.1:9');
    expect(error.stack).toMatch(/^ProviderTransientError: edd GET \/products/);
    expect(error.provider).toBe('edd');
    expect(error.cause).toMatchObject({
      type: 'Error',
      message: 'connect ECONNREFUSED 127.0.0.1:9',
      code: 'ECONNREFUSED',
      address: '127.0.0.1',
      port: 9,
    });
    expect(error.cause!.stack).toMatch(/^Error: connect ECONNREFUSED/);
    expect(line!.durationMs).toBe(505);
    expect(out.raw()).not.toContain('"error":{}');
  });

  it('keeps the innermost cause of a workflow failure (ActivityFailure → ApplicationFailure → cause) and its failure type', () => {
    const out = capture();
    const failure = new ActivityFailure(
      'Activity task failed',
      'resolveCampaign',
      '3',
      RetryState.MAXIMUM_ATTEMPTS_REACHED,
      'worker@host',
      ApplicationFailure.create({
        type: 'ProviderTransientError',
        message: 'edd GET /products: connect ECONNREFUSED 127.0.0.1:9',
        cause: ApplicationFailure.create({ type: 'Error', message: 'connect ECONNREFUSED 127.0.0.1:9' }),
      }),
    );
    sdkLogger(out.logger).warn('Workflow failed', { error: failure });
    const error = out.lines[0]!.error as LoggedError;
    expect(error).toMatchObject({
      type: 'ActivityFailure',
      message: 'Activity task failed',
      activityType: 'resolveCampaign',
      retryState: 'MAXIMUM_ATTEMPTS_REACHED',
      cause: {
        type: 'ApplicationFailure',
        failureType: 'ProviderTransientError',
        nonRetryable: false,
        cause: {
          type: 'ApplicationFailure',
          failureType: 'Error',
          message: 'connect ECONNREFUSED 127.0.0.1:9',
        },
      },
    });
  });

  it('serializes Errors under any key and at any depth, and Errors of another realm (a workflow sandbox)', () => {
    const out = capture();
    const sandboxed = runInNewContext(
      `const e = new Error('Activity task failed', { cause: new TypeError('bad input') }); e.name = 'ActivityFailure'; e`,
    ) as unknown;
    expect(sandboxed instanceof Error).toBe(false);
    sdkLogger(out.logger).error('Worker failed', {
      failure: unreachableEdd(),
      nested: { errors: [new RangeError('too far')], sandboxed },
    });
    const line = out.lines[0]!;
    expect((line.failure as LoggedError).cause!.message).toBe('connect ECONNREFUSED 127.0.0.1:9');
    const nested = line.nested as { errors: LoggedError[]; sandboxed: LoggedError };
    expect(nested.errors[0]).toMatchObject({ type: 'RangeError', message: 'too far' });
    expect(nested.sandboxed).toMatchObject({
      message: 'Activity task failed',
      cause: { type: 'TypeError', message: 'bad input' },
    });
    expect(out.raw()).not.toMatch(/:\{\}/);
  });

  it("keeps pino's own `err` key and logger.error(err) working, with the cause", () => {
    const out = capture();
    out.logger.error({ err: unreachableEdd() }, 'sync failed');
    out.logger.error(unreachableEdd());
    for (const line of out.lines) {
      expect(line.err).toMatchObject({
        type: 'ProviderTransientError',
        cause: { message: 'connect ECONNREFUSED 127.0.0.1:9' },
      });
    }
  });

  it("never logs a credential or an email from an error's message, stack, URL or fields", () => {
    const out = capture();
    const secret = 'tok-5fa38b93e1d26ddcf2e29677aaf73009';
    const key = 'pub-demo-edd-public-key';
    const url = `https://shop.example.com/edd-api/v2/customers?key=${key}&token=${secret}&number=5`;
    const inner = Object.assign(new Error(`request to ${url} failed`), {
      url,
      token: secret,
      headers: { authorization: `Bearer ${secret}` },
    });
    const error = new ProviderTransientError('edd', `GET ${url}: reset (Bearer ${secret})`, undefined, {
      cause: Object.assign(new Error('rejected jane.doe@example.com', { cause: inner }), {
        email: 'jane.doe@example.com',
      }),
    });
    sdkLogger(out.logger).warn(`Activity failed: ${url}`, { error, token: secret });
    const raw = out.raw();
    expect(raw).not.toContain(secret);
    expect(raw).not.toContain(key);
    expect(raw).not.toContain('jane.doe');
    const line = out.lines[0]!;
    expect(line.msg).toBe(
      'Activity failed: https://shop.example.com/edd-api/v2/customers?key=[redacted]&token=[redacted]&number=5',
    );
    const logged = line.error as LoggedError;
    expect(logged.cause!.message).toBe('rejected j***@example.com');
    expect(logged.cause!.cause!.url).toContain('token=[redacted]');
    expect(logged.cause!.cause!.token).toBe('[redacted]');
  });

  it('leaves records without Errors as they are (the same object, still redacted by path)', () => {
    const out = capture();
    out.logger.info({ stats: { created: 3 }, email: 'a@b.example', when: new Date(0) }, 'sync run recorded');
    expect(out.lines[0]).toMatchObject({
      stats: { created: 3 },
      email: '[redacted]',
      when: '1970-01-01T00:00:00.000Z',
    });
  });
});

describe('the bundler logger', () => {
  it("puts the bundler's info (webpack's report) at debug, and keeps its warnings and errors", () => {
    const out = capture('info');
    const bundler = bundlerLogger(sdkLogger(out.logger));
    bundler.info('asset workflow-bundle-3c55.js 3.22 MiB [emitted]\norphan modules 473 KiB');
    bundler.info('Workflow bundle created', { size: '3.22MB' });
    bundler.warn('a module could not be resolved');
    bundler.error('webpack failed', { error: new Error('Module not found') });
    expect(out.lines.map((l) => [l.level, l.msg])).toEqual([
      [40, 'a module could not be resolved'],
      [50, 'webpack failed'],
    ]);

    const debug = capture('debug');
    bundlerLogger(sdkLogger(debug.logger)).info('asset workflow-bundle-3c55.js 3.22 MiB [emitted]');
    expect(debug.lines[0]!.level).toBe(20);
    expect(debug.lines[0]!.msg).toMatch(/^asset workflow-bundle/);
  });
});
