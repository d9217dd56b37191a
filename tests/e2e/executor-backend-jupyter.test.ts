import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type JupyterServer, startJupyterServer } from '../sandbox/jupyter-server';
import type { ServiceStack } from '../support/service-stack';
import { runRemoteBackendScenario } from './executor-backend-scenario';

/**
 * The whole system with ASSAY_SANDBOX_BACKEND=jupyter against Debian's jupyter-server started
 * here: files reach the kernel through the Contents API, code uses /mnt/data paths (rewritten to
 * the kernel's workspace), and what a cell writes comes back as an artifact.
 */

let rootDir: string;
let server: JupyterServer;
let stack: ServiceStack | undefined;

beforeAll(async () => {
  rootDir = await mkdtemp(join(tmpdir(), 'assay-e2e-jupyter-'));
  server = await startJupyterServer(rootDir);
}, 90_000);

afterAll(async () => {
  await stack?.stop();
  await server?.stop();
  await rm(rootDir, { recursive: true, force: true });
}, 60_000);

describe('executor with the jupyter backend', () => {
  it('answers a question on an uploaded CSV and keeps a file a cell writes to /mnt/data', async () => {
    ({ stack } = await runRemoteBackendScenario({
      ASSAY_SANDBOX_BACKEND: 'jupyter',
      ASSAY_JUPYTER_URL: server.baseUrl,
      ASSAY_JUPYTER_TOKEN: server.token,
      ASSAY_JUPYTER_ROOT_DIR: rootDir,
    }));
    // Each kernel works in its own directory under the workspaces path, where its inputs were uploaded.
    const workspaces = await readdir(join(rootDir, 'assay-workspaces'));
    const withInput = [];
    for (const workspace of workspaces) {
      if ((await readdir(join(rootDir, 'assay-workspaces', workspace))).includes('sales.csv')) withInput.push(workspace);
    }
    expect(withInput).toHaveLength(1);

    // At shutdown the executor shuts its kernels down and removes their workspaces.
    await stack.terminate('executor-worker');
    expect(await server.kernelIds()).toEqual([]);
    // (The server keeps its own hidden .ipynb_checkpoints there.)
    expect((await readdir(join(rootDir, 'assay-workspaces'))).filter((name) => !name.startsWith('.'))).toEqual([]);
  }, 240_000);
});
