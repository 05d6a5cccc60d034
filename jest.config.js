// The fast tier, `npm test`: every test file but the slow ones that test/tiers.js lists (docs/testing.md).
const { SLOW_TESTS } = require('./test/tiers');

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // Transpile only: `npm run typecheck` (the first step of `npm run lint`) type-checks lib/ and test/ once,
  // where ts-jest would build a language service and check each test file's imports again.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true } }] },
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', ...SLOW_TESTS.map((file) => `/test/${escapeRegExp(file)}$`)],
  // CLI tests run dist/: it is compiled once, before any test file.
  globalSetup: '<rootDir>/test/setup/build-dist.js',
  // Tests share 2 cores with libtorch's own thread pool: one file at a time keeps both honest.
  maxWorkers: 1,
  testTimeout: 180000,
};
