import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Where Debian's `chromium` package puts the browser; the browser test drives it with playwright-core. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Makes sure a Chromium is installed for the Web UI test (playwright-core downloads no browser). On
 * a Debian machine where this runs as root, installs Debian's `chromium` package with apt-get;
 * elsewhere fails with what to install. Returns the browser's path.
 */
export function ensureChromium(log: (message: string) => void = () => undefined): string {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !existsSync('/usr/bin/apt-get') || process.env.CHROMIUM_PATH) {
    throw new Error(
      `Chromium is needed by the Web UI test and was not found at ${CHROMIUM_PATH}: install Debian's ` +
        "'chromium' package (apt-get install chromium), or set CHROMIUM_PATH to a Chromium binary.",
    );
  }
  log("installing Debian's chromium package with apt-get (for the Web UI test)");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'ignore', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], {
    stdio: 'ignore',
    env,
  });
  if (!existsSync(CHROMIUM_PATH))
    throw new Error(`apt-get installed chromium, but ${CHROMIUM_PATH} is missing`);
  return CHROMIUM_PATH;
}

if (require.main === module) {
  console.log(`chromium: ${ensureChromium((m) => console.log(m))}`);
}
