import fs from 'node:fs';
import path from 'node:path';
import { AssayError, ErrorCode } from '@assay/errors';
import { createLogger, type Logger } from '@assay/logger';
import { redactUrl } from '../postgres/postgres-url';
import { runCommand } from '../process/run-command';

/** Options of {@link migrateDatabase}. */
export interface MigrateDatabaseOptions {
  /** Repository root: where prisma.config.ts and prisma/migrations are. */
  projectDir: string;
  /** The migration run is killed after this long. @defaultValue 120_000 */
  timeoutMs?: number;
  /** @defaultValue a silent logger */
  logger?: Logger;
}

function prismaCli(projectDir: string): string {
  const packageJson = require.resolve('prisma/package.json', { paths: [projectDir] });
  const manifest = JSON.parse(fs.readFileSync(packageJson, 'utf8')) as { bin?: string | Record<string, string> };
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.prisma;
  if (bin === undefined) throw new Error(`The prisma package at ${path.dirname(packageJson)} declares no "prisma" program.`);
  return path.join(path.dirname(packageJson), bin);
}

/**
 * Applies the repository's pending migrations (`prisma migrate deploy`, run from the project
 * directory with DATABASE_URL set) to the database the URL names.
 */
export async function migrateDatabase(databaseUrl: string, options: MigrateDatabaseOptions): Promise<void> {
  const logger = options.logger ?? createLogger({ name: 'devstack', level: 'silent' });
  const started = Date.now();
  const result = await runCommand(process.execPath, [prismaCli(options.projectDir), 'migrate', 'deploy'], {
    cwd: options.projectDir,
    // CHECKPOINT_DISABLE: no update check over the network on every run.
    env: { ...process.env, DATABASE_URL: databaseUrl, CHECKPOINT_DISABLE: '1' },
    timeoutMs: options.timeoutMs ?? 120_000,
  });
  if (result.exitCode !== 0) {
    throw new AssayError(
      ErrorCode.INTERNAL,
      `"prisma migrate deploy" failed on ${redactUrl(databaseUrl)} (exit code ${String(result.exitCode)}, signal ${String(result.signal)}):\n` +
        `${result.stdout}${result.stderr}`.trim(),
    );
  }
  const applied = /(\d+) migrations? found/.exec(result.stdout)?.[1];
  logger.info({ durationMs: Date.now() - started }, `database schema is up to date (${applied ?? 'all'} migrations in prisma/migrations)`);
}
