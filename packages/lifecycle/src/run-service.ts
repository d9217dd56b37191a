import { isAssayError } from '@assay/errors';

/**
 * Runs a service's `main`, turning a start-up failure into one readable line on stderr and
 * exit code 1 (a bad configuration should say what to fix, not print a stack).
 */
export function runService(name: string, main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    if (isAssayError(error)) {
      process.stderr.write(`${name} could not start: [${error.code}] ${error.message}\n`);
    } else {
      process.stderr.write(`${name} could not start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    }
    process.exit(1);
  });
}
