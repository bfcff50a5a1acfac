import { execFileSync, spawnSync } from 'node:child_process';

/** True when `command` is on PATH. */
function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/**
 * The Alertmanager server's command: `alertmanager` as upstream names it (and its image), or
 * `prometheus-alertmanager` as Debian's package does. Undefined when neither is on PATH.
 */
export function alertmanagerCommand(): string | undefined {
  return ['alertmanager', 'prometheus-alertmanager'].find(onPath);
}

/** Debian's packages the tests need, with a check that each one's binaries are there. */
const PACKAGES = [
  // The alert rule tests run promtool; integration tests scrape the worker with a real Prometheus.
  {
    name: 'prometheus',
    binaries: 'prometheus, promtool',
    installed: () => onPath('prometheus') && onPath('promtool'),
  },
  // The Alertmanager config is checked with amtool; an integration test delivers an alert through it.
  {
    name: 'prometheus-alertmanager',
    binaries: 'alertmanager, amtool',
    installed: () => alertmanagerCommand() !== undefined && onPath('amtool'),
  },
];

/**
 * Makes sure `prometheus`, `promtool`, `alertmanager` and `amtool` (Debian's `prometheus` and
 * `prometheus-alertmanager` packages) are installed. On a Debian machine where this runs as root,
 * installs the missing packages with apt-get; elsewhere fails with what to install.
 */
export function ensurePrometheus(log: (message: string) => void = () => undefined): void {
  const missing = PACKAGES.filter((p) => !p.installed());
  if (missing.length === 0) return;
  const names = missing.map((p) => p.name);
  const binaries = missing.map((p) => p.binaries);
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !onPath('apt-get')) {
    throw new Error(
      `${binaries.join(', ')} are needed by the tests: install Debian's ${names.map((n) => `'${n}'`).join(' and ')} ` +
        `package${names.length > 1 ? 's' : ''} (apt-get install ${names.join(' ')}), or put the binaries on PATH.`,
    );
  }
  log(`installing Debian's ${names.join(', ')} (${binaries.join(', ')}) with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], {
    stdio: 'ignore',
    env,
  });
  const still = missing.filter((p) => !p.installed()).map((p) => p.binaries);
  if (still.length > 0)
    throw new Error(`apt-get installed ${names.join(', ')}, but ${still.join(', ')} are still not on PATH`);
}

if (require.main === module) {
  ensurePrometheus((m) => console.log(m));
  console.log('prometheus, promtool, alertmanager and amtool are installed');
}
