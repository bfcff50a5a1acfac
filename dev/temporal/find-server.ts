import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The full Temporal server (not the CLI's dev server), for what `temporal server start-dev` cannot
 * do: its frontend takes no TLS settings (v1.5.1 has no TLS flags, and its dev server has no
 * config file). The same server version the CLI v1.5.1 embeds; its go.mod has no `replace`.
 */
export const TEMPORAL_SERVER_VERSION = 'v1.29.1';
export const TEMPORAL_SERVER_MODULE = 'go.temporal.io/server/cmd/server';

/** Stable per-user cache folder for the built server, next to the CLI's. */
export function serverCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'campaign-sync', 'temporal-server', TEMPORAL_SERVER_VERSION);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds the Temporal server binary, in order: TEMPORAL_SERVER_PATH, the cached build, a `go install`
 * into the cache (minutes the first time; Go's build cache makes it quick after the CLI's build).
 * Throws saying what to install when none works.
 */
export function findTemporalServer(
  opts: { env?: NodeJS.ProcessEnv; log?: (m: string) => void } = {},
): string {
  const env = opts.env ?? process.env;
  const explicit = env.TEMPORAL_SERVER_PATH?.trim();
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    throw new Error(`TEMPORAL_SERVER_PATH=${explicit}: not an executable file (fix or unset it).`);
  }
  const dir = serverCacheDir(env);
  const cached = join(dir, 'server');
  if (isExecutable(cached)) return cached;
  const go = ['go', '/usr/local/go/bin/go'].find(
    (g) => spawnSync(g, ['version'], { stdio: 'ignore' }).status === 0,
  );
  if (go) {
    mkdirSync(dir, { recursive: true });
    opts.log?.(
      `Building the Temporal server ${TEMPORAL_SERVER_VERSION} with go install into ${dir} (minutes on a first build)...`,
    );
    const result = spawnSync(go, ['install', `${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION}`], {
      env: { ...env, GOBIN: dir },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    if (result.status === 0 && isExecutable(cached)) return cached;
  }
  throw new Error(
    `No Temporal server binary: set TEMPORAL_SERVER_PATH to one, or install Go so the project can build ` +
      `${TEMPORAL_SERVER_MODULE}@${TEMPORAL_SERVER_VERSION} into ${dir} (${go ? 'go install failed' : 'Go is not installed'}).`,
  );
}
