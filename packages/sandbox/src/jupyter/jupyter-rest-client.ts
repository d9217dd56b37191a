import { AssayError, ErrorCode } from '@assay/errors';
import { z } from 'zod';

/**
 * A kernel as the REST API describes it (`GET/POST /api/kernels`).
 * @see https://jupyter-server.readthedocs.io/en/latest/developers/rest-api.html
 */
export const KernelModel = z.object({
  id: z.string().min(1),
  name: z.string(),
  execution_state: z.string().optional(),
  last_activity: z.string().optional(),
  connections: z.number().optional(),
});
export type KernelModel = z.infer<typeof KernelModel>;

/** A file or directory as the Contents API describes it (requested without content). */
export const ContentsModel = z.object({
  name: z.string(),
  path: z.string(),
  type: z.enum(['directory', 'file', 'notebook']),
});
export type ContentsModel = z.infer<typeof ContentsModel>;

/** A directory's listing (`GET /api/contents/<dir>?content=1`): its entries, without their content. */
export const DirectoryListing = z.object({
  content: z.array(
    z.object({
      name: z.string(),
      path: z.string(),
      type: z.enum(['directory', 'file', 'notebook']),
      last_modified: z.string().nullish(),
      size: z.number().nullish(),
    }),
  ),
});
export type DirectoryListing = z.infer<typeof DirectoryListing>;

/** A file with its content as base64 (`GET /api/contents/<file>?format=base64`). */
const Base64File = z.object({ content: z.string(), format: z.literal('base64') });

/** What a kernel is started with (`POST /api/kernels`). */
export interface StartKernelBody {
  /** Kernel spec name. */
  name: string;
  /** API path (relative to the server's root directory) of the kernel's working directory. */
  path: string;
  /** Environment for gateways that accept one (Enterprise Gateway reads `KERNEL_*` variables). */
  env: Record<string, string>;
}

/** Settings of a {@link JupyterRestClient}, resolved by the backend. */
export interface JupyterRestClientOptions {
  /** The server's base URL, ending with '/'. */
  baseUrl: URL;
  /** Sent as `Authorization: token …`; undefined for a server without authentication. */
  token: string | undefined;
  /** Limit of one request that does not start a kernel. */
  requestTimeoutMs: number;
  /** Limit of a request that starts or restarts a kernel (the server answers once it runs). */
  startTimeoutMs: number;
}

/**
 * The REST calls Assay makes to a Jupyter Server (or Kernel/Enterprise Gateway): kernels and,
 * where the server has one, the Contents API. Every answer is validated; failures become
 * `SANDBOX_UNAVAILABLE` errors that say what to check.
 */
export class JupyterRestClient {
  constructor(private readonly options: JupyterRestClientOptions) {}

  /** Headers that authenticate a request, for the WebSocket upgrade too. */
  authHeaders(): Record<string, string> {
    return this.options.token === undefined ? {} : { Authorization: `token ${this.options.token}` };
  }

  /** The server as people should see it in messages (no query, no credentials). */
  get serverLabel(): string {
    const { origin, pathname } = this.options.baseUrl;
    return `${origin}${pathname}`;
  }

  /** `ws(s)://…/api/kernels/<id>/channels?session_id=<session>`. */
  channelsUrl(kernelId: string, sessionId: string): URL {
    const url = this.url(`api/kernels/${encodeURIComponent(kernelId)}/channels`);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.searchParams.set('session_id', sessionId);
    return url;
  }

  /** Starts a kernel; resolves once the server has launched it. */
  async startKernel(body: StartKernelBody): Promise<KernelModel> {
    const response = await this.call('POST', 'api/kernels', { body, timeoutMs: this.options.startTimeoutMs, expect: [201, 200] });
    return this.parse(KernelModel, response, 'POST api/kernels');
  }

  /** Restarts a kernel in place (same id, fresh process); resolves once it answers again. */
  async restartKernel(kernelId: string): Promise<KernelModel> {
    const path = `api/kernels/${encodeURIComponent(kernelId)}/restart`;
    const response = await this.call('POST', path, { timeoutMs: this.options.startTimeoutMs, expect: [200] });
    return this.parse(KernelModel, response, `POST ${path}`);
  }

  /** Sends the kernel SIGINT (or an interrupt_request, as its kernel spec says). */
  async interruptKernel(kernelId: string): Promise<void> {
    await this.call('POST', `api/kernels/${encodeURIComponent(kernelId)}/interrupt`, { expect: [204, 200] });
  }

  /** Shuts a kernel down; a kernel the server no longer knows counts as done. */
  async deleteKernel(kernelId: string): Promise<void> {
    await this.call('DELETE', `api/kernels/${encodeURIComponent(kernelId)}`, { expect: [204, 200, 404] });
  }

  /** A file or directory's model without its content, or undefined when it does not exist. */
  async getContents(apiPath: string): Promise<ContentsModel | undefined> {
    const path = `api/contents/${encodePath(apiPath)}?content=0`;
    const response = await this.call('GET', path, { expect: [200, 404] });
    if (response.status === 404) return undefined;
    return this.parse(ContentsModel, response, `GET ${path}`);
  }

  /** The entries of a directory (files, notebooks, sub-directories; hidden files as the server allows). */
  async listDirectory(apiPath: string): Promise<DirectoryListing['content']> {
    const path = `api/contents/${encodePath(apiPath)}?type=directory&content=1`;
    const response = await this.call('GET', path, { expect: [200] });
    return this.parse(DirectoryListing, response, `GET ${path}`).content;
  }

  /** A file's bytes (base64 over JSON, so the whole file is held in memory once). */
  async readFile(apiPath: string): Promise<Buffer> {
    const path = `api/contents/${encodePath(apiPath)}?type=file&format=base64&content=1`;
    const response = await this.call('GET', path, { timeoutMs: this.options.startTimeoutMs, expect: [200] });
    return Buffer.from(this.parse(Base64File, response, `GET ${path}`).content, 'base64');
  }

  /** Deletes a file or directory; one that does not exist counts as deleted. */
  async deleteContents(apiPath: string): Promise<void> {
    await this.call('DELETE', `api/contents/${encodePath(apiPath)}`, { expect: [204, 200, 404] });
  }

  /** Creates a directory (an existing one is left as it is). */
  async createDirectory(apiPath: string): Promise<void> {
    await this.call('PUT', `api/contents/${encodePath(apiPath)}`, { body: { type: 'directory' }, expect: [200, 201] });
  }

  /** Writes a file, replacing an existing one; bytes travel base64-encoded. */
  async writeFile(apiPath: string, content: Uint8Array): Promise<void> {
    await this.call('PUT', `api/contents/${encodePath(apiPath)}`, {
      body: { type: 'file', format: 'base64', content: Buffer.from(content).toString('base64') },
      timeoutMs: this.options.startTimeoutMs,
      expect: [200, 201],
    });
  }

  private url(path: string): URL {
    return new URL(path, this.options.baseUrl);
  }

  /** Sends one request; a status outside `expect` or no answer becomes an AssayError. */
  private async call(
    method: string,
    path: string,
    options: { body?: unknown; timeoutMs?: number; expect: readonly number[] },
  ): Promise<{ status: number; body: unknown }> {
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs;
    let response: Response;
    try {
      response = await fetch(this.url(path), {
        method,
        headers: { ...this.authHeaders(), ...(options.body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      throw new AssayError(
        ErrorCode.SANDBOX_UNAVAILABLE,
        timedOut
          ? `The Jupyter server at ${this.serverLabel} did not answer ${method} ${stripQuery(path)} within ${timeoutMs} ms: ` +
              'it may be overloaded (raise the timeout) or stuck.'
          : `Could not reach the Jupyter server at ${this.serverLabel} (${describeCause(error)}): check that it runs and the base URL.`,
        { cause: error, retryable: true },
      );
    }
    const text = await response.text().catch(() => '');
    if (!options.expect.includes(response.status)) throw this.statusError(method, path, response.status, text);
    let body: unknown;
    try {
      body = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      body = undefined;
    }
    return { status: response.status, body };
  }

  /** One place that turns an HTTP status into an error a person can act on. */
  private statusError(method: string, path: string, status: number, text: string): AssayError {
    const request = `${method} ${stripQuery(path)}`;
    const said = serverMessage(text);
    if (status === 401 || status === 403) {
      return new AssayError(
        ErrorCode.SANDBOX_UNAVAILABLE,
        `The Jupyter server at ${this.serverLabel} refused the token (HTTP ${status} on ${request}): ` +
          "check the backend's token option, which must equal the server's ServerApp.token.",
        { details: { status } },
      );
    }
    if (status === 404) {
      return new AssayError(
        ErrorCode.SANDBOX_UNAVAILABLE,
        `The Jupyter server at ${this.serverLabel} has no ${request}${said}: check the base URL (including the ` +
          "server's base_url path); Kernel and Enterprise Gateway have no Contents API (set contentsApi: false).",
        { details: { status } },
      );
    }
    return new AssayError(
      ErrorCode.SANDBOX_UNAVAILABLE,
      `The Jupyter server at ${this.serverLabel} answered ${request} with HTTP ${status}${said}.`,
      { details: { status }, retryable: status >= 500 || status === 429 },
    );
  }

  private parse<S extends z.ZodType>(schema: S, response: { body: unknown }, request: string): z.infer<S> {
    const parsed = schema.safeParse(response.body);
    if (!parsed.success) {
      throw new AssayError(
        ErrorCode.SANDBOX_UNAVAILABLE,
        `The answer of ${this.serverLabel} to ${stripQuery(request)} is not what a Jupyter server sends: check the base URL.`,
        { cause: parsed.error },
      );
    }
    return parsed.data;
  }
}

/** Encodes each segment of an API path ('/'-separated, relative to the server's root). */
function encodePath(apiPath: string): string {
  return apiPath.split('/').map(encodeURIComponent).join('/');
}

function stripQuery(path: string): string {
  const at = path.indexOf('?');
  return at < 0 ? path : path.slice(0, at);
}

/** The server's own explanation (`{"message": …}`), shortened, as a clause; '' when there is none. */
function serverMessage(text: string): string {
  try {
    const parsed = z.object({ message: z.string().min(1) }).safeParse(JSON.parse(text));
    if (parsed.success) return ` (${parsed.data.message.slice(0, 300)})`;
  } catch {
    // Not JSON: say nothing rather than echo a proxy's HTML page.
  }
  return '';
}

/** fetch hides the socket error in `cause`: ECONNREFUSED, ENOTFOUND… */
function describeCause(error: unknown): string {
  if (error instanceof Error && error.cause instanceof Error) {
    const code = (error.cause as NodeJS.ErrnoException).code;
    return code ?? error.cause.message;
  }
  return error instanceof Error ? error.message : String(error);
}
