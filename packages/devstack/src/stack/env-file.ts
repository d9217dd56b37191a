import fs from 'node:fs';

/**
 * Parses `KEY=VALUE` lines (blank lines and `#` comments ignored, surrounding quotes removed).
 * Enough for the files the stack writes; not a full dotenv parser.
 */
export function parseEnvFile(text: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const rawLine of text.split('\n')) {
    const line = rawLine.trim();
    if (line.length === 0 || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!match?.[1]) continue;
    const value = (match[2] ?? '').replace(/^(['"])(.*)\1$/, '$2');
    values[match[1]] = value;
  }
  return values;
}

/** Formats values as `KEY=VALUE` lines under a comment; values must not contain newlines. */
export function formatEnvFile(values: Record<string, string>, comment: string): string {
  const lines = Object.entries(values).map(([key, value]) => {
    if (/[\r\n]/.test(value)) throw new Error(`The value of ${key} contains a line break.`);
    return `${key}=${value}`;
  });
  return `${comment
    .split('\n')
    .map((line) => `# ${line}`)
    .join('\n')}\n${lines.join('\n')}\n`;
}

/** Reads an env file; an empty object when it does not exist. */
export function readEnvFile(file: string): Record<string, string> {
  try {
    return parseEnvFile(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

/** Writes an env file readable by its owner only (it holds credentials). */
export function writeEnvFile(file: string, values: Record<string, string>, comment: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, formatEnvFile(values, comment), { mode: 0o600 });
  fs.renameSync(temporary, file);
}
