import type { Logger } from '@assay/logger';

/** One step of a shutdown, run in order (e.g. "stop accepting requests", "close workers"). */
export interface ShutdownStep {
  name: string;
  run: () => Promise<void>;
}

/** Options of {@link installShutdownHandler}. */
export interface ShutdownOptions {
  logger: Logger;
  /** Steps in the order they run; a failing step is logged and the next one still runs. */
  steps: ShutdownStep[];
  /**
   * Time allowed for all steps; past it the process exits with code 1.
   * @defaultValue 25_000 (below Kubernetes' default 30 s grace period)
   */
  deadlineMs?: number;
  /** @defaultValue ['SIGTERM', 'SIGINT'] */
  signals?: NodeJS.Signals[];
}

/**
 * On SIGTERM/SIGINT, runs the shutdown steps in order (drain in-flight work, then disconnect),
 * then exits 0; exits 1 if they overrun the deadline. A second signal does not start a second
 * shutdown. Returns a function that runs the same shutdown on demand.
 */
export function installShutdownHandler(options: ShutdownOptions): (reason: string) => Promise<void> {
  const deadlineMs = options.deadlineMs ?? 25_000;
  let shuttingDown: Promise<void> | undefined;

  const shutdown = (reason: string): Promise<void> => {
    shuttingDown ??= (async () => {
      options.logger.info({ reason, deadlineMs }, 'shutting down');
      const deadline = setTimeout(() => {
        options.logger.error({ deadlineMs }, 'shutdown overran its deadline; exiting');
        process.exit(1);
      }, deadlineMs);
      deadline.unref();
      for (const step of options.steps) {
        try {
          await step.run();
        } catch (error) {
          options.logger.error({ err: error, step: step.name }, 'shutdown step failed');
        }
      }
      clearTimeout(deadline);
      options.logger.info('stopped');
    })();
    return shuttingDown;
  };

  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      void shutdown(signal).then(() => process.exit(0));
    });
  }
  return shutdown;
}
