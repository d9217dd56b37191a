import { AssayError, ErrorCode } from '@assay/errors';
import { z } from 'zod';

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off', '']);

/** A boolean from the environment: accepts true/false, 1/0, yes/no, on/off (any case). */
export const BoolEnv = z.union([z.boolean(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'boolean') return value;
  const word = value.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  ctx.addIssue({ code: 'custom', message: `expected true or false, got "${value}"` });
  return z.NEVER;
});

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1_000,
  mb: 1_000_000,
  gb: 1_000_000_000,
  kib: 1_024,
  mib: 1_048_576,
  gib: 1_073_741_824,
};

/**
 * Parses a size such as `52428800`, `50MB`, `50 MiB` or `1.5GB` into bytes.
 * Returns undefined when the text is not a size.
 */
export function parseByteSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = BYTE_UNITS[(match[2] ?? '').toLowerCase()];
  if (unit === undefined) return undefined;
  return Math.floor(Number(match[1]) * unit);
}

/** A byte size from the environment (see {@link parseByteSize}); must be positive. */
export const ByteSizeEnv = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const bytes = typeof value === 'number' ? value : parseByteSize(value);
  if (bytes === undefined || !Number.isFinite(bytes) || bytes <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a positive size such as 52428800 or 50MB, got "${value}"` });
    return z.NEVER;
  }
  return bytes;
});

/** A positive whole number from the environment. */
export const PositiveIntEnv = z.coerce.number().int().positive();

/**
 * Parses a process's environment once, at start-up. On failure, throws a `CONFIG_INVALID`
 * error whose message names every variable that is wrong and why.
 */
export function parseEnv<S extends z.ZodType>(schema: S, source: Record<string, string | undefined> = process.env): z.output<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `  ${issue.path.join('.') || '(environment)'}: ${issue.message}`);
  throw new AssayError(ErrorCode.CONFIG_INVALID, `Invalid configuration:\n${problems.join('\n')}`, {
    details: { variables: result.error.issues.map((issue) => issue.path.join('.')) },
  });
}
