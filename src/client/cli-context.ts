import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import { EXIT } from './errors';
import type { Emphasis } from './present';

/** Where the CLI prints: lines to stdout and stderr. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Whether `out` is a terminal (emphasis is shown there only). */
  isTTY?: boolean;
}

/** What each exit code means, as `--json` documents and the help state it. */
export const EXIT_MEANING: Record<number, string> = {
  [EXIT.ok]: 'ok',
  [EXIT.failed]: 'failure',
  [EXIT.invalidInput]: 'invalid input',
  [EXIT.locked]: 'refused',
  [EXIT.notFound]: 'not found',
  [EXIT.interrupted]: 'interrupted',
};

/**
 * A command's output. Without `--json`, `out` lines go to stdout and `result`'s text after them.
 * With `--json`, stdout holds exactly one JSON document (the first `result`, or the error) and every
 * human line goes to stderr, so a script can parse stdout whatever happened.
 */
export class CliOut implements Io {
  private emitted = false;
  /** What went to stderr, for the error document of a command that ends non-zero without one. */
  readonly errLines: string[] = [];

  constructor(
    private readonly io: Io,
    readonly json: boolean,
  ) {}

  /** A human line: stdout, or stderr with `--json`. */
  readonly out = (line: string): void => (this.json ? this.err(line) : this.io.out(line));

  readonly err = (line: string): void => {
    this.errLines.push(line);
    this.io.err(line);
  };

  /** The command's result: `doc` as JSON with `--json` (once), else `text` when given. */
  readonly result = (doc: unknown, text?: string): void => {
    if (this.json) {
      if (!this.emitted) this.io.out(JSON.stringify(doc, null, 2));
      this.emitted = true;
    } else if (text !== undefined) this.io.out(text);
  };

  /** With `--json` and nothing printed yet, the document of an error (or of a command without one). */
  finish(code: number, message?: string): void {
    if (!this.json || this.emitted) return;
    const text = message ?? this.errLines.join('\n');
    this.result(
      code === EXIT.ok
        ? { ok: true, ...(text ? { message: text } : {}) }
        : { error: { message: text, exitCode: code, meaning: EXIT_MEANING[code] ?? 'failure' } },
    );
  }
}

/** What each command's action gets: output, settings read once, a lazily made connection. */
export interface CliContext {
  out: CliOut;
  /** The command line as given (without the program name). */
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** The environment's configuration, parsed at first use (a mistake is a ConfigError: exit 2). */
  config: () => Config;
  taskQueue: () => string;
  /** Connects to Temporal (once; closed when the command ends). */
  connect: () => Promise<Client>;
  /** Link to a run in the Temporal UI. */
  runLink: (workflowId: string, runId: string) => string;
  /** Marks what needs attention (FAILED, UNHEALTHY): bold red on a terminal, nothing in a pipe. */
  emphasis: Emphasis;
  /** Who runs the command (`$USER`). */
  user: string | undefined;
  /** The exit code the action set. */
  code: number;
  /** Where Ctrl-C (`SIGINT`) is heard: the process, or a test's emitter. */
  interrupts: Pick<NodeJS.EventEmitter, 'once' | 'removeListener'>;
}

/** An action whose returned exit code becomes the command's. */
export function act<A extends unknown[]>(
  ctx: CliContext,
  fn: (...args: A) => Promise<number>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    ctx.code = await fn(...args);
  };
}

/** What {@link untilInterrupted} gives when Ctrl-C (SIGINT) ended the wait. */
export const INTERRUPTED = Symbol('interrupted');

/**
 * Waits for `work` unless Ctrl-C (SIGINT) comes first: then says `goesOn` (the run goes on, and how
 * to follow or cancel it) and gives {@link INTERRUPTED}. Only the wait ends: the run is not touched,
 * and `work`, abandoned, ends when the connection closes.
 */
export async function untilInterrupted<T>(
  ctx: Pick<CliContext, 'out' | 'interrupts'>,
  work: Promise<T>,
  goesOn: string,
): Promise<T | typeof INTERRUPTED> {
  const { out, interrupts } = ctx;
  let onSigint: (() => void) | undefined;
  const interrupted = new Promise<typeof INTERRUPTED>((resolve) => {
    onSigint = () => resolve(INTERRUPTED);
    interrupts.once('SIGINT', onSigint);
  });
  work.catch(() => undefined);
  try {
    const first = await Promise.race([work, interrupted]);
    if (first === INTERRUPTED) out.err(`Stopped waiting: ${goesOn}`);
    return first;
  } finally {
    interrupts.removeListener('SIGINT', onSigint!);
  }
}
