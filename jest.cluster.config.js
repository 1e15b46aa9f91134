// The production topology's tests (`npm run test:cluster`, CI's cluster phase): PostgreSQL, the
// real Temporal server and separate API/worker processes, started by test/support/cluster.ts.
// Not part of `npm test`: the Temporal server is a Go build that takes minutes the first time.
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };

/** @type {import('jest').Config} */
module.exports = {
  displayName: 'cluster',
  testEnvironment: 'node',
  roots: ['<rootDir>/test/cluster'],
  testMatch: ['**/*.test.ts'],
  transform,
  testTimeout: 300_000,
  // One cluster at a time: each is a PostgreSQL, a Temporal server and three Node processes.
  maxWorkers: 1,
};
