#!/usr/bin/env node
// The CLI. It runs the compiled output (dist/, from `npm run build`) when that is at least as new
// as the sources, and otherwise the TypeScript sources through tsx (a dependency), so a command
// never waits for a whole `tsc` and never runs stale code. Neither available: say what to do,
// without a stack trace.
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const compiled = join(root, 'dist', 'src', 'client', 'main.js');
const source = join(root, 'src', 'client', 'main.ts');

/** The newest modification time of a .ts file under `dir` (0 when there is none). */
function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function fail(message) {
  process.stderr.write(`campaign-sync: ${message}\n`);
  process.exit(1);
}

const hasSource = existsSync(source);
const compiledFresh =
  existsSync(compiled) && (!hasSource || statSync(compiled).mtimeMs >= newestSource(join(root, 'src')));

if (compiledFresh) {
  require(compiled);
} else if (hasSource) {
  try {
    require.resolve('tsx/cjs');
  } catch {
    fail(
      `it is not built (no ${join('dist', 'src', 'client', 'main.js')}) and tsx, which runs it from source, ` +
        `is not installed. Run \`npm install\` (and \`npm run build\` for the fastest start) in ${root}.`,
    );
  }
  require('tsx/cjs');
  require(source);
} else {
  fail(`it is not built: run \`npm install && npm run build\` in ${root}.`);
}
