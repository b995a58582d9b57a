// Three tiers, one runner (run on the project's Node 24 through `npm test`; see the README's "Tests"):
//   unit        pure code: mappers, money, state rules (libs/**, apps/** *.spec.ts)
//   integration Nest modules in this process (@nestjs/testing) over the real Postgres and Redis (test/integration)
//   e2e         the built apps as child processes, for what only a process shows (test/*.e2e-spec.ts)
// Type checking runs once in `npm test` (tsc --noEmit); ts-jest only transpiles, which keeps the suite fast.
const tsJest = ['ts-jest', { tsconfig: { ...require('./tsconfig.json').compilerOptions, isolatedModules: true }, diagnostics: false }];
const moduleNameMapper = {
  '^@app/(common|payments|providers|persistence|auth|outbox|lifecycle|client|contract)$': '<rootDir>/libs/$1/src',
};
const base = { rootDir: __dirname, testEnvironment: 'node', transform: { '^.+\\.ts$': tsJest }, moduleNameMapper, moduleFileExtensions: ['ts', 'js', 'json'] };
const services = { globalSetup: '<rootDir>/test/global-setup.js', globalTeardown: '<rootDir>/test/global-teardown.js' };

module.exports = {
  // Per-project testTimeout is not honoured when several projects run; the end-to-end tests need the longer one.
  testTimeout: 60000,
  coverageDirectory: '<rootDir>/coverage',
  collectCoverageFrom: ['apps/**/*.ts', 'libs/**/*.ts', '!**/*.spec.ts', '!**/test-support/**', '!**/index.ts'],
  coverageReporters: ['text-summary', 'text'],
  projects: [
    { ...base, displayName: 'unit', testMatch: ['<rootDir>/libs/**/*.spec.ts', '<rootDir>/apps/**/*.spec.ts'] },
    { ...base, ...services, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts'] },
    { ...base, ...services, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
