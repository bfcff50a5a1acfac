/**
 * Three projects; `npm test` runs them all, `npm run test:unit` the first two (seconds, no server):
 * - unit: pure code, and the deploy files checked with promtool, amtool and systemd-analyze;
 * - emulators: the provider emulators over HTTP, and the official MailerLite SDK against them;
 * - integration: real workers against a real Temporal dev server (started once by the global
 *   setup, with the workflow bundle), Prometheus and Chromium where a test needs them.
 */
const common = {
  testEnvironment: 'node',
  testMatch: ['**/*.test.ts'],
  transform: {
    // Type-checking is `npm run typecheck`'s job; jest only transpiles.
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
};

/** @type {import('jest').Config} */
module.exports = {
  // Workflow tests start real workers against a real dev server; give them room on a 2-core machine.
  maxWorkers: 2,
  testTimeout: 120_000,
  projects: [
    { ...common, displayName: 'unit', roots: ['<rootDir>/test/unit'] },
    {
      ...common,
      displayName: 'emulators',
      roots: ['<rootDir>/test/emulators', '<rootDir>/test/contract'],
    },
    {
      ...common,
      displayName: 'integration',
      roots: ['<rootDir>/test/integration'],
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
    },
  ],
};
