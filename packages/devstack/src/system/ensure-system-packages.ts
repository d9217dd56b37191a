import { createLogger, type Logger } from '@assay/logger';
import { EnvironmentMissingError } from '../errors/environment-missing-error';
import { runCommand } from '../process/run-command';
import { APT_ENVIRONMENT, aptInstallArguments, formatAptInstallCommand, normalizePackageList } from './apt-command';
import { findExecutable } from './find-executable';
import { analysisRequirements, type SystemRequirement } from './system-requirement';

/** Options of {@link ensureSystemPackages}. */
export interface EnsureSystemPackagesOptions {
  /** What to check. @defaultValue {@link analysisRequirements} (Python stack and bubblewrap) */
  requirements?: readonly SystemRequirement[];
  /**
   * Install what is missing with apt-get when this process can (root, Debian). When false,
   * only check, and throw with the command to run.
   * @defaultValue true
   */
  install?: boolean;
  /**
   * How long apt-get may wait for another package manager run to release dpkg's lock.
   * @defaultValue 300_000
   */
  dpkgLockTimeoutMs?: number;
  /** Receives progress messages. @defaultValue a silent logger */
  logger?: Logger;
}

/** The result of {@link ensureSystemPackages}. */
export interface EnsureSystemPackagesResult {
  /** Debian packages this call installed (empty when everything was there). */
  installed: string[];
}

async function findMissing(requirements: readonly SystemRequirement[]): Promise<Map<string, string>> {
  const lists = await Promise.all(requirements.map((requirement) => requirement.findMissingPackages()));
  const missing = new Map<string, string>();
  lists.forEach((packages, index) => {
    for (const pkg of packages) missing.set(pkg, requirements[index]?.description ?? pkg);
  });
  return missing;
}

function describeMissing(missing: Map<string, string>): string {
  return normalizePackageList(missing.keys())
    .map((pkg) => `${pkg} (${missing.get(pkg) ?? ''})`)
    .join(', ');
}

function cannotInstall(missing: Map<string, string>, reason: string): EnvironmentMissingError {
  const packages = normalizePackageList(missing.keys());
  const command = formatAptInstallCommand(packages);
  return new EnvironmentMissingError(
    `This machine lacks Debian packages Assay needs: ${describeMissing(missing)}. ${reason} ` +
      `Install them as root with:\n\n    ${command}\n\nthen run the command again.`,
    { packages, installCommand: command },
  );
}

/**
 * Checks the machine for what the stack needs and installs the missing Debian packages in one
 * apt-get run. Where it cannot install (not root, no apt-get, or `install: false`) it changes
 * nothing and throws an {@link EnvironmentMissingError} whose message is the exact command to run.
 *
 * @example
 * const { installed } = await ensureSystemPackages({
 *   requirements: [...analysisRequirements(), redisServerRequirement()],
 *   logger,
 * });
 */
export async function ensureSystemPackages(options: EnsureSystemPackagesOptions = {}): Promise<EnsureSystemPackagesResult> {
  const requirements = options.requirements ?? analysisRequirements();
  const install = options.install ?? true;
  const dpkgLockTimeoutMs = options.dpkgLockTimeoutMs ?? 300_000;
  const logger = options.logger ?? createLogger({ name: 'devstack', level: 'silent' });

  const missing = await findMissing(requirements);
  if (missing.size === 0) return { installed: [] };

  if (!install) throw cannotInstall(missing, 'Checking only (installing was not requested).');
  if (process.getuid?.() !== 0) throw cannotInstall(missing, 'This process cannot install them: it is not running as root.');
  const aptGet = findExecutable('apt-get');
  if (aptGet === undefined) {
    throw cannotInstall(
      missing,
      'This process cannot install them: apt-get was not found (this is not a Debian-based system; install the equivalent packages of your distribution).',
    );
  }

  const packages = normalizePackageList(missing.keys());
  logger.info({ packages }, `installing Debian packages: ${packages.join(' ')}`);
  const env = { ...process.env, ...APT_ENVIRONMENT };
  const lockOption = ['-o', `DPkg::Lock::Timeout=${Math.ceil(dpkgLockTimeoutMs / 1000)}`];
  const update = await runCommand(aptGet, [...lockOption, 'update'], { env, inheritOutput: true });
  if (update.exitCode !== 0) {
    throw cannotInstall(missing, `"apt-get update" failed (exit code ${String(update.exitCode)}); see its output above.`);
  }
  const result = await runCommand(aptGet, [...lockOption, ...aptInstallArguments(packages)], { env, inheritOutput: true });

  // A package's post-install step can fail (e.g. starting a system service where there is no
  // init system) although the programs we need are in place: the re-check decides.
  const stillMissing = await findMissing(requirements);
  if (stillMissing.size > 0) {
    throw cannotInstall(stillMissing, `"apt-get install" did not provide them (exit code ${String(result.exitCode)}); see its output above.`);
  }
  if (result.exitCode !== 0) logger.warn({ exitCode: result.exitCode }, 'apt-get reported an error, but everything needed is now installed');
  return { installed: packages };
}
