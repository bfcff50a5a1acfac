import { runCli } from '../../src/client';

export interface CliRun {
  code: number;
  /** What it printed on stdout, lines joined. */
  out: string;
  /** What it printed on stderr, lines joined. */
  err: string;
}

/** Where and how `runCliCaptured` runs the CLI. */
export interface CliRunOptions {
  /** The Temporal server (TEMPORAL_ADDRESS). */
  address: string;
  /** TEMPORAL_TASK_QUEUE. */
  taskQueue: string;
  env?: Record<string, string>;
  /** Sees each line as it is printed (for a command that waits). */
  onLine?: (stream: 'out' | 'err', line: string) => void;
  /** Run as if stdout were a terminal (results that need attention are emphasised). */
  tty?: boolean;
}

/**
 * Runs the CLI in-process as a person would from a shell, against `address` and `taskQueue`,
 * capturing what it prints. `env` adds variables (e.g. `USER`, which `sync cancel` records).
 */
export async function runCliCaptured(args: string[], opts: CliRunOptions): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    args,
    { TEMPORAL_ADDRESS: opts.address, TEMPORAL_TASK_QUEUE: opts.taskQueue, ...opts.env },
    {
      out: (l) => {
        out.push(l);
        opts.onLine?.('out', l);
      },
      err: (l) => {
        err.push(l);
        opts.onLine?.('err', l);
      },
      isTTY: opts.tty ?? false,
    },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}
