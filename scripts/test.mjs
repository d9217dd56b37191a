// `npm test`: install and build when needed, make sure the system packages are there, type-check
// the tests, then run jest (extra arguments go to jest: `npm test -- tests/e2e`). The exit code
// is jest's. Jest's global setup (tests/setup) starts Redis and PostgreSQL for the run.
import { fail, forwardSignals, prepare, run, say } from './prepare.mjs';

const prepared = await prepare();
if (prepared !== 0) process.exit(prepared);

forwardSignals(true);
say('Checking system packages');
const system = await run(process.execPath, ['packages/devstack/dist/cli/ensure-system-packages.js']);
if (system !== 0) process.exit(system);

say('Type-checking tests (tsc -p tsconfig.tests.json)');
const typecheck = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.tests.json']);
if (typecheck !== 0) process.exit(fail(`The tests do not type-check (tsc exit code ${typecheck}); see the errors above.`, typecheck));

say('Running jest');
const jest = await run(process.execPath, ['node_modules/jest/bin/jest.js', ...process.argv.slice(2)]);
process.exit(jest);
