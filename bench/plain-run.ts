import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { EmulatorPair } from '../dev/emulator-pair';

export interface PlainResult {
  seconds: number;
  /** The script's own CPU (user plus system) over the same span. */
  cpuSeconds: number;
  requests: number;
  created: number;
  invalid: number;
  failed: number;
}

/** The plain sequential script (`bench/plain-sync.ts`) as its own process, as the worker is. */
export async function runPlain(
  emulators: EmulatorPair,
  campaign: string,
  productId: number,
  pageSize: number,
): Promise<PlainResult> {
  const child = spawn(
    process.execPath,
    [join(__dirname, 'plain-sync.js'), campaign, String(productId), String(pageSize)],
    {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        BENCH_CREDENTIALS: JSON.stringify(emulators.credentials),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const last = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !last.startsWith('{'))
    throw new Error(`the plain script failed (exit ${code}):\n${out}${err}`);
  return JSON.parse(last) as PlainResult;
}
