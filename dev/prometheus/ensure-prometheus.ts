import { execFileSync, spawnSync } from 'node:child_process';

/** True when `command` is on PATH. */
function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Makes sure `prometheus` and `promtool` (Debian's `prometheus` package) are installed: the alert
 * rule tests run promtool and an integration test scrapes the worker with a real Prometheus. On a
 * Debian machine where this runs as root, installs the package with apt-get; elsewhere fails with
 * what to install.
 */
export function ensurePrometheus(log: (message: string) => void = () => undefined): void {
  if (onPath('prometheus') && onPath('promtool')) return;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !onPath('apt-get')) {
    throw new Error(
      "prometheus and promtool are needed by the tests: install Debian's 'prometheus' package " +
        '(apt-get install prometheus), or put both binaries on PATH.',
    );
  }
  log("installing Debian's prometheus package (prometheus, promtool) with apt-get");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'prometheus'], {
    stdio: 'ignore',
    env,
  });
  if (!onPath('promtool')) throw new Error('apt-get installed prometheus, but promtool is still not on PATH');
}

if (require.main === module) {
  ensurePrometheus((m) => console.log(m));
  console.log('prometheus and promtool are installed');
}
