import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir, findTemporalCli, TemporalCliNotFoundError } from '../../dev/temporal/find-cli';

function executable(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\nexit 0\n');
  chmodSync(path, 0o755);
  return path;
}

describe('findTemporalCli', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'find-cli-'));
  });

  it('takes TEMPORAL_CLI_PATH first, and fails naming it when it is not executable', () => {
    const explicit = executable(join(root, 'explicit'), 'temporal');
    const onPath = executable(join(root, 'bin'), 'temporal');
    const env = { TEMPORAL_CLI_PATH: explicit, PATH: join(root, 'bin'), XDG_CACHE_HOME: join(root, 'cache') };
    expect(findTemporalCli({ env })).toMatchObject({ source: 'TEMPORAL_CLI_PATH', path: explicit });
    expect(onPath).toBeTruthy();
    expect(() => findTemporalCli({ env: { ...env, TEMPORAL_CLI_PATH: join(root, 'missing') } })).toThrow(
      /TEMPORAL_CLI_PATH=.*missing: not an executable file/,
    );
  });

  it('then `temporal` on PATH, then the cached build', () => {
    const onPath = executable(join(root, 'bin'), 'temporal');
    const env = { PATH: join(root, 'bin'), XDG_CACHE_HOME: join(root, 'cache') };
    expect(findTemporalCli({ env })).toMatchObject({ source: 'PATH', path: onPath });

    const cached = executable(cacheDir(env), 'temporal');
    expect(cached.startsWith(join(root, 'cache', 'campaign-sync'))).toBe(true);
    expect(findTemporalCli({ env: { ...env, PATH: join(root, 'empty') } })).toMatchObject({
      source: 'cache',
      path: cached,
    });
  });

  it('falls back to the SDK download, and without it says what to install', () => {
    const env = { PATH: join(root, 'empty'), XDG_CACHE_HOME: join(root, 'cache') };
    // A machine without Go: nothing on PATH and no standard install.
    expect(findTemporalCli({ env, goFallbacks: [] })).toMatchObject({
      source: 'SDK download',
      executable: { type: 'cached-download' },
    });
    let error: unknown;
    try {
      findTemporalCli({ env, goFallbacks: [], allowDownload: false });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TemporalCliNotFoundError);
    expect((error as Error).message).toMatch(
      /Go is not installed[\s\S]*install the Temporal CLI[\s\S]*TEMPORAL_CLI_PATH[\s\S]*install Go 1\.25/,
    );
  });
});
