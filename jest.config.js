/** @type {import('jest').Config} */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Tests share 2 cores with libtorch's own thread pool: one file at a time keeps both honest.
  maxWorkers: 1,
  testTimeout: 180000,
};
