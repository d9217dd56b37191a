/**
 * `npm test`'s system step (called by scripts/test.mjs after install and build): makes sure
 * the Python analysis stack, the test suites' Python tools and bubblewrap are installed, and
 * redis-server / postgresql unless REDIS_URL / DATABASE_URL answer. Installs with apt-get when it can; otherwise prints the
 * command to run and exits with 1.
 */
import { parseEnv } from '@assay/config';
import { planBackingServices } from '../stack/backing-services';
import { createConsoleLogger } from '../supervisor/console-logger';
import { ensureSystemPackages } from '../system/ensure-system-packages';
import { PYTHON_TEST_MODULES, analysisRequirements, pythonModulesRequirement } from '../system/system-requirement';
import { reportError } from './report-error';
import { StartEnv } from './start-env';

/**
 * Checks and installs the system packages of the test stack.
 *
 * @returns the process exit code
 */
export async function main(): Promise<number> {
  try {
    const settings = parseEnv(StartEnv, process.env);
    const logger = createConsoleLogger({ level: settings.LOG_LEVEL, colorize: process.stdout.isTTY === true && settings.NO_COLOR === undefined });
    const plan = await planBackingServices({ redisUrl: settings.REDIS_URL, databaseUrl: settings.DATABASE_URL, logger });
    const requirements = [...analysisRequirements(), pythonModulesRequirement({ modules: PYTHON_TEST_MODULES }), ...plan.requirements];
    const { installed } = await ensureSystemPackages({ requirements, logger });
    logger.info(installed.length > 0 ? `installed ${installed.join(' ')}` : 'system packages are in place');
    return 0;
  } catch (error) {
    reportError(error);
    return 1;
  }
}

if (require.main === module) {
  void main().then((exitCode) => {
    process.exitCode = exitCode;
  });
}
