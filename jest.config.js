// Jest runs TypeScript through ts-jest (CommonJS). Projects:
// - unit: pure logic and adapters with their own local stand-ins; no shared engines.
// - integration: database, API and Temporal tests; globalSetup migrates a template database
//   once, and each test file clones its own fresh database from it.
// - e2e: the service as users run it (`npm start`), against provider stand-ins.
// - browser: the web console in Debian's Chromium (playwright-core) against `npm start`.
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };

/** @type {import('jest').Config} */
module.exports = {
  testTimeout: 60_000,
  maxWorkers: 2,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/unit'],
      testMatch: ['**/*.test.ts'],
      transform,
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/integration'],
      testMatch: ['**/*.test.ts'],
      transform,
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      setupFiles: ['<rootDir>/test/support/quiet-runtime.ts'],
    },
    {
      // The real stack: `npm start` as a child process (embedded Temporal and database).
      displayName: 'e2e',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/e2e'],
      testMatch: ['**/*.e2e.test.ts'],
      transform,
    },
    {
      displayName: 'browser',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/browser'],
      testMatch: ['**/*.browser.test.ts'],
      transform,
    },
  ],
};
