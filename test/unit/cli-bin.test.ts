import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** A copy of the package's `bin/campaign-sync.js` with only `parts` of the checkout beside it (no dist/). */
function checkout(parts: ('src' | 'node_modules')[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'campaign-sync-bin-'));
  mkdirSync(join(dir, 'bin'));
  copyFileSync(join(ROOT, 'bin', 'campaign-sync.js'), join(dir, 'bin', 'campaign-sync.js'));
  for (const part of parts) symlinkSync(join(ROOT, part), join(dir, part));
  return dir;
}

function run(dir: string, args: string[]) {
  return spawnSync(process.execPath, [join(dir, 'bin', 'campaign-sync.js'), ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
}

describe('bin/campaign-sync.js before a build', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('runs the sources through tsx when there is no dist/', () => {
    const dir = checkout(['src', 'node_modules']);
    dirs.push(dir);
    const help = run(dir, ['config', 'check', '--help']);
    expect(help.stderr).toBe('');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/Usage: campaign-sync config check \[options\]/);
    expect(help.stdout).toContain('--connect');
  });

  it('says what to run, without a stack trace, when it can run neither', () => {
    const bare = checkout([]);
    const noTsx = checkout(['src']);
    dirs.push(bare, noTsx);
    const notBuilt = run(bare, ['help']);
    expect(notBuilt.status).toBe(1);
    expect(notBuilt.stderr).toBe(
      `campaign-sync: it is not built: run \`npm install && npm run build\` in ${bare}.\n`,
    );
    const notInstalled = run(noTsx, ['help']);
    expect(notInstalled.status).toBe(1);
    expect(notInstalled.stderr).toMatch(
      /^campaign-sync: it is not built \(no dist\/src\/client\/main\.js\) and tsx/,
    );
    expect(notInstalled.stderr).toMatch(/Run `npm install`/);
    expect(notInstalled.stderr).not.toMatch(/^\s+at /m);
  });
});
