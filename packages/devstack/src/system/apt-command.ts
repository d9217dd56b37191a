/** Environment apt-get needs to run without asking questions. */
export const APT_ENVIRONMENT: Readonly<Record<string, string>> = { DEBIAN_FRONTEND: 'noninteractive' };

/** Sorted, de-duplicated package names, so that messages and commands are stable. */
export function normalizePackageList(packages: Iterable<string>): string[] {
  return [...new Set(packages)].sort();
}

/** Arguments of `apt-get` that install `packages` unattended, without recommended extras. */
export function aptInstallArguments(packages: Iterable<string>): string[] {
  return ['install', '-y', '--no-install-recommends', ...normalizePackageList(packages)];
}

/**
 * The command line a person runs (as root) to install `packages`, exactly as
 * {@link ensureSystemPackages} would run it.
 *
 * @example
 * formatAptInstallCommand(['bubblewrap', 'python3-pandas'])
 * // 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bubblewrap python3-pandas'
 */
export function formatAptInstallCommand(packages: Iterable<string>): string {
  return `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get ${aptInstallArguments(packages).join(' ')}`;
}
