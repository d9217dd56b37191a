// Shared first half of `npm start` and `npm test`: Node version, npm dependencies, build.
// Dependency-free on purpose: it runs before node_modules exists.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is in scripts/). */
export const projectDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Written into node_modules after a successful `npm ci`; a different lockfile or Node major means reinstall. */
const INSTALL_STAMP = path.join(projectDir, 'node_modules', '.assay-install.json');

/** Environment of every step: no telemetry or update checks over the network. */
const QUIET_ENV = { TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1', CHECKPOINT_DISABLE: '1', DO_NOT_TRACK: '1' };

/** Prints a step of the bootstrap. */
export function say(message) {
  process.stdout.write(`\n▶ ${message}\n`);
}

/** Prints a failure and returns the exit code to use. */
export function fail(message, exitCode = 1) {
  process.stderr.write(`\n✖ ${message}\n\n`);
  return exitCode;
}

let currentChild;
const forward = (signal) => currentChild?.kill(signal);

/** While a step runs, SIGINT/SIGTERM sent to this process go to it (it decides how to stop). */
export function forwardSignals(enabled) {
  for (const signal of ['SIGINT', 'SIGTERM']) {
    if (enabled) process.on(signal, forward);
    else process.off(signal, forward);
  }
}

/**
 * Runs a program with its output on this terminal; resolves with its exit code (128 + n after
 * signal n). With `keepStderr`, stderr is not shown but resolves as `{ exitCode, stderr }`.
 */
export function run(command, args, options = {}) {
  const { keepStderr = false, ...spawnOptions } = options;
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: projectDir,
      stdio: ['ignore', 'inherit', keepStderr ? 'pipe' : 'inherit'],
      ...spawnOptions,
      env: { ...process.env, ...QUIET_ENV, ...spawnOptions.env },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-100_000);
    });
    currentChild = child;
    child.once('error', reject);
    child.once('close', (code, signal) => {
      currentChild = undefined;
      const exitCode = code ?? 128 + (os.constants.signals[signal] ?? 1);
      resolve(keepStderr ? { exitCode, stderr } : exitCode);
    });
  });
}

/** Fails unless this Node satisfies the `>=X.Y` of package.json's engines.node. */
export function checkNode() {
  const manifest = JSON.parse(fs.readFileSync(path.join(projectDir, 'package.json'), 'utf8'));
  const match = /^>=\s*(\d+)(?:\.(\d+))?/.exec(manifest.engines?.node ?? '>=20');
  const required = [Number(match?.[1] ?? 20), Number(match?.[2] ?? 0)];
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major > required[0] || (major === required[0] && minor >= required[1])) return true;
  fail(`Assay needs Node.js ${required.join('.')} or newer; this is ${process.version}. Install a current Node.js 20 LTS (https://nodejs.org).`);
  return false;
}

function npmCommand(args) {
  // Under `npm start`, npm says where its own CLI is: use the same npm.
  const npmCli = process.env.npm_execpath;
  return npmCli && npmCli.endsWith('.js') ? [process.execPath, [npmCli, ...args]] : ['npm', args];
}

function installFingerprint() {
  const lock = fs.readFileSync(path.join(projectDir, 'package-lock.json'));
  return {
    lockfileSha256: createHash('sha256').update(lock).digest('hex'),
    nodeMajor: process.versions.node.split('.')[0],
  };
}

/** npm's complaint when package-lock.json lacks entries package.json implies. */
const LOCK_OUT_OF_SYNC = /can only install packages when your package\.json and package-lock\.json/;


/**
 * `npm ci` when node_modules is missing or was installed from another package-lock.json.
 *
 * A lockfile written where some optional platform packages (e.g. @swc/core-darwin-arm64) could
 * not be fetched lacks their entries, and npm ci then refuses it as "not in sync" although
 * `npm install` installs exactly the locked tree (npm/cli#4828; the registry this project
 * installs from lacks some of those packages). In that one case we fall back to `npm install` and check that
 * it left package-lock.json as it was.
 */
export async function installDependencies() {
  const wanted = installFingerprint();
  try {
    const stamp = JSON.parse(fs.readFileSync(INSTALL_STAMP, 'utf8'));
    if (stamp.lockfileSha256 === wanted.lockfileSha256 && stamp.nodeMajor === wanted.nodeMajor) return 0;
  } catch {
    // Never installed by this script, or node_modules is gone.
  }
  say('Installing npm dependencies (npm ci)');
  const [ciCommand, ciArgs] = npmCommand(['ci', '--include=dev', '--no-audit', '--no-fund']);
  const ci = await run(ciCommand, ciArgs, { keepStderr: true });
  if (ci.exitCode !== 0 && LOCK_OUT_OF_SYNC.test(ci.stderr)) {
    const missing = ci.stderr.split('\n').filter((line) => line.includes('Missing:')).length;
    say(
      `npm ci refused package-lock.json: it lacks ${missing} optional packages for other platforms. ` +
        'Installing the locked tree with npm install instead',
    );
    const [installCommand, installArgs] = npmCommand(['install', '--include=dev', '--no-audit', '--no-fund']);
    const exitCode = await run(installCommand, installArgs);
    if (exitCode !== 0) return fail(`npm install failed (exit code ${exitCode}); see its output above.`, exitCode);
    if (installFingerprint().lockfileSha256 !== wanted.lockfileSha256) {
      process.stderr.write('\n⚠ npm install changed package-lock.json: review and commit the change, or restore it.\n');
    }
  } else {
    process.stderr.write(ci.stderr);
    if (ci.exitCode !== 0) return fail(`npm ci failed (exit code ${ci.exitCode}); see its output above.`, ci.exitCode);
  }
  fs.writeFileSync(INSTALL_STAMP, `${JSON.stringify(installFingerprint(), null, 2)}\n`);
  return 0;
}

/** `npm run build` (turbo: prisma generate, then every workspace). */
export async function build() {
  say('Building (npm run build)');
  const [command, args] = npmCommand(['run', 'build']);
  const exitCode = await run(command, args);
  return exitCode === 0 ? 0 : fail(`The build failed (exit code ${exitCode}); see its output above.`, exitCode);
}

/** Node check, install, build. Resolves with 0, or with the exit code to stop with. */
export async function prepare() {
  if (!checkNode()) return 1;
  forwardSignals(true);
  try {
    const installed = await installDependencies();
    if (installed !== 0) return installed;
    return await build();
  } finally {
    forwardSignals(false);
  }
}
