import { prettyFactory } from 'pino-pretty';

/** Turns one line a process printed into the text shown for it (may span several lines). */
export type LogLineFormatter = (source: string, line: string) => string;

/** Options of {@link createLogLineFormatter}. */
export interface LogLineFormatterOptions {
  /** ANSI colours (levels, source names). @defaultValue false */
  colorize?: boolean;
  /** Source names are padded to this width so that messages line up. @defaultValue 16 */
  sourceWidth?: number;
}

const CYAN = '\u001b[36m';
const RESET = '\u001b[39m';

function parseLogObject(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const record = value as Record<string, unknown>;
    return 'level' in record && 'msg' in record ? record : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Creates the formatter of the supervisor's output: pino JSON lines become one readable line
 * (`[12:00:01.234] INFO: message {"field":1}`, errors with their stack), anything else (a
 * crash's stack trace, a warning from Node) is shown as printed; every line gets the source's
 * name in front.
 *
 * @example
 * const format = createLogLineFormatter({ colorize: process.stdout.isTTY });
 * process.stdout.write(format('gateway', '{"level":"info","time":"...","msg":"listening"}'));
 */
export function createLogLineFormatter(options: LogLineFormatterOptions = {}): LogLineFormatter {
  const colorize = options.colorize ?? false;
  const sourceWidth = options.sourceWidth ?? 16;
  const pretty = prettyFactory({
    colorize,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    // The source name is already in front of the line; pid and host are noise locally.
    ignore: 'pid,hostname,service',
  });
  return (source, line) => {
    const record = parseLogObject(line);
    const text = record === undefined ? line : pretty(record).trimEnd();
    const name = source.padEnd(sourceWidth);
    const prefix = colorize ? `${CYAN}${name}${RESET} | ` : `${name} | `;
    return `${text
      .split('\n')
      .map((part) => prefix + part)
      .join('\n')}\n`;
  };
}
