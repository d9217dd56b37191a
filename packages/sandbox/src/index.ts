export { DEFAULT_CELL_TIMEOUT_MS, DEFAULT_KERNEL_UID_RANGE, DEFAULT_STARTUP_CODE } from './consts';
export { Execution, ExecutionError, Result } from './execution';
export type { ExecutionInit, Logs, UserExpressionResult } from './execution';
export { JupyterSandbox } from './jupyter/jupyter-sandbox';
export { JupyterSandboxBackend } from './jupyter/jupyter-sandbox-backend';
export type { JupyterSandboxBackendOptions } from './jupyter/jupyter-sandbox-backend';
export { E2bSandbox } from './e2b/e2b-sandbox';
export { E2bSandboxBackend } from './e2b/e2b-sandbox-backend';
export type { E2bConnectOptions, E2bCreateSandboxOptions, E2bSandboxBackendOptions } from './e2b/e2b-sandbox-backend';
export type { E2bInputFile } from './e2b/e2b-files';
export { LocalSandboxBackend } from './local/local-sandbox-backend';
export type { LocalSandboxBackendOptions } from './local/local-sandbox-backend';
export type {
  CreateSandboxOptions,
  KernelExit,
  ReadOnlyBind,
  RemoteWorkspace,
  RunCodeOptions,
  Sandbox,
  SandboxBackend,
  SandboxEvents,
  SandboxInputFile,
  WorkspaceEntry,
} from './types';
