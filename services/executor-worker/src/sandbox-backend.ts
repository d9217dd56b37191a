import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '@assay/logger';
import { DEFAULT_STARTUP_CODE, E2bSandbox, E2bSandboxBackend, JupyterSandboxBackend, LocalSandboxBackend } from '@assay/sandbox';
import type { BlobStore } from '@assay/storage';
import type { ExecutorWorkerEnv } from './env';
import { PRELOAD_CODE, VARIABLES_HELPER_CODE } from './kernel-code';
import { LocalSandboxSlots } from './local-sandbox-slots';
import { RemoteSandboxSlots } from './remote-sandbox-slots';
import type { SandboxSlots } from './sandbox-slots';

/** Where code finds its files, whatever the backend. */
const DATA_PATH = '/mnt/data';

/**
 * The slots of the backend ASSAY_SANDBOX_BACKEND names: the only place in the executor that
 * knows which backend runs the kernels.
 */
export function createSandboxSlots(env: ExecutorWorkerEnv, blobs: BlobStore, logger: Logger): SandboxSlots {
  const startupCode = [DEFAULT_STARTUP_CODE, VARIABLES_HELPER_CODE, env.ASSAY_KERNEL_PRELOAD ? PRELOAD_CODE : ''].join('\n');
  switch (env.ASSAY_SANDBOX_BACKEND) {
    case 'local':
      return new LocalSandboxSlots({
        backend: new LocalSandboxBackend({
          pythonPath: env.ASSAY_PYTHON,
          memoryLimitBytes: env.ASSAY_SANDBOX_MEMORY_BYTES,
          kernelUidRange: { first: env.ASSAY_KERNEL_UID_FIRST, size: env.ASSAY_KERNEL_UID_COUNT },
          processLimit: env.ASSAY_SANDBOX_PROCESS_LIMIT,
          fileSizeLimitBytes: env.ASSAY_SANDBOX_FILE_SIZE_BYTES,
          workspaceLimitBytes: env.ASSAY_SANDBOX_WORKSPACE_BYTES,
          maxOutputBytes: env.ASSAY_MAX_OUTPUT_BYTES,
          startupCode,
          logger,
        }),
        workspacesDir: path.join(env.ASSAY_DATA_DIR, 'workspaces'),
        blobs,
        logger,
      });
    case 'jupyter': {
      // The environment schema requires both once the backend is jupyter.
      const backend = new JupyterSandboxBackend({
        baseUrl: env.ASSAY_JUPYTER_URL ?? '',
        token: env.ASSAY_JUPYTER_TOKEN,
        workspaceRoot: env.ASSAY_JUPYTER_ROOT_DIR,
        startupCode,
        dataPathAlias: DATA_PATH,
        logger,
      });
      const workspaces = new WeakMap<object, string>();
      return new RemoteSandboxSlots({
        blobs,
        logger,
        provider: {
          create: async (sandboxLogger) => {
            const workspaceDir = path.posix.join(env.ASSAY_JUPYTER_ROOT_DIR, env.ASSAY_JUPYTER_WORKSPACES_PATH, `k-${randomUUID()}`);
            await backend.ensureWorkspace(workspaceDir);
            try {
              const sandbox = await backend.create({ workspaceDir, logger: sandboxLogger });
              workspaces.set(sandbox, workspaceDir);
              return sandbox;
            } catch (error) {
              await backend.removeWorkspace(workspaceDir).catch(() => undefined);
              throw error;
            }
          },
          close: async (sandbox) => {
            await sandbox.close();
            const workspaceDir = workspaces.get(sandbox);
            if (workspaceDir !== undefined) await backend.removeWorkspace(workspaceDir);
          },
          // A Jupyter kernel is this replica's alone (its chats are routed here): shut it down.
          detach: async (sandbox) => {
            await sandbox.close();
            const workspaceDir = workspaces.get(sandbox);
            if (workspaceDir !== undefined) await backend.removeWorkspace(workspaceDir);
          },
        },
      });
    }
    case 'e2b': {
      const backend = new E2bSandboxBackend({
        apiKey: env.E2B_API_KEY ?? '',
        domain: env.E2B_DOMAIN,
        apiUrl: env.E2B_API_URL,
        sandboxUrl: env.E2B_SANDBOX_URL,
        template: env.E2B_TEMPLATE,
        // E2B keeps an idle sandbox as long as the executor would keep an idle kernel.
        sandboxTimeoutMs: env.ASSAY_KERNEL_IDLE_TTL_MS,
        workspacePath: DATA_PATH,
        logger,
      });
      const emptyDir = path.join(env.ASSAY_DATA_DIR, 'workspaces', 'e2b-empty');
      return new RemoteSandboxSlots({
        blobs,
        logger,
        workspacePath: DATA_PATH,
        provider: {
          create: async (sandboxLogger) => {
            await fs.promises.mkdir(emptyDir, { recursive: true });
            return backend.create({ workspaceDir: emptyDir, logger: sandboxLogger });
          },
          close: (sandbox) => sandbox.close(),
          // The sandbox keeps running (until its timeout, the idle TTL): any replica reconnects to it.
          detach: (sandbox) => (sandbox instanceof E2bSandbox ? sandbox.detach() : sandbox.close()),
          reconnect: async (sandboxId, sandboxLogger) => {
            const sandbox = await backend.connect(sandboxId, { logger: sandboxLogger });
            return { sandbox, resumed: sandbox.resumedState };
          },
        },
      });
    }
  }
}
