// `npm start`: install and build when needed, then run the development stack
// (@assay/devstack's start CLI: system packages, Redis, PostgreSQL, migrations, services).
import path from 'node:path';
import { createRequire } from 'node:module';
import { fail, prepare, projectDir } from './prepare.mjs';

const prepared = await prepare();
if (prepared !== 0) process.exit(prepared);

let exitCode;
try {
  const cli = createRequire(import.meta.url)(path.join(projectDir, 'packages/devstack/dist/cli/start.js'));
  exitCode = await cli.main();
} catch (error) {
  exitCode = fail(error instanceof Error ? (error.stack ?? error.message) : String(error));
}
process.exitCode = exitCode;
// Exit even if a library left a handle open: the stack is stopped by now.
setTimeout(() => process.exit(exitCode), 2_000).unref();
