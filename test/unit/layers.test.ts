import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The layer rules of eslint.layers.mjs (which `npm run lint` applies) applied alone to sample
 * imports, each linted as if it were a file in `src/<dir>`: a direction the layout forbids is
 * refused, naming the rule; an allowed one passes. Runs in a node child process, since the ESLint
 * config is an ES module; without type information it takes seconds, not the full lint's minute.
 */
interface Case {
  file: string;
  code: string;
}
interface Verdict {
  file: string;
  code: string;
  rules: string[];
}

function lint(cases: Case[]): Verdict[] {
  const script = `
    import { ESLint } from 'eslint';
    import tseslint from 'typescript-eslint';
    import importPlugin from 'eslint-plugin-import';
    import { layers } from './eslint.layers.mjs';
    const cases = JSON.parse(process.argv[1]);
    const eslint = new ESLint({
      overrideConfigFile: true,
      overrideConfig: [
        {
          files: ['**/*.ts'],
          languageOptions: { parser: tseslint.parser },
          plugins: { import: importPlugin },
          settings: { 'import/resolver': { typescript: { project: './tsconfig.json' } } },
        },
        ...layers,
      ],
    });
    const out = [];
    for (const c of cases) {
      const [result] = await eslint.lintText(c.code, { filePath: c.file });
      out.push({ ...c, rules: result.messages.map((m) => m.ruleId ?? m.message) });
    }
    process.stdout.write(JSON.stringify(out));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(cases)], {
    cwd: join(__dirname, '../..'),
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`eslint failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Verdict[];
}

const refused: Case[] = [
  // The imports issue 19 found, each in the direction the layout forbids.
  { file: 'src/activities/probe.ts', code: "import { startSync } from '../client/index';" },
  { file: 'src/client/probe.ts', code: "import { healthActivities } from '../activities/health';" },
  { file: 'src/shared/probe.ts', code: "import type { Activities } from '../activities';" },
  { file: 'src/workers/probe.ts', code: "import { runCli } from '../client/cli';" },
  { file: 'src/temporal/probe.ts', code: "import { EXIT } from '../client/errors';" },
  { file: 'src/config/probe.ts', code: "import { connectClient } from '../temporal/connection';" },
  // Workflows as code from the CLI; activities as code, Node builtins and HTTP in workflows.
  { file: 'src/client/probe.ts', code: "import { campaignSync } from '../workflows';" },
  { file: 'src/workflows/probe.ts', code: "import { createActivities } from '../activities';" },
  { file: 'src/workflows/probe.ts', code: "import { readFileSync } from 'node:fs';" },
  { file: 'src/workflows/probe.ts', code: "import { request } from 'undici';" },
  // Workflows stand on src/shared alone.
  { file: 'src/workflows/probe.ts', code: "import { startSync } from '../temporal/sync-start';" },
  { file: 'src/workflows/probe.ts', code: "import { formatSummary } from '../client/format';" },
  { file: 'src/workflows/probe.ts', code: "import { createLogger } from '../observability/logger';" },
];

const allowed: Case[] = [
  { file: 'src/activities/probe.ts', code: "import { listRunningSyncs } from '../temporal/system';" },
  { file: 'src/client/probe.ts', code: "import { startSync } from '../temporal/sync-start';" },
  { file: 'src/client/probe.ts', code: "import type { campaignSync } from '../workflows';" },
  { file: 'src/workflows/probe.ts', code: "import type { Activities } from '../activities';" },
  { file: 'src/workflows/probe.ts', code: "import { syncWorkflowId } from '../shared/names';" },
  { file: 'src/workers/probe.ts', code: "import { createActivities } from '../activities';" },
  { file: 'src/providers/probe.ts', code: "import { parseDuration } from '../shared/duration';" },
];

describe('layers run one way (eslint.layers.mjs)', () => {
  const verdicts = lint([...refused, ...allowed]);

  it.each(refused.map((c) => [c.file, c.code]))('refuses in %s: %s', (file, code) => {
    const v = verdicts.find((x) => x.file === file && x.code === code)!;
    expect(
      v.rules.filter((r) => r === 'import/no-restricted-paths' || r === 'no-restricted-imports'),
    ).toHaveLength(1);
  });

  it.each(allowed.map((c) => [c.file, c.code]))('allows in %s: %s', (file, code) => {
    expect(verdicts.find((x) => x.file === file && x.code === code)!.rules).toEqual([]);
  });
});
