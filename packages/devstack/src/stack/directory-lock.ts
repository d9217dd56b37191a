import fs from 'node:fs';
import path from 'node:path';
import { AssayError, ErrorCode } from '@assay/errors';
import { isProcessAlive } from '../process/process-info';

/** A held lock; {@link release} removes it. */
export interface DirectoryLock {
  /** The lock file. */
  readonly file: string;
  /** Releases the lock (only if this process still holds it). Idempotent. */
  release(): void;
}

/**
 * Marks `dir` as in use by this process (`<dir>/lock` holds the pid), so that two `npm start`
 * runs never share one set of servers. A lock whose process is gone is taken over.
 *
 * @param purpose - named in the error ("npm start")
 */
export function acquireDirectoryLock(dir: string, purpose: string): DirectoryLock {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'lock');
  for (let attempt = 0; attempt < 2; attempt += 1) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return {
        file,
        release() {
          try {
            if (fs.readFileSync(file, 'utf8').trim() === String(process.pid)) fs.rmSync(file, { force: true });
          } catch {
            // Already gone.
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isProcessAlive(holder)) {
        throw new AssayError(
          ErrorCode.CONFLICT,
          `Another ${purpose} (pid ${holder}) is using ${dir}. Stop it first (Ctrl-C in its terminal, or kill ${holder}).`,
          { status: 409, details: { pid: holder } },
        );
      }
      fs.rmSync(file, { force: true });
    }
  }
  throw new AssayError(ErrorCode.CONFLICT, `Could not lock ${dir} for ${purpose}: another process keeps taking the lock.`, { status: 409 });
}
