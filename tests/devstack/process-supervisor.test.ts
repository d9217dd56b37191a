import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { ProcessSupervisor, stopOrphanedChildren, type ChildExitReport } from '@assay/devstack';
import { createLogger } from '@assay/logger';

/** A child that logs like a service (pino JSON), then runs until SIGTERM. */
const STEADY = `
const log = (msg) => console.log(JSON.stringify({ level: 'info', time: new Date().toISOString(), msg }));
log('steady is up');
process.on('SIGTERM', () => { log('steady stops'); process.exit(0); });
setInterval(() => undefined, 1000);
`;

/** A child that ignores SIGTERM: only SIGKILL ends it. */
const STUBBORN = `
process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
console.log('stubborn is up');
setInterval(() => undefined, 1000);
`;

/** A child that crashes shortly after starting. */
const CRASHER = `
console.log('crasher is up');
setTimeout(() => { throw new Error('boom'); }, 200);
`;

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting until ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function collector(): { write(text: string): void; text(): string } {
  const chunks: string[] = [];
  return { write: (text) => void chunks.push(text), text: () => chunks.join('') };
}

describe('ProcessSupervisor', () => {
  const logger = createLogger({ name: 'devstack-test', level: 'silent' });
  const supervisors: ProcessSupervisor[] = [];
  const newSupervisor = (options: ConstructorParameters<typeof ProcessSupervisor>[0]): ProcessSupervisor => {
    const supervisor = new ProcessSupervisor({ logger, ...options });
    supervisors.push(supervisor);
    return supervisor;
  };

  afterEach(async () => {
    await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.stop()));
  });

  it("shows each child's output with its name, and stops them all within the deadline", async () => {
    const output = collector();
    const unexpected: ChildExitReport[] = [];
    const supervisor = newSupervisor({ output, stopTimeoutMs: 1_000, onUnexpectedExit: (exit) => unexpected.push(exit) });
    supervisor.start({ name: 'steady', command: process.execPath, args: ['-e', STEADY] });
    supervisor.start({ name: 'stubborn', command: process.execPath, args: ['-e', STUBBORN] });
    await waitUntil(() => output.text().includes('steady is up') && output.text().includes('stubborn is up'), 'both children print');

    expect(output.text()).toMatch(/^steady +\| \[\d\d:\d\d:\d\d\.\d{3}\] INFO: steady is up$/m);
    expect(output.text()).toMatch(/^stubborn +\| stubborn is up$/m);

    const reports = await supervisor.stop();
    expect(reports).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'steady', code: 0, killed: false }),
        expect.objectContaining({ name: 'stubborn', signal: 'SIGKILL', killed: true }),
      ]),
    );
    expect(output.text()).toMatch(/^steady +\| .*INFO: steady stops$/m);
    expect(supervisor.running).toEqual([]);
    expect(unexpected).toEqual([]);
  });

  it('reports a child that crashes, with its last lines, and does not restart it', async () => {
    const output = collector();
    const unexpected: ChildExitReport[] = [];
    const supervisor = newSupervisor({ output, onUnexpectedExit: (exit) => unexpected.push(exit) });
    supervisor.start({ name: 'steady', command: process.execPath, args: ['-e', STEADY] });
    const crasher = supervisor.start({ name: 'crasher', command: process.execPath, args: ['-e', CRASHER] });
    await waitUntil(() => unexpected.length > 0, 'the crash is reported');

    expect(unexpected).toHaveLength(1);
    expect(unexpected[0]).toMatchObject({ name: 'crasher', pid: crasher.pid, code: 1, signal: null });
    expect(unexpected[0]?.lastLines.join('\n')).toContain('Error: boom');
    expect(output.text()).toMatch(/^crasher +\| .*Error: boom/m);
    expect(supervisor.running.map((child) => child.name)).toEqual(['steady']);
  });

  it('reports a program that cannot be started', async () => {
    const unexpected: ChildExitReport[] = [];
    const supervisor = newSupervisor({ output: collector(), onUnexpectedExit: (exit) => unexpected.push(exit) });
    supervisor.start({ name: 'missing', command: '/nonexistent/assay-program' });
    await waitUntil(() => unexpected.length > 0, 'the failure is reported');
    expect(unexpected[0]).toMatchObject({ name: 'missing', spawnError: expect.stringContaining('ENOENT') });
  });

  it('lets a later run stop children a killed supervisor left behind', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-supervisor-'));
    const pidFile = path.join(dir, 'services.json');
    const output = collector();
    const abandoned = newSupervisor({ output, pidFile });
    const child = abandoned.start({ name: 'steady', command: process.execPath, args: ['-e', STEADY] });
    await waitUntil(() => output.text().includes('steady is up'), 'the child is up');
    expect(JSON.parse(fs.readFileSync(pidFile, 'utf8'))).toEqual([
      { name: 'steady', pid: child.pid, argv: [process.execPath, '-e', STEADY] },
    ]);

    // As if the supervisor had been killed: a new run finds the pid file.
    expect(await stopOrphanedChildren(pidFile, { logger })).toEqual(['steady']);
    await waitUntil(() => abandoned.running.length === 0, 'the orphan is gone');
    expect(fs.existsSync(pidFile)).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
