import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { DEFAULT_KERNEL_UID_RANGE } from '@assay/sandbox';
import { asList, composeService, readCompose, REPO_ROOT } from './support/deploy-files';

const execFileAsync = promisify(execFile);

/**
 * What the executor does with its capabilities, as KernelSessions and LocalSandboxBackend do it
 * (run from the built packages): searchable workspace directories, a kernel (chown of its
 * workspace, setpriv to the kernel's own uid, bwrap), an upload hard-linked from the blob store and linked into
 * the workspace once the kernel runs, a cell that reads it, a cell that ignores the interrupt
 * (the kernel is SIGKILLed and replaced), and shutdown (socket directories removed).
 */
const PROBE = `
const fs = require('node:fs');
const path = require('node:path');
const [root, sandboxEntry] = process.argv.slice(1);
const { LocalSandboxBackend } = require(sandboxEntry);
(async () => {
  const workspaces = path.join(root, 'data', 'workspaces');
  const chatDir = path.join(workspaces, 'tenant', 'chat');
  for (const dir of [workspaces, path.dirname(chatDir), chatDir]) {
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, 0o711);
  }
  const dataDir = path.join(chatDir, 'data');
  const inputsDir = path.join(chatDir, 'inputs');
  fs.mkdirSync(dataDir);
  fs.mkdirSync(inputsDir);
  fs.chmodSync(inputsDir, 0o755);
  const socketRoot = path.join(root, 'k');
  const backend = new LocalSandboxBackend({ socketRoot, interruptGraceMs: 1000 });
  const sandbox = await backend.create({ workspaceDir: dataDir, readOnlyBinds: [{ hostPath: inputsDir, sandboxPath: '/mnt/inputs' }] });
  const report = {};
  try {
    const fileDir = path.join(inputsDir, 'file');
    fs.mkdirSync(fileDir);
    fs.chmodSync(fileDir, 0o755);
    fs.linkSync(path.join(root, 'data', 'blobs', 'upload'), path.join(fileDir, 'sales.csv'));
    fs.symlinkSync('/mnt/inputs/file/sales.csv', path.join(dataDir, 'sales.csv'));
    const read = await sandbox.runCode("import os, pandas as pd\\nopen('written.txt', 'w').write('x')\\n(os.getuid(), int(pd.read_csv('sales.csv')['sales'].sum()))");
    report.read = read.error ? read.error.name + ': ' + read.error.value : read.text;
    const stuck = await sandbox.runCode('import signal\\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\\nwhile True:\\n    pass', { timeoutMs: 500 });
    report.stuck = stuck.error ? stuck.error.value : 'no error';
    report.after = (await sandbox.runCode('1 + 1')).text;
  } finally {
    await sandbox.close();
  }
  report.socketDirsLeft = fs.readdirSync(socketRoot);
  process.stdout.write(JSON.stringify(report));
})().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
`;

describe("the executor container's capabilities", () => {
  it('are enough for its whole kernel lifecycle, with no-new-privileges, when it runs as root', async () => {
    if (process.getuid?.() !== 0) {
      throw new Error('This test runs the sandbox as the executor container does, as root with a reduced capability set: run it as root.');
    }
    const sandboxEntry = path.join(REPO_ROOT, 'packages/sandbox/dist/index.js');
    await fs.access(sandboxEntry).catch(() => {
      throw new Error(`${sandboxEntry} is missing: run npm run build first`);
    });
    // k8s/executor-worker.yaml adds the same list (kubernetes.test.ts checks it).
    const executor = composeService(readCompose(), 'executor-worker');
    expect(asList(executor.cap_drop, 'cap_drop')).toEqual(['ALL']);
    const capabilities = asList(executor.cap_add, 'cap_add').map((name) => `+${String(name).toLowerCase()}`);
    expect(capabilities.length).toBeGreaterThan(0);

    const root = await fs.mkdtemp('/tmp/assay-deploy-caps-');
    try {
      await fs.chmod(root, 0o755);
      // A blob as the gateway (uid 1000) leaves it: its own file, mode 0644.
      const blobs = path.join(root, 'data', 'blobs');
      await fs.mkdir(blobs, { recursive: true });
      await fs.writeFile(path.join(blobs, 'upload'), 'city,sales\nParis,10\nLyon,7\nNice,3\n', { mode: 0o644 });
      for (const owned of [path.join(root, 'data'), blobs, path.join(blobs, 'upload')]) await fs.chown(owned, 1000, 1000);

      const { stdout } = await execFileAsync(
        'setpriv',
        [`--bounding-set=-all,${capabilities.join(',')}`, '--inh-caps=-all', '--no-new-privs', '--', process.execPath, '-e', PROBE, root, sandboxEntry],
        { timeout: 45_000, killSignal: 'SIGKILL' },
      );
      const report = JSON.parse(stdout) as Record<string, unknown>;
      expect(report).toEqual({
        // The kernel runs as its sandbox user and reads the upload through the read-only inputs.
        read: '(1000, 20)',
        // Killing the kernel (which runs as a uid of its own) takes CAP_KILL.
        stuck: expect.stringContaining('did not stop when interrupted, so the kernel was restarted'),
        after: '2',
        socketDirsLeft: [],
      });
      // What the kernel wrote belongs to the kernel's own host uid (from the kernel range), not to root.
      const written = await fs.stat(path.join(root, 'data/workspaces/tenant/chat/data/written.txt'));
      expect(written.uid).toBeGreaterThanOrEqual(DEFAULT_KERNEL_UID_RANGE.first);
      expect(written.uid).toBeLessThan(DEFAULT_KERNEL_UID_RANGE.first + DEFAULT_KERNEL_UID_RANGE.size);
    } finally {
      // A kernel the probe could not stop (say, without CAP_KILL) would outlive it: end it here.
      await killProcessesMentioning(root);
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});

/** SIGKILLs every process whose command line contains `text` (the test runs as root). */
async function killProcessesMentioning(text: string): Promise<void> {
  for (const entry of await fs.readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const commandLine = await fs.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (commandLine.includes(text)) {
      try {
        process.kill(Number(entry), 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
}
