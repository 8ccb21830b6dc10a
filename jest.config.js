// ESM-only dependencies (jose, @kubernetes/client-node) load through Jest's
// require(esm) support, which needs NODE_OPTIONS=--experimental-vm-modules (set
// by the npm scripts). Three tiers: unit (no servers, fakes allowed and named as such), integration
// (the real local stack, started once by the global setup), end-to-end (the
// services running as processes against the real stack).
const shared = {
  transform: { '^.+\\.(t|j)sx?$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2023' }, module: { type: 'commonjs' } }] },
  testEnvironment: 'node',
};
const roots = '<rootDir>/{packages/*,services/*,operator,bench}';
// testTimeout is a global option (Jest ignores it inside a project): two minutes is for
// the integration and e2e tiers, and unit tests finish far inside it anyway.
module.exports = {
  testTimeout: 120000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: [`${roots}/test/unit/**/*.test.ts`] },
    {
      ...shared,
      displayName: 'integration',
      testMatch: [`${roots}/test/integration/**/*.test.ts`],
      globalSetup: '<rootDir>/packages/devstack/src/jest-global-setup.ts',
      globalTeardown: '<rootDir>/packages/devstack/src/jest-global-teardown.ts',
    },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: [`${roots}/test/e2e/**/*.test.ts`],
      globalSetup: '<rootDir>/packages/devstack/src/jest-global-setup.ts',
      globalTeardown: '<rootDir>/packages/devstack/src/jest-global-teardown.ts',
    },
  ],
};
