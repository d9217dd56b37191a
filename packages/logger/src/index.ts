import pino from 'pino';

export type { Logger } from 'pino';

/** Log levels, most verbose first. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Ids a log line carries when it is about a tenant's work. Put them on a child logger
 * (`logger.child({ tenantId, chatId })`) so every line of a job or request has them.
 */
export interface LogContext {
  tenantId?: string;
  chatId?: string;
  messageId?: string;
  fileId?: string;
  cellId?: string;
  jobId?: string;
  queue?: string;
  requestId?: string;
}

export interface LoggerOptions {
  /** Component name, logged as `service` on every line (e.g. "gateway", "executor-worker"). */
  name: string;
  /** @defaultValue "info" */
  level?: LogLevel;
  /** Where lines go. @defaultValue standard output */
  destination?: pino.DestinationStream;
}

/**
 * Paths whose values never reach a log line. Keys are secrets; so are data rows, which never
 * belong in logs either.
 */
const REDACTED_PATHS = [
  'authorization',
  'apiKey',
  'token',
  'password',
  'secret',
  '*.authorization',
  '*.apiKey',
  '*.token',
  '*.password',
  '*.secret',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
];

/**
 * Creates the root logger of a process: JSON lines with an ISO time, the level as a word,
 * the component name, and secrets redacted.
 *
 * @example
 * const logger = createLogger({ name: 'ingest-worker', level: env.LOG_LEVEL });
 * logger.child({ tenantId, fileId, jobId }).info('file ingested');
 */
export function createLogger(options: LoggerOptions): pino.Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.name, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.errWithCause },
    },
    options.destination,
  );
}
