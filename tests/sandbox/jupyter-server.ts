import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** Debian's interpreter, which has jupyter_server (a `python3` on PATH may be a pyenv build). */
const SYSTEM_PYTHON = '/usr/bin/python3';

/** How long the server may take from spawn to answering an authenticated request. */
const READY_TIMEOUT_MS = 60_000;

/** How long the server may take to shut its kernels down and exit after SIGTERM. */
const STOP_TIMEOUT_MS = 15_000;

/** A jupyter-server process for one test file, on loopback, with a random token. */
export interface JupyterServer {
  /** e.g. http://127.0.0.1:41234/ */
  readonly baseUrl: string;
  readonly token: string;
  /** The server's root_dir: workspaces must be created inside it. */
  readonly rootDir: string;
  /** The ids of the kernels the server runs (for assertions on creation and deletion). */
  kernelIds(): Promise<string[]>;
  /** Stops the server (and with it its kernels) and removes its state directory. */
  stop(): Promise<void>;
}

/**
 * Starts Debian's jupyter-server (`python3 -m jupyter_server`) with a fresh root directory and
 * its runtime/config/data directories in a temporary directory, so nothing of the machine's
 * Jupyter setup is read or written. Resolves once an authenticated GET /api/kernels answers.
 */
export async function startJupyterServer(rootDir: string): Promise<JupyterServer> {
  const stateDir = await mkdtemp(join(tmpdir(), 'assay-test-jupyter-state-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['runtime', 'config', 'data']) {
    const dir = join(stateDir, name);
    await mkdir(dir);
    env[`JUPYTER_${name.toUpperCase()}_DIR`] = dir;
  }
  env.IPYTHONDIR = join(stateDir, 'ipython');
  env.MPLCONFIGDIR = join(stateDir, 'matplotlib');
  const token = randomBytes(24).toString('hex');
  // The port can be taken between picking and binding: try a few.
  let lastFailure = '';
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await freePort();
    const child = spawn(SYSTEM_PYTHON, serverArguments({ port, token, rootDir }), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString('utf8')).slice(-8_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const baseUrl = `http://127.0.0.1:${port}/`;
    const ready = await waitUntilReady(baseUrl, token, exited);
    if (ready) return handle(child, exited, { baseUrl, token, rootDir, stateDir });
    await stopProcess(child, exited);
    lastFailure = output;
    if (!/already in use|Address already in use/.test(output)) break;
  }
  await rm(stateDir, { recursive: true, force: true });
  throw new Error(
    `jupyter-server did not start (install it with apt-get install python3-jupyter-server; npm test does). Output:\n${lastFailure}`,
  );
}

function serverArguments(options: { port: number; token: string; rootDir: string }): string[] {
  return [
    '-m',
    'jupyter_server',
    `--ServerApp.token=${options.token}`,
    `--ServerApp.port=${options.port}`,
    '--ServerApp.port_retries=0',
    '--ServerApp.ip=127.0.0.1',
    '--no-browser',
    `--ServerApp.root_dir=${options.rootDir}`,
    // Workspaces are removed through the Contents API: delete non-empty directories, not to a trash.
    '--FileContentsManager.always_delete_dir=True',
    '--FileContentsManager.delete_to_trash=False',
    ...(process.getuid?.() === 0 ? ['--allow-root'] : []),
  ];
}

/** True once an authenticated request answers 200; false when the process exits or time runs out. */
async function waitUntilReady(baseUrl: string, token: string, exited: Promise<number | null>): Promise<boolean> {
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!hasExited && Date.now() < deadline) {
    const status = await fetch(new URL('api/kernels', baseUrl), {
      headers: { Authorization: `token ${token}` },
      signal: AbortSignal.timeout(2_000),
    }).then(
      (response) => response.status,
      () => 0,
    );
    if (status === 200) return true;
    await delay(100);
  }
  return false;
}

function handle(
  child: ChildProcess,
  exited: Promise<number | null>,
  server: { baseUrl: string; token: string; rootDir: string; stateDir: string },
): JupyterServer {
  return {
    baseUrl: server.baseUrl,
    token: server.token,
    rootDir: server.rootDir,
    async kernelIds() {
      const response = await fetch(new URL('api/kernels', server.baseUrl), { headers: { Authorization: `token ${server.token}` } });
      const kernels = (await response.json()) as { id: string }[];
      return kernels.map((kernel) => kernel.id);
    },
    async stop() {
      await stopProcess(child, exited);
      await rm(server.stateDir, { recursive: true, force: true });
    },
  };
}

/** SIGTERM (the server shuts its kernels down), then SIGKILL if it takes too long. */
async function stopProcess(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const giveUp = new AbortController();
  const stopped = await Promise.race([
    exited.then(() => true),
    delay(STOP_TIMEOUT_MS, false, { signal: giveUp.signal }).catch(() => true),
  ]);
  giveUp.abort();
  if (!stopped) {
    child.kill('SIGKILL');
    await exited;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
