import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JupyterSandboxBackend } from '@assay/sandbox';
import { describeBackendConformance } from './backend-conformance';
import { type JupyterServer, startJupyterServer } from './jupyter-server';
import { removeDir } from './support';

// A jupyter-server on loopback whose root directory holds the suite's workspaces. Created at
// load time because the suite needs the directory name before its hooks run; the server itself
// starts with the first sandbox.
const rootDir = mkdtempSync(join(tmpdir(), 'assay-test-jupyter-root-'));
let server: Promise<JupyterServer> | undefined;
let backend: Promise<JupyterSandboxBackend> | undefined;

function jupyterBackend(): Promise<JupyterSandboxBackend> {
  server ??= startJupyterServer(rootDir);
  backend ??= server.then(
    ({ baseUrl, token }) => new JupyterSandboxBackend({ baseUrl, token, workspaceRoot: rootDir, interruptGraceMs: 2_000 }),
  );
  return backend;
}

describeBackendConformance({
  name: 'jupyter (jupyter-server REST + kernel WebSocket)',
  workspaceParent: rootDir,
  create: async (workspaceDir) => (await jupyterBackend()).create({ workspaceDir }),
  cleanup: async () => {
    try {
      await (await server?.catch(() => undefined))?.stop();
    } finally {
      await removeDir(rootDir);
    }
  },
});
