import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { EphemeralServerExecutable } from '@temporalio/testing';

/** The Temporal CLI release built from source when nothing else is found (its go.mod has no `replace`). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** `go install` of the CLI needs this Go or newer. */
const MIN_GO = [1, 25] as const;

export type CliSource = 'TEMPORAL_CLI_PATH' | 'PATH' | 'cache' | 'go install' | 'SDK download';

export interface FoundCli {
  /** What the SDK's ephemeral-server options take. */
  executable: EphemeralServerExecutable;
  /** Path of the binary, when there is one on disk already. */
  path?: string;
  source: CliSource;
}

export class TemporalCliNotFoundError extends Error {
  constructor(readonly attempts: string[]) {
    super(
      [
        'No Temporal CLI could be found or built. Tried:',
        ...attempts.map((a) => `  - ${a}`),
        'Fix one of these:',
        '  - install the Temporal CLI (https://docs.temporal.io/cli) and put `temporal` on PATH, or',
        '  - set TEMPORAL_CLI_PATH to a `temporal` binary, or',
        `  - install Go ${MIN_GO.join('.')} or newer so the project can build ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}, or`,
        '  - set TEMPORAL_ADDRESS to a running Temporal server.',
      ].join('\n'),
    );
    this.name = 'TemporalCliNotFoundError';
  }
}

/** Stable per-user cache folder for the built CLI, outside any clone, so fresh clones reuse it. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'campaign-sync', 'temporal-cli', TEMPORAL_CLI_VERSION);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

function goVersion(go: string): [number, number] | undefined {
  const out = spawnSync(go, ['env', 'GOVERSION'], { encoding: 'utf8' });
  const m = /go(\d+)\.(\d+)/.exec(out.stdout ?? '');
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

export interface FindOptions {
  env?: NodeJS.ProcessEnv;
  /** Progress messages (the go build takes minutes the first time). */
  log?: (message: string) => void;
  /** Where to look for Go besides PATH. Default: /usr/local/go/bin/go (Go's standard install). */
  goFallbacks?: string[];
  /** Allow the last resort, the SDK's own download (needs internet). Default true. */
  allowDownload?: boolean;
}

/**
 * Finds a `temporal` CLI, in order: TEMPORAL_CLI_PATH, `temporal` on PATH, the cached build, a
 * `go install` into the cache, and last the SDK's download. Throws {@link TemporalCliNotFoundError}
 * saying what to install when none works.
 */
export function findTemporalCli(opts: FindOptions = {}): FoundCli {
  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => undefined);
  const attempts: string[] = [];
  const found = (path: string, source: CliSource): FoundCli => ({
    executable: { type: 'existing-path', path },
    path,
    source,
  });

  const explicit = env.TEMPORAL_CLI_PATH?.trim();
  if (explicit) {
    if (isExecutable(explicit)) return found(explicit, 'TEMPORAL_CLI_PATH');
    throw new TemporalCliNotFoundError([
      `TEMPORAL_CLI_PATH=${explicit}: not an executable file (fix or unset it)`,
    ]);
  }

  const inPath = onPath('temporal', env);
  if (inPath) return found(inPath, 'PATH');
  attempts.push('`temporal` on PATH: not found');

  const dir = cacheDir(env);
  const cached = join(dir, 'temporal');
  if (isExecutable(cached)) return found(cached, 'cache');
  attempts.push(`cached build ${cached}: not there`);

  const go = onPath('go', env) ?? (opts.goFallbacks ?? ['/usr/local/go/bin/go']).find(isExecutable);
  if (go) {
    const version = goVersion(go);
    if (version && (version[0] > MIN_GO[0] || (version[0] === MIN_GO[0] && version[1] >= MIN_GO[1]))) {
      mkdirSync(dir, { recursive: true });
      log(
        `Building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install into ${dir} (minutes on a first build)...`,
      );
      const result = spawnSync(go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
        env: { ...env, GOBIN: dir },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      if (result.status === 0 && isExecutable(cached)) return found(cached, 'go install');
      attempts.push(
        `go install ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}: failed (exit ${result.status})`,
      );
    } else {
      attempts.push(
        `go install: Go ${version?.join('.') ?? '(unknown version)'} is older than ${MIN_GO.join('.')}`,
      );
    }
  } else {
    attempts.push('go install: Go is not installed');
  }

  if (opts.allowDownload ?? true) {
    log('Falling back to the Temporal SDK downloading the CLI (needs internet).');
    return { executable: { type: 'cached-download', downloadDir: dir }, source: 'SDK download' };
  }
  throw new TemporalCliNotFoundError(attempts);
}
