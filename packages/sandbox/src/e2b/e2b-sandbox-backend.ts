import { posix } from 'node:path';
import { AssayError, ErrorCode } from '@assay/errors';
import { type Logger, createLogger } from '@assay/logger';
import type { E2B, Sandbox as CodeInterpreterSandbox } from '@e2b/code-interpreter';
import { DEFAULT_INTERRUPT_GRACE_MS } from '../consts';
import type { CreateSandboxOptions, SandboxBackend } from '../types';
import {
  DEFAULT_E2B_DOMAIN,
  DEFAULT_E2B_FILES_USER,
  DEFAULT_E2B_REQUEST_TIMEOUT_MS,
  DEFAULT_E2B_SANDBOX_TIMEOUT_MS,
  DEFAULT_E2B_TEMPLATE,
  DEFAULT_E2B_WORKSPACE_PATH,
  E2B_METADATA_SANDBOX_ID,
} from './e2b-consts';
import { e2bFailure } from './e2b-errors';
import { hostFileStream, hostUploads } from './e2b-files';
import { E2bSandbox, type E2bSandboxConfig, createWorkspaceContext, findOrCreateWorkspaceContext } from './e2b-sandbox';

/** Options of {@link E2bSandboxBackend}. */
export interface E2bSandboxBackendOptions {
  /** E2B API key (`e2b_…`). Required: Assay does not let the SDK read E2B_API_KEY itself. */
  apiKey: string;
  /** Domain of the E2B deployment (E2B's cloud, or a self-hosted one). @defaultValue "e2b.app" */
  domain?: string;
  /** URL of E2B's control-plane API (create, connect, kill sandboxes). @defaultValue `https://api.${domain}` */
  apiUrl?: string;
  /**
   * One URL that receives all traffic to sandboxes (envd and the code interpreter), routed by
   * the `E2b-Sandbox-Id` and `E2b-Sandbox-Port` headers, as E2B's client proxy does.
   * @defaultValue per-sandbox hosts under `domain` (`49999-<id>.<domain>`), the SDK's default
   */
  sandboxUrl?: string;
  /** Template (or snapshot) of new sandboxes: it must run E2B's code-interpreter server. @defaultValue "code-interpreter-v1" */
  template?: string;
  /**
   * How long E2B keeps a sandbox after its last cell before killing it (E2B caps this at 1 h
   * or 24 h depending on the plan). Each cell pushes the deadline forward when less than half
   * is left, so an idle sandbox lives between half and all of it.
   * @defaultValue 900_000 (15 minutes)
   */
  sandboxTimeoutMs?: number;
  /** Limit of each request to E2B that is not a cell (create, connect, upload…). @defaultValue 30_000 */
  requestTimeoutMs?: number;
  /**
   * After a cell's timeout, how long the kernel may take to answer again before it is replaced
   * with a fresh one.
   * @defaultValue 5_000
   */
  interruptGraceMs?: number;
  /** Directory in the sandbox that is the kernel's working directory and receives files. @defaultValue "/mnt/data" */
  workspacePath?: string;
  /** Sandbox user that writes files (must be able to create `workspacePath`). @defaultValue "root" */
  filesUser?: string;
  /**
   * Whether code in the sandbox may reach the internet. Off by default, as the local backend's
   * kernels have no network: analysis code needs none, and an open network lets code send data out.
   * @defaultValue false
   */
  allowInternetAccess?: boolean;
  /** Metadata stored with every sandbox (e.g. the deployment's name), merged under `create`'s own. @defaultValue none */
  metadata?: Readonly<Record<string, string>>;
  /** Logger of sandboxes created without one. @defaultValue a silent logger */
  logger?: Logger;
}

/** Options of {@link E2bSandboxBackend.create}. */
export interface E2bCreateSandboxOptions extends CreateSandboxOptions {
  /**
   * Key-value pairs E2B stores with the sandbox (shown in its dashboard, filterable when listing
   * sandboxes), e.g. `{ tenantId, chatId }`. Not secret. @defaultValue none
   */
  metadata?: Readonly<Record<string, string>>;
}

/** Options of {@link E2bSandboxBackend.connect}. */
export interface E2bConnectOptions {
  /** Logger for this sandbox. @defaultValue the backend's */
  logger?: Logger;
}

/**
 * Runs each sandbox as an E2B sandbox (E2B's cloud or a self-hosted E2B) on the
 * `@e2b/code-interpreter` SDK: one Firecracker microVM per sandbox, a Jupyter kernel in it,
 * cells streamed back over HTTP.
 *
 * `create()` starts a sandbox, copies the host workspace into it and opens a Python code context
 * in `/mnt/data`. The returned sandbox's `id` is E2B's sandbox id: `connect(id)` reaches the same
 * sandbox, with its variables, from any process (another executor replica, after a restart).
 * Later input files go in with `E2bSandbox.provideFiles`, each uploaded once per sandbox.
 *
 * @example
 * const backend = new E2bSandboxBackend({ apiKey: env.E2B_API_KEY, logger });
 * const sandbox = await backend.create({ workspaceDir, metadata: { tenantId, chatId } });
 * await sandbox.provideFiles([{ name: 'sales.csv', key: fileId, open: () => blobs.get(blobKey) }]);
 * await sandbox.runCode('import pandas as pd\npd.read_csv("sales.csv").head()');
 * // elsewhere, later:
 * const same = await backend.connect(sandbox.id);
 */
export class E2bSandboxBackend implements SandboxBackend {
  private readonly config: E2bSandboxConfig;
  private readonly connection: {
    apiKey: string;
    domain: string;
    apiUrl: string;
    sandboxUrl: string | undefined;
    requestTimeoutMs: number;
  };
  private readonly template: string;
  private readonly allowInternetAccess: boolean;
  private readonly metadata: Readonly<Record<string, string>>;
  private readonly logger: Logger;
  private client: Promise<E2B> | undefined;

  constructor(options: E2bSandboxBackendOptions) {
    const domain = options.domain ?? DEFAULT_E2B_DOMAIN;
    this.connection = {
      apiKey: options.apiKey,
      domain,
      apiUrl: options.apiUrl ?? `https://api.${domain}`,
      sandboxUrl: options.sandboxUrl,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_E2B_REQUEST_TIMEOUT_MS,
    };
    this.config = {
      workspacePath: options.workspacePath ?? DEFAULT_E2B_WORKSPACE_PATH,
      filesUser: options.filesUser ?? DEFAULT_E2B_FILES_USER,
      sandboxTimeoutMs: options.sandboxTimeoutMs ?? DEFAULT_E2B_SANDBOX_TIMEOUT_MS,
      requestTimeoutMs: this.connection.requestTimeoutMs,
      interruptGraceMs: options.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS,
    };
    this.template = options.template ?? DEFAULT_E2B_TEMPLATE;
    this.allowInternetAccess = options.allowInternetAccess ?? false;
    this.metadata = options.metadata ?? {};
    this.logger = options.logger ?? createLogger({ name: 'sandbox', level: 'silent' });

    if (typeof this.connection.apiKey !== 'string' || this.connection.apiKey.trim() === '') {
      throw invalid('apiKey is required: set the E2B API key (E2B_API_KEY) of the account that runs the sandboxes.');
    }
    for (const key of ['apiUrl', 'sandboxUrl'] as const) {
      const url = this.connection[key];
      if (url !== undefined && !isHttpUrl(url)) throw invalid(`${key} must be an http(s) URL, got ${url}.`);
    }
    for (const key of ['sandboxTimeoutMs', 'requestTimeoutMs', 'interruptGraceMs'] as const) {
      if (!Number.isSafeInteger(this.config[key]) || this.config[key] <= 0) {
        throw invalid(`${key} must be a positive integer, got ${this.config[key]}.`);
      }
    }
    const path = this.config.workspacePath;
    if (!posix.isAbsolute(path) || posix.normalize(path) !== path || path === '/' || path.endsWith('/')) {
      throw invalid(`workspacePath must be a normalised absolute directory other than /, got ${path}.`);
    }
    if (this.template.trim() === '' || this.config.filesUser.trim() === '') {
      throw invalid('template and filesUser must not be empty.');
    }
  }

  /**
   * Starts an E2B sandbox, copies `workspaceDir` (and each read-only bind, as a copy: E2B has no
   * read-only mounts) into it, and opens the code context. The caller's `sandboxId`, if any, is
   * stored in the sandbox's metadata as `assaySandboxId`; the sandbox's `id` is E2B's.
   *
   * @throws AssayError `SANDBOX_UNAVAILABLE` when E2B fails (retryable when it may pass),
   * `CONFIG_INVALID` when E2B rejects the API key or the template.
   */
  async create(options: E2bCreateSandboxOptions): Promise<E2bSandbox> {
    const client = await this.sdk();
    const baseLogger = options.logger ?? this.logger;
    const uploads = await hostUploads(options.workspaceDir, this.config.workspacePath, options.readOnlyBinds ?? [], baseLogger).catch(
      (error: unknown) => {
        throw new AssayError(
          ErrorCode.SANDBOX_UNAVAILABLE,
          `Cannot read the workspace ${options.workspaceDir} to copy into the E2B sandbox: ${describe(error)}`,
          { cause: error },
        );
      },
    );
    let sdk: CodeInterpreterSandbox;
    try {
      sdk = await client.Sandbox.create({
        template: this.template,
        timeoutMs: this.config.sandboxTimeoutMs,
        allowInternetAccess: this.allowInternetAccess,
        metadata: {
          ...this.metadata,
          ...options.metadata,
          ...(options.sandboxId === undefined ? {} : { [E2B_METADATA_SANDBOX_ID]: options.sandboxId }),
        },
        requestTimeoutMs: this.config.requestTimeoutMs,
      });
    } catch (error) {
      throw e2bFailure(error, 'creating a sandbox');
    }
    const logger = baseLogger.child({ sandboxId: sdk.sandboxId });
    try {
      for (const upload of uploads) {
        await sdk.files.write(upload.sandboxPath, hostFileStream(upload.hostPath), { user: this.config.filesUser });
      }
      const context = await createWorkspaceContext(sdk, this.config);
      logger.debug({ files: uploads.length }, 'E2B sandbox created');
      return new E2bSandbox(sdk, context, true, this.config, logger);
    } catch (error) {
      await sdk.kill({ requestTimeoutMs: this.config.requestTimeoutMs }).catch((killError: unknown) => {
        logger.warn({ err: killError }, 'could not kill a sandbox that failed to start; it ends at its timeout');
      });
      throw e2bFailure(error, 'preparing the sandbox', sdk.sandboxId);
    }
  }

  /**
   * Reaches a sandbox made by `create()` here or in another process, by its id, with the
   * variables of its kernel; its lifetime starts again. A paused sandbox is resumed.
   *
   * @throws AssayError `SANDBOX_UNAVAILABLE` when the sandbox no longer exists (killed, or past
   * its timeout): create a new one.
   */
  async connect(sandboxId: string, options: E2bConnectOptions = {}): Promise<E2bSandbox> {
    const client = await this.sdk();
    let sdk: CodeInterpreterSandbox;
    try {
      sdk = await client.Sandbox.connect(sandboxId, {
        timeoutMs: this.config.sandboxTimeoutMs,
        requestTimeoutMs: this.config.requestTimeoutMs,
      });
    } catch (error) {
      throw e2bFailure(error, `connecting to sandbox ${sandboxId}`, sandboxId);
    }
    const logger = (options.logger ?? this.logger).child({ sandboxId });
    try {
      const { context, fresh } = await findOrCreateWorkspaceContext(sdk, this.config);
      logger.debug({ fresh }, 'connected to E2B sandbox');
      return new E2bSandbox(sdk, context, fresh, this.config, logger);
    } catch (error) {
      throw e2bFailure(error, `opening the code context of sandbox ${sandboxId}`, sandboxId);
    }
  }

  /**
   * The SDK client bound to this backend's connection settings: key, domain, API URL and debug
   * mode are always passed, so E2B_* variables of the process cannot redirect it (only
   * E2B_SANDBOX_URL applies when `sandboxUrl` is not set). The SDK is loaded on first use: a
   * deployment with the local backend never loads it.
   */
  private sdk(): Promise<E2B> {
    this.client ??= import('@e2b/code-interpreter').then(
      ({ E2B: Client }) =>
        new Client({
          apiKey: this.connection.apiKey,
          domain: this.connection.domain,
          apiUrl: this.connection.apiUrl,
          sandboxUrl: this.connection.sandboxUrl,
          requestTimeoutMs: this.connection.requestTimeoutMs,
          debug: false,
        }),
    );
    return this.client;
  }
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function invalid(message: string): AssayError {
  return new AssayError(ErrorCode.CONFIG_INVALID, message);
}
