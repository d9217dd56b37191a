import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { findFreePort, isPortFree } from '@assay/devstack';

const repoDir = path.resolve(__dirname, '..', '..');
const SERVICES = ['gateway', 'ingest-worker', 'codegen-worker', 'executor-worker'];

/** A service stand-in: logs like a service, records its environment, runs until SIGTERM. */
const STUB_SERVICE = `
const fs = require('node:fs');
const path = require('node:path');
const name = path.basename(path.dirname(path.dirname(__filename)));
const log = (msg) => console.log(JSON.stringify({ level: 'info', time: new Date().toISOString(), service: name, msg }));
const { DATABASE_URL, REDIS_URL, ASSAY_DATA_DIR, LOG_LEVEL, PORT, ASSAY_PASSED_THROUGH } = process.env;
fs.writeFileSync(path.join(ASSAY_DATA_DIR, name + '.env.json'), JSON.stringify({ DATABASE_URL, REDIS_URL, ASSAY_DATA_DIR, LOG_LEVEL, PORT, ASSAY_PASSED_THROUGH }));
let server;
if (name === 'gateway') server = require('node:http').createServer((req, res) => res.end('ok')).listen(Number(PORT), '127.0.0.1', () => log('stub listening'));
else log('stub ready');
const timer = setInterval(() => undefined, 1000);
process.on('SIGTERM', () => { log('stub stopping'); clearInterval(timer); if (server) server.close(); });
`;

/** A service stand-in that ends at once, as an unfinished entry point would. */
const EXITING_SERVICE = `console.log('nothing to do here'); process.exit(0);`;

/**
 * A repository whose services are stand-ins: the real Prisma schema, migrations and
 * node_modules (symlinked), so that everything but the services is the real `npm start`.
 */
function stubProject(exitingService?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-start-'));
  // The postgres user (tests run as root) must be able to enter it.
  fs.chmodSync(dir, 0o755);
  for (const entry of ['node_modules', 'packages', 'prisma', 'prisma.config.ts', 'package.json']) {
    fs.symlinkSync(path.join(repoDir, entry), path.join(dir, entry));
  }
  for (const service of SERVICES) {
    const distDir = path.join(dir, 'services', service, 'dist');
    fs.mkdirSync(distDir, { recursive: true });
    fs.writeFileSync(path.join(distDir, 'main.js'), service === exitingService ? EXITING_SERVICE : STUB_SERVICE);
  }
  return dir;
}

interface StartRun {
  child: ChildProcess;
  output: () => string;
  exitCode: Promise<number | null>;
}

/** Runs the built start CLI (npm test builds first) on `projectDir` in its own process. */
async function runStart(projectDir: string): Promise<StartRun & { port: number }> {
  const [port, redisPort, postgresPort] = await Promise.all([findFreePort(), findFreePort(), findFreePort()]);
  const cli = path.join(repoDir, 'packages/devstack/dist/cli/start.js');
  const script = `require(${JSON.stringify(cli)}).runStart({ projectDir: ${JSON.stringify(projectDir)}, env: process.env }).then((code) => process.exit(code));`;
  const child = spawn(process.execPath, ['-e', script], {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      ASSAY_DEV_REDIS_PORT: String(redisPort),
      ASSAY_DEV_POSTGRES_PORT: String(postgresPort),
      ASSAY_PASSED_THROUGH: 'yes',
      NO_COLOR: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const exitCode = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => text, exitCode, port };
}

async function waitForOutput(run: StartRun, pattern: RegExp, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(run.output())) {
    if (Date.now() > deadline || run.child.exitCode !== null) {
      throw new Error(`Expected ${String(pattern)} in the output of npm start:\n${run.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('npm start (the start CLI, with stand-in services)', () => {
  const projects: string[] = [];
  const runs: StartRun[] = [];

  afterEach(async () => {
    for (const run of runs.splice(0)) {
      if (run.child.exitCode === null) run.child.kill('SIGTERM');
      await run.exitCode;
    }
    for (const dir of projects.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('runs the stack, prints the URL and key, keeps them across restarts, and stops cleanly on SIGINT', async () => {
    const projectDir = stubProject();
    projects.push(projectDir);

    const first = await runStart(projectDir);
    runs.push(first);
    await waitForOutput(first, /Assay is running at (\S+)/);
    const devEnv = fs.readFileSync(path.join(projectDir, '.assay', 'dev.env'), 'utf8');
    const key = /^ASSAY_API_KEY=(assay_\S+)$/m.exec(devEnv)?.[1];
    expect(devEnv).toContain(`ASSAY_URL=http://127.0.0.1:${first.port}\n`);
    expect(first.output()).toContain(`API key:  ${key ?? 'missing'}`);
    expect(first.output()).toMatch(/^gateway +\| \[[\d:.]+\] INFO: stub listening$/m);

    const gatewayEnv = JSON.parse(fs.readFileSync(path.join(projectDir, '.assay', 'data', 'gateway.env.json'), 'utf8')) as Record<string, string>;
    expect(gatewayEnv).toMatchObject({ PORT: String(first.port), LOG_LEVEL: 'info', ASSAY_PASSED_THROUGH: 'yes' });
    expect(gatewayEnv.DATABASE_URL).toMatch(/^postgresql:\/\/assay:[^@]+@127\.0\.0\.1:\d+\/assay$/);
    const workerEnv = JSON.parse(fs.readFileSync(path.join(projectDir, '.assay', 'data', 'ingest-worker.env.json'), 'utf8')) as Record<string, string>;
    expect(workerEnv.PORT).toBeUndefined();
    expect(workerEnv.REDIS_URL).toBe(gatewayEnv.REDIS_URL);

    first.child.kill('SIGINT');
    expect(await first.exitCode).toBe(0);
    expect(first.output()).toMatch(/gateway +\| .*stub stopping/);
    expect(first.output()).toMatch(/PostgreSQL stopped/);
    expect(await isPortFree(first.port)).toBe(true);

    const second = await runStart(projectDir);
    runs.push(second);
    await waitForOutput(second, /Assay is running/);
    expect(second.output()).toContain(`API key:  ${key ?? 'missing'}`);
    second.child.kill('SIGTERM');
    expect(await second.exitCode).toBe(0);
  });

  it('stops everything with exit code 1 when a service exits on its own', async () => {
    const projectDir = stubProject('codegen-worker');
    projects.push(projectDir);

    const run = await runStart(projectDir);
    runs.push(run);
    expect(await run.exitCode).toBe(1);
    expect(run.output()).toMatch(/^codegen-worker +\| nothing to do here$/m);
    expect(run.output()).toContain('✖ codegen-worker exited on its own (exit code 0).');
    expect(run.output()).toMatch(/^devstack +\| .*INFO: gateway stopped$/m);
    expect(run.output()).toMatch(/Redis stopped/);
    expect(await isPortFree(run.port)).toBe(true);
  });
});
