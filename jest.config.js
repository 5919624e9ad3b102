/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.tsx?$': ['@swc/jest', { jsc: { target: 'es2022' } }],
  },
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  // A scratch folder for the run, removed after it. IAM in the twin: the app's roles synthesized
  // once before the run; every twin's usage report merged after it, which fails the run on a denied
  // call or, after the whole e2e suite, on an unused grant (test/e2e/support/iam). Every answer of
  // a twin's REST API is checked against docs/openapi.json (test/e2e/support/contract-check.ts).
  globalSetup: '<rootDir>/test/global-setup.ts',
  globalTeardown: '<rootDir>/test/global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/test/e2e/support/iam/test-file.ts', '<rootDir>/test/e2e/support/contract-check.ts'],
  testTimeout: 30000,
  // CI has two cores; infra synth and e2e tests are CPU-heavy.
  maxWorkers: 2,
};
