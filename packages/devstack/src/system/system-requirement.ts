import { SYSTEM_PYTHON } from '../consts';
import { EnvironmentMissingError } from '../errors/environment-missing-error';
import { findPostgresBinaries } from '../postgres/postgres-binaries';
import { runCommand } from '../process/run-command';
import { findExecutable } from './find-executable';

/**
 * One thing the stack needs from the machine, and the Debian packages that provide it.
 * {@link ensureSystemPackages} checks a list of these and installs what is missing in one go.
 */
export interface SystemRequirement {
  /** What it is for, used in messages (e.g. "Python analysis stack"). */
  readonly description: string;
  /**
   * Debian packages still needed, empty when the requirement is met. Throws an
   * {@link EnvironmentMissingError} for problems no package can fix.
   */
  findMissingPackages(): Promise<string[]>;
}

/**
 * Python modules the executor's kernels import, and the Debian package of each. Kernels run on
 * the system interpreter, so Debian's packages (not pip) provide them.
 */
export const PYTHON_ANALYSIS_MODULES: Readonly<Record<string, string>> = {
  ipykernel: 'python3-ipykernel',
  jupyter_client: 'python3-jupyter-client',
  pandas: 'python3-pandas',
  numpy: 'python3-numpy',
  matplotlib: 'python3-matplotlib',
  matplotlib_inline: 'python3-matplotlib-inline',
  seaborn: 'python3-seaborn',
  scipy: 'python3-scipy',
  statsmodels: 'python3-statsmodels',
  sklearn: 'python3-sklearn',
  openpyxl: 'python3-openpyxl',
  xlrd: 'python3-xlrd',
};

/**
 * Python modules only the test suites use: xlwt writes the legacy .xls files that ingest and
 * kernel tests read; jupyter_server is the server the Jupyter sandbox backend is tested against
 * (Debian's `jupyter-server` package only adds its command-line script); nbformat validates
 * exported notebooks and nbconvert re-runs them (`python3 -m nbconvert`, so Debian's
 * `jupyter-nbconvert` script package is not needed). `npm test` installs them; `npm start` does
 * not need them.
 */
export const PYTHON_TEST_MODULES: Readonly<Record<string, string>> = {
  xlwt: 'python3-xlwt',
  jupyter_server: 'python3-jupyter-server',
  nbformat: 'python3-nbformat',
  nbconvert: 'python3-nbconvert',
};

/** Imports each module given as an argument and prints the JSON list of those that failed. */
const IMPORT_CHECK_SCRIPT = `
import importlib, json, sys
failed = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception:
        failed.append(name)
print(json.dumps(failed))
`;

/** Options of {@link pythonModulesRequirement}. */
export interface PythonModulesRequirementOptions {
  /** Module name -> Debian package. @defaultValue {@link PYTHON_ANALYSIS_MODULES} */
  modules?: Readonly<Record<string, string>>;
  /** Interpreter to check with. @defaultValue "/usr/bin/python3" */
  python?: string;
}

/**
 * Python modules importable by the system interpreter. Modules are imported, not only looked
 * up, so a broken installation counts as missing.
 */
export function pythonModulesRequirement(options: PythonModulesRequirementOptions = {}): SystemRequirement {
  const modules = options.modules ?? PYTHON_ANALYSIS_MODULES;
  const python = options.python ?? SYSTEM_PYTHON;
  return {
    description: 'Python analysis stack',
    async findMissingPackages() {
      const names = Object.keys(modules);
      let failed: string[] = names;
      try {
        // Agg: importing matplotlib must not look for a display.
        const result = await runCommand(python, ['-c', IMPORT_CHECK_SCRIPT, ...names], {
          env: { ...process.env, MPLBACKEND: 'Agg', PYTHONDONTWRITEBYTECODE: '1' },
          timeoutMs: 120_000,
        });
        const lastLine = result.stdout.trim().split('\n').at(-1) ?? '';
        if (result.exitCode === 0) failed = JSON.parse(lastLine) as string[];
      } catch {
        // No interpreter at all: every module is missing.
      }
      return failed.map((name) => modules[name]).filter((pkg): pkg is string => pkg !== undefined);
    },
  };
}

/** Options of {@link executableRequirement}. */
export interface ExecutableRequirementOptions {
  /** Program name looked up on PATH and in the system directories. */
  executable: string;
  /** Debian package that installs it. */
  debianPackage: string;
  /** What it is for. @defaultValue the executable's name */
  description?: string;
}

/** A program that must be installed. */
export function executableRequirement(options: ExecutableRequirementOptions): SystemRequirement {
  return {
    description: options.description ?? options.executable,
    async findMissingPackages() {
      return findExecutable(options.executable) === undefined ? [options.debianPackage] : [];
    },
  };
}

/** Redis's server program, for the stack's own Redis. */
export function redisServerRequirement(): SystemRequirement {
  return executableRequirement({ executable: 'redis-server', debianPackage: 'redis-server', description: 'Redis server' });
}

/** PostgreSQL's server programs (initdb, postgres), for the stack's own PostgreSQL. */
export function postgresServerRequirement(): SystemRequirement {
  return {
    description: 'PostgreSQL server',
    async findMissingPackages() {
      return findPostgresBinaries() === undefined ? ['postgresql'] : [];
    },
  };
}

/**
 * The smallest sandbox the executor builds: all namespaces unshared, /usr read-only. It fails
 * where user namespaces are disabled, which no package can fix.
 */
const BWRAP_SMOKE_ARGS = [
  '--unshare-all',
  '--die-with-parent',
  '--ro-bind', '/usr', '/usr',
  '--symlink', 'usr/bin', '/bin',
  '--symlink', 'usr/lib', '/lib',
  '--symlink', 'usr/lib64', '/lib64',
  '--proc', '/proc',
  '--dev', '/dev',
  '/usr/bin/true',
];

/** bubblewrap, installed and able to create a sandbox on this kernel. */
export function bubblewrapRequirement(): SystemRequirement {
  return {
    description: 'bubblewrap sandbox',
    async findMissingPackages() {
      const bwrap = findExecutable('bwrap');
      if (bwrap === undefined) return ['bubblewrap'];
      const version = await runCommand(bwrap, ['--version'], { timeoutMs: 10_000 }).catch(() => undefined);
      if (version?.exitCode !== 0) return ['bubblewrap'];
      const smoke = await runCommand(bwrap, BWRAP_SMOKE_ARGS, { timeoutMs: 10_000 });
      if (smoke.exitCode !== 0) {
        throw new EnvironmentMissingError(
          `bubblewrap (${bwrap}) is installed but cannot create a sandbox: ${smoke.stderr.trim() || `exit code ${String(smoke.exitCode)}`}. ` +
            'The Python kernels need Linux user namespaces: enable them (sysctl -w kernel.unprivileged_userns_clone=1, ' +
            'user.max_user_namespaces > 0), or, inside a container, run it with user namespaces allowed.',
        );
      }
      return [];
    },
  };
}

/** What the executor needs on every machine: the Python analysis stack and bubblewrap. */
export function analysisRequirements(): SystemRequirement[] {
  return [pythonModulesRequirement(), bubblewrapRequirement()];
}
