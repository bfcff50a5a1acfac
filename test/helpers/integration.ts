import type { Client } from '@temporalio/client';
import { runCliCaptured, type CliRun, type CliRunOptions } from './cli';
import { albumOf, startStack, type Album, type Stack, type StackOptions } from './stack';
import { connectTestTemporal, uniqueTaskQueue, type TemporalTestContext } from './temporal';

/**
 * How long a stack lives: `'all'` (the default) from before the block's first test to after its
 * last (beforeAll/afterAll), `'test'` a fresh one for each test (beforeEach/afterEach). The block is
 * the file for `useIntegrationStack`, the enclosing `describe` for `useStack`.
 */
export type StackLifetime = 'all' | 'test';

/** `startStack`'s options as the integration helper takes them. */
export interface IntegrationStackOptions extends Omit<StackOptions, 'temporal' | 'env'> {
  /**
   * `true`: the stack's activities get the file's Temporal client (for activities that manage
   * schedules or describe runs); or another client (e.g. of another namespace).
   */
  temporal?: boolean | { client: Client };
  /**
   * The activities' environment; a function is called each time a stack starts (e.g. a write path
   * a `describe.each` sets, or the URL of a receiver a `beforeAll` started).
   */
  env?: Record<string, string> | (() => Record<string, string>);
}

export interface IntegrationFileOptions extends IntegrationStackOptions {
  per?: StackLifetime;
  /** `false`: no stack of the file's own (the Temporal connection only). */
  stack?: boolean;
  /** `false`: no Temporal connection (activities run outside a worker). */
  connect?: boolean;
  /** Environment every `cli` run gets, e.g. `USER` (which `sync cancel` records). */
  cliEnv?: Record<string, string>;
}

export interface IntegrationStack {
  /**
   * The connection to the dev server the global setup started. Live: read it in hooks and tests
   * (the file's top level runs before it connects).
   */
  readonly temporal: TemporalTestContext;
  /** The file's stack. Live: the current test's with `per: 'test'`. */
  readonly stack: Stack;
  /** The demo store's album at `index` (the first by default) in the file's stack. */
  album(index?: number): Album;
  /**
   * Runs the CLI in-process against the dev server (or `opts.address`) and `taskQueue` (a fresh
   * one by default), capturing what it prints; with the file's `cliEnv` under `opts.env`.
   */
  cli(args: string[], taskQueue?: string, opts?: Partial<Omit<CliRunOptions, 'taskQueue'>>): Promise<CliRun>;
  /** A stack of the running test's own, closed after it (closing it sooner does no harm). */
  startStack(opts?: IntegrationStackOptions): Promise<Stack>;
  /**
   * Called in a `describe`, outside its tests: a stack of that block's own, for all its tests or
   * (`per: 'test'`) each. Live, like `stack`.
   */
  useStack(opts?: IntegrationStackOptions & { per?: StackLifetime }): Stack;
}

/**
 * The setup of an integration test file, called at its top level: connects to the dev server the
 * global setup started and starts a stack (both emulators with demo data, real activities), each
 * closed after the file's tests, registering the jest hooks itself.
 *
 *     const { temporal, stack, album, cli } = useIntegrationStack({ customers: 300 });
 *     useIntegrationStack({ customers: 2000, per: 'test' }); // a fresh stack for each test
 *     useIntegrationStack({ stack: false }); // the Temporal connection only
 *     useIntegrationStack({ connect: false, customers: 300 }); // the stack only
 */
export function useIntegrationStack(opts: IntegrationFileOptions = {}): IntegrationStack {
  const { per = 'all', stack: withStack = true, connect = true, cliEnv = {}, ...stackOpts } = opts;
  let temporal: TemporalTestContext | undefined;
  let fileStack: Stack | undefined;
  /** Stacks `startStack` started in the running test; undefined between tests. */
  let testStacks: Stack[] | undefined;

  const connection = (): TemporalTestContext => {
    if (temporal) return temporal;
    throw new Error(
      connect
        ? 'The Temporal connection is made in beforeAll: use it in hooks and tests.'
        : 'useIntegrationStack({ connect: false }) makes no Temporal connection.',
    );
  };
  const start = (o: IntegrationStackOptions): Promise<Stack> => {
    const { temporal: withTemporal, env, ...rest } = o;
    return startOnce({
      ...rest,
      env: typeof env === 'function' ? env() : env,
      temporal: withTemporal === true ? { client: connection().client } : withTemporal || undefined,
    });
  };
  /** Registers a stack's start and close in the current block; answers a live view of it. */
  const scoped = (lifetime: StackLifetime, o: IntegrationStackOptions, what: string): Stack => {
    let current: Stack | undefined;
    const [before, after] = lifetime === 'test' ? [beforeEach, afterEach] : [beforeAll, afterAll];
    before(async () => {
      current = await start(o);
    });
    after(async () => {
      await current?.close();
      current = undefined;
    });
    return live(() => {
      if (current) return current;
      throw new Error(
        `${what} is started in before${lifetime === 'test' ? 'Each' : 'All'}: use it in tests.`,
      );
    });
  };

  beforeAll(async () => {
    if (connect) temporal = await connectTestTemporal();
  });
  let stack: Stack | undefined;
  if (withStack && per === 'test') stack = scoped('test', stackOpts, "The file's stack");
  else if (withStack) {
    beforeAll(async () => {
      fileStack = await start(stackOpts);
    });
    stack = live(() => {
      if (fileStack) return fileStack;
      throw new Error("The file's stack is started in beforeAll: use it in hooks and tests.");
    });
  }
  beforeEach(() => {
    testStacks = [];
  });
  afterEach(async () => {
    for (const s of testStacks?.splice(0) ?? []) await s.close();
    testStacks = undefined;
  });
  afterAll(async () => {
    await fileStack?.close();
    await temporal?.close();
  });

  return {
    temporal: live(connection),
    get stack(): Stack {
      if (stack) return stack;
      throw new Error('useIntegrationStack({ stack: false }) starts no stack of the file.');
    },
    album: (index = 0) => {
      if (!stack) throw new Error('useIntegrationStack({ stack: false }) starts no stack of the file.');
      return albumOf(stack.dataset, index);
    },
    cli: (args, taskQueue = uniqueTaskQueue(), o = {}) =>
      runCliCaptured(args, {
        ...o,
        address: o.address ?? connection().address,
        taskQueue,
        env: { ...cliEnv, ...o.env },
      }),
    startStack: async (o = {}) => {
      if (!testStacks) throw new Error('startStack is for tests: a describe block takes useStack.');
      const s = await start(o);
      testStacks.push(s);
      return s;
    },
    useStack: ({ per: lifetime = 'all', ...o } = {}) => scoped(lifetime, o, "The describe block's stack"),
  };
}

/** `startStack` with a `close` that closes once, however often it is called. */
async function startOnce(opts: StackOptions): Promise<Stack> {
  const s = await startStack(opts);
  let closed: Promise<void> | undefined;
  return { ...s, close: () => (closed ??= s.close()) };
}

/**
 * An object that reads every property from `current()` at the time it is read (a hook replaces
 * the connection or stack behind it), so a file can hold it from its top level.
 */
function live<T extends object>(current: () => T): T {
  return new Proxy({} as T, {
    get(_target, key) {
      const target = current();
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
    has: (_target, key) => Reflect.has(current(), key),
    ownKeys: () => Reflect.ownKeys(current()),
    getOwnPropertyDescriptor(_target, key) {
      const descriptor = Reflect.getOwnPropertyDescriptor(current(), key);
      return descriptor && { ...descriptor, configurable: true };
    },
  });
}
