import { createLogger, type Logger, type LogLevel } from '@assay/logger';
import { createLogLineFormatter } from './log-line-formatter';

/** Options of {@link createConsoleLogger}. */
export interface ConsoleLoggerOptions {
  /** Shown in front of each line. @defaultValue "devstack" */
  name?: string;
  /** @defaultValue "info" */
  level?: LogLevel;
  /** Where lines go. @defaultValue process.stdout */
  stream?: { write(text: string): unknown };
  /** ANSI colours. @defaultValue false */
  colorize?: boolean;
}

/**
 * A logger for people at a terminal: the same pino logger as everywhere (secrets redacted), its
 * lines shown like the services' lines under `npm start` (`devstack | [12:00:01.234] INFO: ...`).
 */
export function createConsoleLogger(options: ConsoleLoggerOptions = {}): Logger {
  const name = options.name ?? 'devstack';
  const stream = options.stream ?? process.stdout;
  const format = createLogLineFormatter({ colorize: options.colorize ?? false });
  return createLogger({
    name,
    level: options.level ?? 'info',
    destination: { write: (line: string) => void stream.write(format(name, line.trimEnd())) },
  });
}
