import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DEMO_EDD_PUBLIC_KEY, DEMO_EDD_SECRET_KEY, DEMO_MAILERLITE_TOKEN } from '../../dev/emulators';
import { WORKER_NODE_ARGS } from '../../src/workers/heap';
import type { Stack } from './stack';

const ROOT = join(__dirname, '..', '..');

export interface WorkerProcess {
  /** Everything the process printed so far. */
  output(): string;
  /** SIGTERM, then the exit code once it has drained. */
  stop(): Promise<number | null>;
  /** The OS process ID. */
  pid: number;
  /** Resolves true once its output matches `pattern`, false if it exits or `timeoutMs` passes first. */
  waitForOutput(pattern: RegExp | string, timeoutMs?: number): Promise<boolean>;
}

/** A worker process as spawned, whether or not it started: for tests of how it starts, or refuses to. */
export interface SpawnedWorkerProcess extends WorkerProcess {
  /** Its exit code once it has exited (null when a signal ended it). */
  exited: Promise<number | null>;
  /** SIGKILL, for a process that would not start. */
  kill(): void;
}

/**
 * The worker entry point (`src/workers/main.ts`) as its own OS process, configured only through
 * its environment, pointed at the emulators, without waiting for it to start.
 */
export function spawnWorkerProcess(
  address: string,
  taskQueue: string,
  stack: Pick<Stack, 'edd' | 'mailerlite'>,
  mailerliteRequestsPerMinute: number,
  /** More environment, e.g. METRICS_PORT, SHUTDOWN_GRACE_SECONDS or TEMPORAL_NAMESPACE. */
  extraEnv: Record<string, string> = {},
): SpawnedWorkerProcess {
  const child = spawn(
    process.execPath,
    [...WORKER_NODE_ARGS, '--import', 'tsx', join(ROOT, 'src', 'workers', 'main.ts')],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        TEMPORAL_ADDRESS: address,
        TEMPORAL_TASK_QUEUE: taskQueue,
        EDD_BASE_URL: stack.edd.url,
        EDD_PUBLIC_KEY: DEMO_EDD_PUBLIC_KEY,
        EDD_SECRET_KEY: DEMO_EDD_SECRET_KEY,
        MAILERLITE_BASE_URL: `${stack.mailerlite.url}/api`,
        MAILERLITE_API_TOKEN: DEMO_MAILERLITE_TOKEN,
        MAILERLITE_REQUESTS_PER_MINUTE: String(mailerliteRequestsPerMinute),
        LOG_LEVEL: 'info',
        // Off unless a test asks: parallel test files would fight over fixed ports.
        METRICS_PORT: '0',
        SDK_METRICS_ADDRESS: '',
        // No health schedule unless a test asks: its checks would act on the test's queue.
        HEALTH_SCHEDULE: 'off',
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const matches = (pattern: RegExp | string) =>
    typeof pattern === 'string' ? output.includes(pattern) : pattern.test(output);
  return {
    output: () => output,
    pid: child.pid!,
    exited,
    waitForOutput: (pattern, timeoutMs = 60_000) =>
      new Promise<boolean>((resolve) => {
        const started = Date.now();
        const check = setInterval(() => {
          const found = matches(pattern);
          if (found || child.exitCode !== null || Date.now() - started > timeoutMs) {
            clearInterval(check);
            // Output printed just before the exit may still be on its way through the pipes.
            resolve(found || (child.exitCode !== null && matches(pattern)));
          }
        }, 100);
      }),
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    kill: () => child.kill('SIGKILL'),
  };
}

/**
 * The worker entry point (`src/workers/main.ts`) as its own OS process, configured only through
 * its environment, pointed at the emulators: a second host, for tests that need one. Resolves once
 * it polls.
 */
export async function startWorkerProcess(
  address: string,
  taskQueue: string,
  stack: Stack,
  mailerliteRequestsPerMinute: number,
  /** More environment, e.g. METRICS_PORT or SHUTDOWN_GRACE_SECONDS. */
  extraEnv: Record<string, string> = {},
  /** What its output shows once it polls; the JSON log line unless LOG_PRETTY changes it. */
  readyPattern: RegExp | string = '"msg":"worker started"',
): Promise<WorkerProcess> {
  const worker = spawnWorkerProcess(address, taskQueue, stack, mailerliteRequestsPerMinute, extraEnv);
  // Ready once it logs that it polls; it bundles the workflow code first, which takes seconds.
  if (!(await worker.waitForOutput(readyPattern, 60_000))) {
    worker.kill();
    throw new Error(`the worker process did not start:\n${worker.output()}`);
  }
  return worker;
}
