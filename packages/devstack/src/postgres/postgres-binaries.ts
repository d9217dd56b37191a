import fs from 'node:fs';
import path from 'node:path';
import { findExecutable } from '../system/find-executable';

/** The PostgreSQL server programs the stack runs. */
export interface PostgresBinaries {
  /** Directory holding them, e.g. `/usr/lib/postgresql/15/bin`. */
  binDir: string;
  initdb: string;
  postgres: string;
  /** Major version (a data directory only works with the major version that created it). */
  majorVersion: number;
}

/** Where Debian installs each PostgreSQL major version (`<root>/<major>/bin`). */
const DEBIAN_POSTGRES_ROOT = '/usr/lib/postgresql';

function binariesIn(binDir: string, majorVersion: number): PostgresBinaries | undefined {
  const initdb = path.join(binDir, 'initdb');
  const postgres = path.join(binDir, 'postgres');
  try {
    fs.accessSync(initdb, fs.constants.X_OK);
    fs.accessSync(postgres, fs.constants.X_OK);
    return { binDir, initdb, postgres, majorVersion };
  } catch {
    return undefined;
  }
}

/**
 * Finds PostgreSQL's server programs: the newest Debian-installed major version, else
 * `initdb` and `postgres` on PATH (version read from `postgres --version` is not needed there:
 * the major is taken from the directory name when it is one, 0 otherwise).
 *
 * @returns undefined when no server is installed
 */
export function findPostgresBinaries(debianRoot: string = DEBIAN_POSTGRES_ROOT): PostgresBinaries | undefined {
  let versions: number[] = [];
  try {
    versions = fs
      .readdirSync(debianRoot)
      .map((entry) => Number(entry))
      .filter((version) => Number.isInteger(version) && version > 0)
      .sort((a, b) => b - a);
  } catch {
    // No Debian layout.
  }
  for (const version of versions) {
    const found = binariesIn(path.join(debianRoot, String(version), 'bin'), version);
    if (found) return found;
  }
  const initdb = findExecutable('initdb');
  if (initdb === undefined) return undefined;
  const binDir = path.dirname(fs.realpathSync(initdb));
  const major = Number(path.basename(path.dirname(binDir)));
  return binariesIn(binDir, Number.isInteger(major) ? major : 0);
}
