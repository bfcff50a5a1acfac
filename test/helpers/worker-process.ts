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
}

/**
 * The worker entry point (`src/workers/main.ts`) as its own OS process, configured only through
 * its environment, pointed at the emulators: a second host, for tests that need one.
 */
export async function startWorkerProcess(
  address: string,
  taskQueue: string,
  stack: Stack,
  mailerliteRequestsPerMinute: number,
  /** More environment, e.g. METRICS_PORT or SHUTDOWN_GRACE_SECONDS. */
  extraEnv: Record<string, string> = {},
): Promise<WorkerProcess> {
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
  // Ready once it logs that it polls; it bundles the workflow code first, which takes seconds.
  const ready = await new Promise<boolean>((resolve) => {
    const started = Date.now();
    const check = setInterval(() => {
      const up = output.includes('"msg":"worker started"');
      if (up || child.exitCode !== null || Date.now() - started > 60_000) {
        clearInterval(check);
        resolve(up);
      }
    }, 100);
  });
  if (!ready) {
    child.kill('SIGKILL');
    throw new Error(`the worker process did not start:\n${output}`);
  }
  return {
    output: () => output,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
