/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  // A guard against a hung test, not a deadline any test races (modelled transitions move the
  // endpoint's clock): sized so an integration test's first deploy (synth, then the whole stack)
  // still fits on a 2-core machine that is busy with something else.
  testTimeout: 180000,
  maxWorkers: 2,
  globalSetup: '<rootDir>/test/global-setup.js',
  globalTeardown: '<rootDir>/test/global-teardown.js',
  // In the repository (git-ignored), not in the system temp directory, which the suite leaves as it found it.
  cacheDirectory: '<rootDir>/.jest-cache',
  snapshotFormat: { escapeString: false, printBasicPrototype: false },
  // Coverage counts the library and the handler (the integration tests run the handler's bundle,
  // which is not instrumented, so the handler's figure comes from the unit tests alone).
  collectCoverageFrom: ['lib/**/*.ts', 'lambda/**/*.ts'],
  coverageReporters: ['text-summary', 'text'],
  coverageThreshold: {
    './lib/': { lines: 95 },
    './lambda/': { lines: 95 },
  },
};
