// The slow tier (`npm run test:slow`): exactly the test files listed in test/tiers.js, with the fast
// tier's settings.
const base = require('./jest.config');
const { SLOW_TESTS } = require('./test/tiers');

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: SLOW_TESTS.map((file) => `<rootDir>/test/${file}`),
  testPathIgnorePatterns: ['/node_modules/'],
};
