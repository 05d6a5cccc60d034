/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // CLI tests run dist/: it is compiled once, before any test file.
  globalSetup: '<rootDir>/test/setup/build-dist.js',
  // Tests share 2 cores with libtorch's own thread pool: one file at a time keeps both honest.
  maxWorkers: 1,
  testTimeout: 180000,
};
