import { randomUUID } from 'node:crypto';
import { posix } from 'node:path';
import { AssayError, ErrorCode } from '@assay/errors';
import { type Logger, createLogger } from '@assay/logger';
import { DEFAULT_INTERRUPT_GRACE_MS, DEFAULT_START_TIMEOUT_MS, DEFAULT_STARTUP_CODE } from '../consts';
import type { CreateSandboxOptions, SandboxBackend } from '../types';
import type { KernelPlacement } from './jupyter-kernel';
import { JupyterRestClient } from './jupyter-rest-client';
import { JupyterSandbox, type JupyterSandboxConfig } from './jupyter-sandbox';

/** How long one REST call that does not start a kernel may take. */
const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** Options of {@link JupyterSandboxBackend}. Paths are paths on the Jupyter server's machine. */
export interface JupyterSandboxBackendOptions {
  /**
   * Base URL of the Jupyter Server, Kernel Gateway or Enterprise Gateway, including the server's
   * `base_url` path if it has one, e.g. `http://jupyter.internal:8888/`.
   */
  baseUrl: string;
  /**
   * The server's token (`ServerApp.token`, `KG_AUTH_TOKEN`), sent as `Authorization: token …`
   * on every request and on the kernel WebSocket.
   * @defaultValue none (a server without authentication)
   */
  token?: string;
  /**
   * The server's root directory (`ServerApp.root_dir`) as an absolute path on the server's
   * machine. A sandbox's `workspaceDir` names a directory inside it, also on the server's
   * machine; its kernel runs with that directory as its working directory. When the server runs
   * on this machine, both are ordinary host paths.
   */
  workspaceRoot: string;
  /** Kernel spec to start. @defaultValue "python3" */
  kernelName?: string;
  /**
   * Whether the server has the Contents API (`/api/contents`): Jupyter Server has, Kernel and
   * Enterprise Gateway have not. With it, `create` checks that the workspace exists (the server
   * would silently start the kernel in a parent directory otherwise), and `ensureWorkspace` and
   * `uploadFile` work.
   * @defaultValue true
   */
  contentsApi?: boolean;
  /** How long a new or restarted kernel may take to answer. @defaultValue 30_000 */
  startTimeoutMs?: number;
  /** How long a REST call that does not start a kernel may take. @defaultValue 10_000 */
  requestTimeoutMs?: number;
  /**
   * After a cell's timeout, how long it may take to stop once interrupted before the kernel is
   * restarted.
   * @defaultValue 5_000
   */
  interruptGraceMs?: number;
  /**
   * Python run silently in every new kernel (and after every restart) before its first cell;
   * '' for none. A kernel where it raises is not used.
   * @defaultValue {@link DEFAULT_STARTUP_CODE}
   */
  startupCode?: string;
  /**
   * An absolute path, such as `/mnt/data`, that cells may use for the workspace although the
   * server mounts nothing there: every cell's source has this path, where it stands as a path
   * (followed by `/`, a quote, whitespace or the end), rewritten to the kernel's working
   * directory before it runs (an IPython input transformer installed by the start-up code).
   * Only literal occurrences in the cell's text are rewritten: a path assembled at run time
   * (`os.path.join('/mnt', 'data')`) is not. Undefined: no rewrite.
   * @defaultValue none
   */
  dataPathAlias?: string;
  /** Logger of sandboxes created without one. @defaultValue a silent logger */
  logger?: Logger;
}

/**
 * Runs each sandbox as a kernel on a Jupyter Server (or Kernel/Enterprise Gateway), through its
 * REST API and kernel WebSocket. The kernel is as isolated as the server's deployment makes it:
 * this backend adds no sandboxing of its own (no bubblewrap, no memory limit), and the
 * workspace is a directory on the server, which cells reach by relative paths (nothing is
 * mounted at /mnt/data; `dataPathAlias` rewrites that path in cells' sources). Files go in and
 * out through the sandbox's `RemoteWorkspace` methods (Contents API).
 *
 * @example
 * const backend = new JupyterSandboxBackend({ baseUrl: 'http://jupyter:8888/', token, workspaceRoot: '/srv/assay' });
 * await backend.ensureWorkspace('/srv/assay/chats/c1');
 * await backend.uploadFile('/srv/assay/chats/c1', 'sales.csv', bytes);
 * const sandbox = await backend.create({ workspaceDir: '/srv/assay/chats/c1' });
 */
export class JupyterSandboxBackend implements SandboxBackend {
  private readonly config: JupyterSandboxConfig;
  private readonly rest: JupyterRestClient;
  private readonly workspaceRoot: string;
  private readonly contentsApi: boolean;
  private readonly logger: Logger;

  constructor(options: JupyterSandboxBackendOptions) {
    const baseUrl = parseBaseUrl(options.baseUrl);
    const timeouts = {
      startTimeoutMs: options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      interruptGraceMs: options.interruptGraceMs ?? DEFAULT_INTERRUPT_GRACE_MS,
    };
    for (const [key, value] of Object.entries(timeouts)) {
      if (!Number.isSafeInteger(value) || value <= 0) throw invalid(`${key} must be a positive integer, got ${value}.`);
    }
    if (!posix.isAbsolute(options.workspaceRoot)) {
      throw invalid(`workspaceRoot must be an absolute path on the Jupyter server's machine, got ${options.workspaceRoot}.`);
    }
    const kernelName = options.kernelName ?? 'python3';
    if (kernelName === '') throw invalid('kernelName must not be empty.');
    this.rest = new JupyterRestClient({
      baseUrl,
      token: options.token === '' ? undefined : options.token,
      requestTimeoutMs: timeouts.requestTimeoutMs,
      startTimeoutMs: timeouts.startTimeoutMs,
    });
    this.config = {
      rest: this.rest,
      kernelName,
      startTimeoutMs: timeouts.startTimeoutMs,
      interruptGraceMs: timeouts.interruptGraceMs,
      startupCode: [options.startupCode ?? DEFAULT_STARTUP_CODE, dataPathAliasCode(options.dataPathAlias)].filter((code) => code !== '').join('\n'),
    };
    this.workspaceRoot = posix.normalize(options.workspaceRoot);
    this.contentsApi = options.contentsApi ?? true;
    this.logger = options.logger ?? createLogger({ name: 'sandbox', level: 'silent' });
  }

  /**
   * Starts a kernel whose working directory is `workspaceDir` (on the server) and resolves when
   * it answers. `readOnlyBinds` cannot be honoured by a Jupyter server and are refused.
   * @throws AssayError `VALIDATION_FAILED` for a workspace outside `workspaceRoot` or read-only
   * binds; `SANDBOX_UNAVAILABLE` when the workspace is missing or the server refuses or fails.
   */
  async create(options: CreateSandboxOptions): Promise<JupyterSandbox> {
    if ((options.readOnlyBinds ?? []).length > 0) {
      throw new AssayError(
        ErrorCode.VALIDATION_FAILED,
        'readOnlyBinds cannot be mounted by a Jupyter server: put the files into the workspace (uploadFile) instead.',
        { status: 400 },
      );
    }
    const placement = this.placementOf(options.workspaceDir);
    if (this.contentsApi) {
      const model = await this.rest.getContents(placement.apiPath);
      if (model?.type !== 'directory') {
        throw new AssayError(
          ErrorCode.SANDBOX_UNAVAILABLE,
          `The workspace directory ${placement.serverPath} does not exist on the Jupyter server at ${this.rest.serverLabel}: ` +
            'create it first (ensureWorkspace), or check workspaceRoot against the server\'s root_dir.',
        );
      }
    }
    const id = options.sandboxId ?? randomUUID();
    const logger = (options.logger ?? this.logger).child({ sandboxId: id });
    return JupyterSandbox.create(id, placement, this.config, logger);
  }

  /**
   * Creates `workspaceDir` and its missing parents on the server through the Contents API (an
   * existing directory is left as it is).
   */
  async ensureWorkspace(workspaceDir: string): Promise<void> {
    this.assertContentsApi('ensureWorkspace');
    const { apiPath } = this.placementOf(workspaceDir);
    await this.createDirectories(apiPath);
  }

  /**
   * Deletes a workspace directory and what it holds through the Contents API. A non-empty
   * directory is only deleted by a server with `FileContentsManager.always_delete_dir=True`
   * (else it answers 400), and goes to the trash unless `delete_to_trash=False`.
   */
  async removeWorkspace(workspaceDir: string): Promise<void> {
    this.assertContentsApi('removeWorkspace');
    const { apiPath } = this.placementOf(workspaceDir);
    if (apiPath === '') throw invalid('removeWorkspace refuses to delete the server\'s root directory.');
    await this.rest.deleteContents(apiPath);
  }

  /**
   * Writes a file into a workspace on the server through the Contents API (base64 over JSON,
   * so the server's request size limit applies, 512 MiB on Jupyter Server by default), creating
   * missing directories on the way. `relativePath` is relative to the workspace; names starting
   * with a dot are refused by the server unless it allows hidden files.
   */
  async uploadFile(workspaceDir: string, relativePath: string, content: Uint8Array): Promise<void> {
    this.assertContentsApi('uploadFile');
    const { apiPath } = this.placementOf(workspaceDir);
    const inside = posix.normalize(relativePath);
    if (relativePath === '' || posix.isAbsolute(inside) || inside === '.' || inside.split('/')[0] === '..' || inside.endsWith('/')) {
      throw new AssayError(
        ErrorCode.VALIDATION_FAILED,
        `uploadFile: the path must name a file inside the workspace, got ${relativePath}.`,
        { status: 400 },
      );
    }
    const target = apiPath === '' ? inside : `${apiPath}/${inside}`;
    await this.createDirectories(posix.dirname(target) === '.' ? '' : posix.dirname(target));
    await this.rest.writeFile(target, content);
  }

  /** The API path of a workspace, refusing one outside the server's root. */
  private placementOf(workspaceDir: string): KernelPlacement {
    const serverPath = posix.normalize(workspaceDir).replace(/(.)\/$/, '$1');
    const apiPath = posix.relative(this.workspaceRoot, serverPath);
    if (!posix.isAbsolute(workspaceDir) || apiPath.split('/')[0] === '..' || posix.isAbsolute(apiPath)) {
      throw new AssayError(
        ErrorCode.VALIDATION_FAILED,
        `workspaceDir must be an absolute path inside the Jupyter server's root directory ${this.workspaceRoot} ` +
          `(workspaceRoot), got ${workspaceDir}.`,
        { status: 400 },
      );
    }
    return { apiPath, serverPath };
  }

  /** Creates each level of an API path that does not exist yet. */
  private async createDirectories(apiPath: string): Promise<void> {
    if (apiPath === '') return;
    const segments = apiPath.split('/');
    for (let depth = 1; depth <= segments.length; depth += 1) {
      const path = segments.slice(0, depth).join('/');
      const model = await this.rest.getContents(path);
      if (model === undefined) await this.rest.createDirectory(path);
      else if (model.type !== 'directory') {
        throw new AssayError(
          ErrorCode.VALIDATION_FAILED,
          `${posix.join(this.workspaceRoot, path)} on the Jupyter server is a file, not a directory.`,
          { status: 400 },
        );
      }
    }
  }

  private assertContentsApi(operation: string): void {
    if (!this.contentsApi) {
      throw invalid(`${operation} needs the Contents API, which this backend was told the server lacks (contentsApi: false).`);
    }
  }
}

/**
 * Python that installs the input transformer of {@link JupyterSandboxBackendOptions.dataPathAlias}
 * ('' without an alias). The kernel's working directory at start-up is its workspace.
 */
function dataPathAliasCode(alias: string | undefined): string {
  if (alias === undefined) return '';
  if (!posix.isAbsolute(alias) || posix.normalize(alias) !== alias || alias === '/' || alias.endsWith('/') || /['"\\\s]/.test(alias)) {
    throw invalid(`dataPathAlias must be a normalised absolute path such as /mnt/data, got ${alias}.`);
  }
  return String.raw`
def _assay_data_path_alias():
    import os, re
    workspace = os.getcwd()
    pattern = re.compile(r'(?<![\w/.])' + re.escape('${alias}') + r'(?=/|["\'\s]|$)')
    def rewrite(lines):
        return [pattern.sub(lambda _match: workspace, line) for line in lines]
    get_ipython().input_transformers_post.append(rewrite)
_assay_data_path_alias()
del _assay_data_path_alias
`;
}

/** The base URL with a trailing slash, so relative API paths keep its `base_url` path. */
function parseBaseUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(`baseUrl must be an http(s) URL such as http://127.0.0.1:8888/, got ${value}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalid(`baseUrl must be an http(s) URL, got ${value}.`);
  }
  if (url.username !== '' || url.password !== '') {
    throw invalid('baseUrl must not contain credentials: pass the server\'s token as the token option.');
  }
  if (!url.pathname.endsWith('/')) url.pathname = `${url.pathname}/`;
  url.search = '';
  url.hash = '';
  return url;
}

function invalid(message: string): AssayError {
  return new AssayError(ErrorCode.CONFIG_INVALID, message);
}
