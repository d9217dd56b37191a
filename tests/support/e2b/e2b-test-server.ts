import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { handleCodeInterpreter } from './fake-code-interpreter';
import { handleEnvd } from './fake-envd';
import { FakeSandbox } from './fake-sandbox';
import { HttpError, apiError, readJson, sendError, sendJson } from './http';

/** Options of {@link E2bTestServer.start}. */
export interface E2bTestServerOptions {
  /** The one API key the control plane accepts. @defaultValue a random `e2b_…` key */
  apiKey?: string;
}

/** One request the servers received (for tests that check what the SDK called). */
export interface E2bRequest {
  /** `api` for the control plane, else the sandbox port the request was routed to. */
  target: 'api' | 'envd' | 'code-interpreter';
  method: string;
  path: string;
  sandboxId: string | undefined;
}

/** Lifetime of a sandbox created without a timeout (the E2B API's default). */
const DEFAULT_LIFETIME_S = 15;

/** envd's port in every sandbox (`ConnectionConfig.envdPort` in the SDK). */
const ENVD_PORT = '49983';

/** The code-interpreter server's port (`JUPYTER_PORT` in @e2b/code-interpreter). */
const CODE_INTERPRETER_PORT = '49999';

const NewSandbox = z.object({
  templateID: z.string().min(1),
  metadata: z.record(z.string(), z.string()).nullish(),
  envVars: z.record(z.string(), z.string()).nullish(),
  timeout: z.number().int().positive().nullish(),
  allow_internet_access: z.boolean().nullish(),
});

const ConnectSandbox = z.object({ timeout: z.number().int().positive().nullish() });

const SandboxTimeout = z.object({ timeout: z.number().int().positive() });

/**
 * A local E2B: the control-plane API and the sandbox proxy that the real `@e2b/code-interpreter`
 * SDK talks to, with sandboxes whose kernels are real ipykernels (local sandboxes under
 * bubblewrap). Point the SDK at it with `apiUrl` = {@link apiUrl} and `sandboxUrl` =
 * {@link sandboxUrl} (never the SDK's debug mode, which skips the control plane).
 *
 * Control plane (`X-API-KEY` required): `POST /v2/sandboxes`, `POST /v2/sandboxes/:id/connect`,
 * `GET /sandboxes/:id`, `DELETE /sandboxes/:id`, `POST /sandboxes/:id/timeout`; a sandbox is
 * killed when its timeout passes, as E2B does. Sandbox traffic arrives at one URL and is routed by
 * the `E2b-Sandbox-Id` / `E2b-Sandbox-Port` headers (as E2B's client proxy routes it): port
 * 49983 is envd (see `fake-envd.ts`), 49999 the code-interpreter server (see
 * `fake-code-interpreter.ts`); an unknown or killed sandbox answers 502, as E2B's proxy does.
 */
export class E2bTestServer {
  /** Every request received, in order. */
  readonly requests: E2bRequest[] = [];
  private readonly sandboxes = new Map<string, FakeSandbox>();

  private constructor(
    readonly apiKey: string,
    private readonly api: Server,
    private readonly proxy: Server,
    private readonly baseDir: string,
    private readonly socketRoot: string,
  ) {}

  /** Starts both servers on free loopback ports, with fresh directories. */
  static async start(options: E2bTestServerOptions = {}): Promise<E2bTestServer> {
    // Kernels run as an unprivileged user when tests run as root: both trees must be passable.
    const baseDir = await mkdtemp(join(tmpdir(), 'assay-e2b-'));
    await chmod(baseDir, 0o711);
    const socketRoot = await mkdtemp('/tmp/e2bk-');
    await chmod(socketRoot, 0o711);
    const server = new E2bTestServer(
      options.apiKey ?? `e2b_${randomUUID().replaceAll('-', '')}`,
      createServer(),
      createServer(),
      baseDir,
      socketRoot,
    );
    server.api.on('request', (request, response) => void server.serve(request, response, 'api'));
    server.proxy.on('request', (request, response) => void server.serve(request, response, 'proxy'));
    await Promise.all([listen(server.api), listen(server.proxy)]);
    return server;
  }

  /** Base URL of the control-plane API (the SDK's `apiUrl`). */
  get apiUrl(): string {
    return urlOf(this.api);
  }

  /** URL that receives all sandbox traffic (the SDK's `sandboxUrl`). */
  get sandboxUrl(): string {
    return urlOf(this.proxy);
  }

  /** A live sandbox by id. */
  sandbox(id: string): FakeSandbox | undefined {
    return this.sandboxes.get(id);
  }

  /** Ids of the live sandboxes. */
  get sandboxIds(): string[] {
    return [...this.sandboxes.keys()];
  }

  /** Kills a sandbox as E2B does when its timeout passes (its open requests are dropped). */
  async killSandbox(id: string): Promise<void> {
    const sandbox = this.sandboxes.get(id);
    this.sandboxes.delete(id);
    await sandbox?.kill();
  }

  /** Kills every sandbox, stops both servers and removes the directories. */
  async close(): Promise<void> {
    await Promise.all(this.sandboxIds.map((id) => this.killSandbox(id)));
    for (const server of [this.api, this.proxy]) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    await rm(this.baseDir, { recursive: true, force: true });
    await rm(this.socketRoot, { recursive: true, force: true });
  }

  private async serve(request: IncomingMessage, response: ServerResponse, server: 'api' | 'proxy'): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    try {
      if (server === 'api') {
        this.log('api', request, url, undefined);
        await this.controlPlane(request, response, url);
      } else {
        await this.routeToSandbox(request, response, url);
      }
    } catch (error) {
      sendError(response, error);
    }
  }

  private async routeToSandbox(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const sandboxId = header(request, 'e2b-sandbox-id');
    const port = header(request, 'e2b-sandbox-port');
    const target = port === ENVD_PORT ? 'envd' : port === CODE_INTERPRETER_PORT ? 'code-interpreter' : undefined;
    if (target === undefined) throw new HttpError(502, `The sandbox is running but port ${port ?? '(none)'} is not open`);
    this.log(target, request, url, sandboxId);
    const sandbox = sandboxId === undefined ? undefined : this.sandboxes.get(sandboxId);
    if (sandbox === undefined) throw new HttpError(502, `The sandbox ${sandboxId ?? ''} was not found`);
    if (target === 'envd') await handleEnvd(sandbox, request, response, url);
    else await handleCodeInterpreter(sandbox, request, response, url);
  }

  private async controlPlane(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    if (request.headers['x-api-key'] !== this.apiKey) throw apiError(401, 'Invalid API key');
    const method = request.method ?? '';
    if (url.pathname === '/v2/sandboxes' && method === 'POST') {
      const body = await readJson(request, NewSandbox);
      const sandbox = await FakeSandbox.create({
        templateID: body.templateID,
        metadata: body.metadata ?? {},
        envVars: body.envVars ?? {},
        allowInternetAccess: body.allow_internet_access ?? undefined,
        lifetimeMs: (body.timeout ?? DEFAULT_LIFETIME_S) * 1000,
        baseDir: this.baseDir,
        socketRoot: this.socketRoot,
        onExpire: (expired) => void this.killSandbox(expired.id),
      });
      this.sandboxes.set(sandbox.id, sandbox);
      sendJson(response, 201, connection(sandbox));
      return;
    }
    const connect = /^\/v2\/sandboxes\/([^/]+)\/connect$/.exec(url.pathname);
    if (connect?.[1] !== undefined && method === 'POST') {
      const sandbox = this.existing(connect[1]);
      const { timeout } = await readJson(request, ConnectSandbox);
      // Connecting never shortens a sandbox's life.
      if (timeout && sandbox.endAt.getTime() < Date.now() + timeout * 1000) sandbox.setLifetime(timeout * 1000);
      sendJson(response, 200, connection(sandbox));
      return;
    }
    const timeout = /^\/sandboxes\/([^/]+)\/timeout$/.exec(url.pathname);
    if (timeout?.[1] !== undefined && method === 'POST') {
      const sandbox = this.existing(timeout[1]);
      sandbox.setLifetime((await readJson(request, SandboxTimeout)).timeout * 1000);
      sendJson(response, 204);
      return;
    }
    const one = /^\/sandboxes\/([^/]+)$/.exec(url.pathname);
    if (one?.[1] !== undefined && method === 'GET') {
      sendJson(response, 200, detail(this.existing(one[1])));
      return;
    }
    if (one?.[1] !== undefined && method === 'DELETE') {
      this.existing(one[1]);
      await this.killSandbox(one[1]);
      sendJson(response, 204);
      return;
    }
    throw apiError(404, `${method} ${url.pathname} is not implemented by the test server`);
  }

  private existing(id: string): FakeSandbox {
    const sandbox = this.sandboxes.get(id);
    if (sandbox === undefined) throw apiError(404, `sandbox "${id}" doesn't exist or you don't have access to it`);
    return sandbox;
  }

  private log(target: E2bRequest['target'], request: IncomingMessage, url: URL, sandboxId: string | undefined): void {
    this.requests.push({ target, method: request.method ?? '', path: url.pathname, sandboxId });
  }
}

/** The API's `Sandbox` schema: what the SDK needs to reach a sandbox. */
function connection(sandbox: FakeSandbox): Record<string, unknown> {
  return {
    templateID: sandbox.init.templateID,
    sandboxID: sandbox.id,
    clientID: sandbox.clientID,
    envdVersion: sandbox.envdVersion,
    envdAccessToken: sandbox.envdAccessToken,
    domain: null,
  };
}

/** The API's `SandboxDetail` schema. */
function detail(sandbox: FakeSandbox): Record<string, unknown> {
  return {
    ...connection(sandbox),
    startedAt: sandbox.startedAt.toISOString(),
    endAt: sandbox.endAt.toISOString(),
    cpuCount: 2,
    memoryMB: 2048,
    diskSizeMB: 10_240,
    metadata: sandbox.init.metadata,
    allowInternetAccess: sandbox.init.allowInternetAccess,
    state: 'running',
  };
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

function urlOf(server: Server): string {
  const { port } = server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}
