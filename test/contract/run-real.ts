import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { NOT_RUN_MESSAGE, TOKEN_VARIABLE } from './real-api/real-api-settings';

/** Not 0 and not jest's 1: a run that did not happen can never be read as passed, nor as a failure of the API. */
export const EXIT_NOT_RUN = 2;

const ROOT = resolve(__dirname, '../..');

/**
 * The project's jest config minus what the real-API run must not do: no global setup (it starts a
 * Temporal dev server), only the real-API contract file, and a timeout that allows for pacing.
 */
const JEST_CONFIG = {
  rootDir: ROOT,
  testEnvironment: 'node',
  roots: ['<rootDir>/test/contract/real-api'],
  testMatch: ['**/*.contract.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  testTimeout: 300_000,
};

async function main(): Promise<number> {
  if (!process.env[TOKEN_VARIABLE]?.trim()) {
    console.error(NOT_RUN_MESSAGE);
    return EXIT_NOT_RUN;
  }
  // In band: one process, one request at a time, so the pacing holds for the whole run.
  const args = ['--config', JSON.stringify(JEST_CONFIG), '--runInBand', ...process.argv.slice(2)];
  const jest = spawn(process.execPath, [require.resolve('jest/bin/jest'), ...args], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  const [code] = (await once(jest, 'exit')) as [number | null, NodeJS.Signals | null];
  // Killed by a signal: no exit code, and certainly not a pass.
  return code ?? 1;
}

main()
  .then((code) => {
    process.exitCode = code;
  })
  .catch((error: unknown) => {
    console.error('contract:real could not run jest:', error);
    process.exitCode = 1;
  });
