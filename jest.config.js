// @ts-check
/**
 * One jest run covers unit tests (beside the code, `packages/* /src/**\/*.test.ts`) and the
 * integration and end-to-end suites under `tests/`. Sources are transformed with swc (no type
 * check here: `npm test` type-checks everything with tsc first).
 *
 * The global setup starts the backing services the suites need (Redis, PostgreSQL, the Python
 * environment) through @assay/devstack, exactly as `npm start` does.
 *
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
    '/node_modules/e2b/node_modules/chalk/.+\\.js$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
    ],
  },
  // The E2B SDK (used by @assay/sandbox's e2b backend) requires chalk 5, which is ES modules
  // only; jest's CommonJS loader cannot require it on Node 20, so that one package is compiled.
  transformIgnorePatterns: ['^(?!.*/node_modules/e2b/node_modules/chalk/).*/node_modules/'],
  moduleNameMapper: {
    // Workspace packages are tested from source.
    '^@assay/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    // Relative imports written with a .js extension (the Prisma client's) resolve to .ts sources.
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testMatch: [
    '<rootDir>/packages/*/src/**/*.test.ts',
    '<rootDir>/services/*/src/**/*.test.ts',
    '<rootDir>/tests/**/*.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  globalSetup: '<rootDir>/tests/setup/global-setup.ts',
  globalTeardown: '<rootDir>/tests/setup/global-teardown.ts',
  // Kernels and service processes are heavy on a 2-core machine: suites run one at a time.
  maxWorkers: 1,
  testTimeout: 60_000,
  // Fail loudly on handles left open rather than hang CI.
  forceExit: false,
};
