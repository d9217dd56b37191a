import { parseArgs } from 'node:util';
import { formatBytes } from '@assay/storage';
import { isAssayError } from '@assay/errors';
import { ADMIN_USAGE, adminCommand } from './admin-command';
import { inspectCommand } from './inspect-command';
import type { InspectReport } from './inspect-report';

/** Where the command writes; tests pass their own to capture output. */
export interface CommandStreams {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Exit codes: 0 success, 1 the file was refused or could not be read, 2 wrong usage. */
export const ExitCode = { OK: 0, FAILED: 1, USAGE: 2 } as const;

const USAGE = `Usage: assay inspect <file> [--json] [--python <path>]
       assay admin <tenant|key> <command> ...   (see assay admin --help)

Reads a .csv, .tsv, .xlsx or .xls file the way an Assay upload is read and prints its format,
encoding, delimiter, size, SHA-256 and, per sheet, the name, column headers and data row count
(what pandas will see). Cell values are never printed.

Options:
  --json            print one JSON object and nothing else (errors go to stderr)
  --python <path>   Python interpreter whose xlrd reads .xls files (default /usr/bin/python3)
  -h, --help        show this help
`;

/**
 * Entry point of the `assay` command. Returns the exit code instead of exiting, so that
 * pending output is flushed by Node's normal shutdown.
 * @param env the process environment, read by `assay admin` (DATABASE_URL, REDIS_URL, ASSAY_KEY_PREFIX)
 */
export async function main(
  argv: readonly string[],
  streams: CommandStreams = process,
  env: Record<string, string | undefined> = {},
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    streams.stdout.write(`${USAGE}\n${ADMIN_USAGE}`);
    return command === undefined ? ExitCode.USAGE : ExitCode.OK;
  }
  if (command === 'admin') return adminCommand(rest, streams, env);
  if (command !== 'inspect') {
    streams.stderr.write(`assay: unknown command "${command}".\n\n${USAGE}`);
    return ExitCode.USAGE;
  }

  let parsed;
  try {
    parsed = parseArgs({
      args: [...rest],
      allowPositionals: true,
      options: { json: { type: 'boolean', default: false }, python: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
  } catch (error) {
    streams.stderr.write(`assay inspect: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return ExitCode.USAGE;
  }
  if (parsed.values.help === true) {
    streams.stdout.write(USAGE);
    return ExitCode.OK;
  }
  if (parsed.positionals.length !== 1) {
    streams.stderr.write(`assay inspect: expected one file, got ${parsed.positionals.length}.\n\n${USAGE}`);
    return ExitCode.USAGE;
  }
  const [path] = parsed.positionals as [string];

  try {
    const report = await inspectCommand({ path, ...(parsed.values.python === undefined ? {} : { pythonPath: parsed.values.python }) });
    streams.stdout.write(parsed.values.json === true ? `${JSON.stringify(report)}\n` : describeReport(path, report));
    return ExitCode.OK;
  } catch (error) {
    const reason = isAssayError(error) ? `${error.message} [${error.code}]` : error instanceof Error ? error.message : String(error);
    streams.stderr.write(`assay inspect: ${reason}\n`);
    return ExitCode.FAILED;
  }
}

/** The human-readable form: one line about the file, then each sheet with its headers. */
function describeReport(path: string, report: InspectReport): string {
  const facts = [report.format, formatBytes(report.sizeBytes)];
  if (report.encoding !== null) facts.push(`encoding ${report.encoding}`);
  if (report.delimiter !== null) facts.push(`delimiter ${JSON.stringify(report.delimiter)}`);
  const lines = [`${path}: ${facts.join(', ')}`, `sha256 ${report.sha256}`];
  for (const sheet of report.sheets) {
    lines.push('', `${JSON.stringify(sheet.name)}: ${plural(sheet.rowCount, "data row")}, ${plural(sheet.headers.length, "column")}`);
    for (const [index, header] of sheet.headers.entries()) lines.push(`  ${String(index + 1).padStart(4)}  ${JSON.stringify(header)}`);
  }
  return `${lines.join('\n')}\n`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
