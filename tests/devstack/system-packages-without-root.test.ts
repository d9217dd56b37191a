import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { ensureSystemPackages, EnvironmentMissingError, executableRequirement } from '@assay/devstack';

const execFileAsync = promisify(execFile);

/** A package no Debian mirror has, so the check always finds it missing. */
const MISSING = 'assay-surely-missing-tool';
const EXPECTED_COMMAND = `apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${MISSING}`;

/** nobody:nogroup, a user that cannot install anything. */
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

describe('system packages', () => {
  it('as a user who cannot install, stops with the exact apt-get command and changes nothing', async () => {
    // The check runs in a separate process as "nobody", from the built package (npm test builds first).
    const devstackDist = path.resolve(__dirname, '../../packages/devstack/dist/index.js');
    const script = `
      const { ensureSystemPackages, executableRequirement } = require(${JSON.stringify(devstackDist)});
      ensureSystemPackages({
        requirements: [executableRequirement({ executable: ${JSON.stringify(MISSING)}, debianPackage: ${JSON.stringify(MISSING)} })],
      }).then(
        (result) => { console.log(JSON.stringify({ result })); },
        (error) => { console.log(JSON.stringify({ code: error.code, message: error.message })); process.exitCode = 3; },
      );`;
    const [command, args] =
      process.getuid?.() === 0 ? ['setpriv', [...NOBODY, process.execPath, '-e', script]] : [process.execPath, ['-e', script]];
    const outcome = await execFileAsync(command, args, { cwd: os.tmpdir() }).then(
      () => ({ exitCode: 0, stdout: '' }),
      (error: { code?: number; stdout?: string }) => ({ exitCode: error.code, stdout: error.stdout ?? '' }),
    );

    expect(outcome.exitCode).toBe(3);
    const reported = JSON.parse(outcome.stdout.trim()) as { code: string; message: string };
    expect(reported.code).toBe('ENVIRONMENT_MISSING');
    expect(reported.message).toContain(EXPECTED_COMMAND);
    expect(reported.message).toContain('not running as root');
  });

  it('when only checking, reports the missing packages with the command, whoever runs it', async () => {
    const requirement = executableRequirement({ executable: MISSING, debianPackage: MISSING });
    const error = await ensureSystemPackages({ requirements: [requirement], install: false }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EnvironmentMissingError);
    expect(error).toMatchObject({ code: 'ENVIRONMENT_MISSING', packages: [MISSING], installCommand: EXPECTED_COMMAND });
  });

  it('finds the analysis stack of this machine complete', async () => {
    // npm test installs it before jest runs; the jest global setup checked it too.
    await expect(ensureSystemPackages({ install: false })).resolves.toEqual({ installed: [] });
  });
});
