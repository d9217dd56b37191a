import crypto from 'node:crypto';
import fs from 'node:fs';

/**
 * Reads a secret from `file`, creating it first (random, URL-safe, mode 0600) when missing.
 * The stack's generated passwords live next to the data they protect, so that a restart finds
 * them and deleting the data directory resets both.
 */
export function readOrCreateSecret(file: string): string {
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length > 0) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secret = crypto.randomBytes(24).toString('base64url');
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/** The text a file gained since it was `offset` bytes long, at most its last `maxBytes`. */
export function readFileTail(file: string, offset = 0, maxBytes = 4_000): string {
  try {
    const size = fs.statSync(file).size;
    const start = Math.max(offset, size - maxBytes);
    if (size <= start) return '';
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(size - start);
      fs.readSync(fd, buffer, 0, buffer.length, start);
      return buffer.toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

/** Current size of a file in bytes, 0 when it does not exist. */
export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Reads a pid from the first line of a pid file; undefined when missing or malformed. */
export function readPidFile(file: string): number | undefined {
  try {
    const first = fs.readFileSync(file, 'utf8').split('\n', 1)[0]?.trim() ?? '';
    const pid = Number(first);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}
