// @ts-check
/**
 * The layers of src (docs/development.md, "Layout"), each importing only those below it, and what
 * workflow code may import. eslint.config.mjs applies these; test/unit/layers.test.ts lints sample
 * imports with them alone, so a rule that stops refusing a wrong direction fails a test.
 */
import { builtinModules } from 'node:module';

/** Node builtins, in both spellings (`fs` and `node:fs`). */
const nodeBuiltins = builtinModules.flatMap((m) => [m, `node:${m}`]);

/** The infrastructure layers, on src/shared only. */
const INFRASTRUCTURE = ['config', 'codec', 'providers', 'validation', 'observability'];
const paths = (...layers) => layers.map((layer) => `./src/${layer}`);

export const layers = [
  {
    files: ['**/*.ts'],
    rules: {
      // Layers, each importing only those below it (docs/development.md, "Layout"):
      // shared (pure) < config, codec, providers, validation, observability (infrastructure)
      // < temporal (the Temporal operations every side shares) < activities, client (the CLI)
      // < workers. Workflows sit beside activities, on shared alone (their own rule, below).
      'import/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './src/shared',
              from: paths(...INFRASTRUCTURE, 'temporal', 'activities', 'workflows', 'client', 'workers'),
              message: 'src/shared is pure and stands alone: it imports nothing else of src.',
            },
            ...INFRASTRUCTURE.map((layer) => ({
              target: `./src/${layer}`,
              from: paths('temporal', 'activities', 'workflows', 'client', 'workers'),
              message: `src/${layer} is infrastructure: it may import src/shared and other infrastructure only.`,
            })),
            {
              target: './src/temporal',
              from: paths('activities', 'client', 'workers'),
              message:
                'src/temporal holds the Temporal operations the worker, activities and CLI share; ' +
                'it may not import any of them.',
            },
            {
              target: './src/workflows',
              from: paths(...INFRASTRUCTURE, 'temporal', 'client', 'workers'),
              message:
                'Workflow code is replayed: it imports src/shared (and activities as types) only; ' +
                'call an activity for anything else.',
            },
            {
              target: './src/activities',
              from: paths('workflows', 'client', 'workers'),
              message:
                'Activities may import shared, infrastructure and src/temporal, not the CLI or the worker.',
            },
            {
              target: './src/client',
              from: paths('activities', 'workers'),
              message:
                'The CLI talks to Temporal (src/temporal), not to activities or the worker; ' +
                'move a shape both need to src/shared.',
            },
            {
              target: './src/workers',
              from: paths('client'),
              message: 'The worker does not import the CLI: share through src/temporal.',
            },
          ],
        },
      ],
    },
  },
  {
    // The CLI and the Temporal operations may name a workflow's type (`typeof campaignSync`), never
    // load its code.
    files: ['src/client/**/*.ts', 'src/temporal/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/workflows', '**/workflows/**'],
              allowTypeImports: true,
              message: 'Import workflows as types only: the CLI starts and queries them through Temporal.',
            },
          ],
        },
      ],
    },
  },
  {
    // Workflow code is replayed and must stay deterministic: no Node builtins, no I/O libraries,
    // no metrics, no HTTP clients. Activities may be imported as types only.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({
              name,
              message: 'Workflow code must be deterministic: no Node builtins.',
            })),
            { name: 'pino', message: 'Use `log` from @temporalio/workflow in workflow code.' },
            { name: 'prom-client', message: 'Workflows never touch metrics; activities and the worker do.' },
            { name: 'undici', message: 'No HTTP in workflow code: call an activity.' },
            { name: 'axios', message: 'No HTTP in workflow code: call an activity.' },
            { name: '@temporalio/client', message: 'Use @temporalio/workflow APIs inside workflows.' },
            { name: '@temporalio/worker', message: 'Workflow code must not import the worker.' },
            { name: '@temporalio/activity', message: 'Workflow code must not import the activity context.' },
          ],
          patterns: [
            {
              group: ['**/providers', '**/providers/**', '**/config', '**/config/**', '**/workers/**'],
              message: 'Workflow code must not import side-effecting modules; call an activity.',
            },
            {
              group: ['**/activities', '**/activities/**'],
              allowTypeImports: true,
              message: 'Import activities as types only and call them through proxyActivities.',
            },
          ],
        },
      ],
    },
  },
];
