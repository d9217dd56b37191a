import path from 'node:path';
import { createConsoleLogger, startTestStack } from '@assay/devstack';
import { keepTestStack } from './test-stack-handle';

/**
 * Jest global setup: starts the test stack once per run (see `startTestStack` in
 * @assay/devstack) and exports it to the test files through environment variables, which the
 * test workers inherit from this process:
 *
 * - DATABASE_URL: a fresh, migrated database of this run
 * - REDIS_URL: Redis for this run (keys under ASSAY_KEY_PREFIX)
 * - ASSAY_KEY_PREFIX: unique per run
 * - ASSAY_TEST_DATA_DIR: a fresh empty directory
 *
 * REDIS_URL / DATABASE_URL set before the run are used when they answer (the run then creates
 * its own database on that server); otherwise throw-away servers run under .assay/test/.
 */
export default async function globalSetup(): Promise<void> {
  const logger = createConsoleLogger({ name: 'test-stack', level: 'info', stream: process.stderr });
  process.stderr.write('\n');
  const stack = await startTestStack({
    projectDir: path.resolve(__dirname, '..', '..'),
    redisUrl: process.env.REDIS_URL,
    databaseUrl: process.env.DATABASE_URL,
    logger,
  });
  Object.assign(process.env, stack.env);
  keepTestStack(stack);
}
