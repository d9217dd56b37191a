import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { FakeSandbox } from './fake-sandbox';
import { HttpError, apiError, readJson, sendJson } from './http';

/**
 * envd, the daemon in every E2B sandbox (port 49983), as far as the SDK's `files` API uses it:
 *
 * - HTTP (`envd/spec/envd.yaml`): `GET /health`, `GET /files?path=` (download), `POST /files?path=`
 *   (upload as multipart/form-data, one `file` part per file named by its path, or as
 *   application/octet-stream), errors as `{ code, message }`.
 * - Connect RPC with the JSON codec (`filesystem.Filesystem`): `Stat`, `MakeDir`, `ListDir`
 *   (depth 1), `Remove`; errors as `{ code: "not_found", message }` with the matching HTTP status.
 *
 * Every request must carry the sandbox's envd access token (`X-Access-Token`), as secured
 * sandboxes require. The user a request names (`username`, Basic auth) is accepted but not
 * applied: the test server writes every file as its own process user. The process service
 * (`commands`, `pty`) and directory watching are not implemented.
 */
export async function handleEnvd(sandbox: FakeSandbox, request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
  if (request.headers['x-access-token'] !== sandbox.envdAccessToken) {
    throw apiError(401, 'unauthorized access, please provide a valid access token');
  }
  if (url.pathname === '/health' && request.method === 'GET') {
    response.writeHead(204).end();
    return;
  }
  if (url.pathname === '/files' && request.method === 'GET') {
    await download(sandbox, response, requiredPath(url));
    return;
  }
  if (url.pathname === '/files' && request.method === 'POST') {
    sendJson(response, 200, await upload(sandbox, request, url.searchParams.get('path')));
    return;
  }
  const rpc = /^\/filesystem\.Filesystem\/([A-Za-z]+)$/.exec(url.pathname);
  if (rpc?.[1] !== undefined && request.method === 'POST') {
    await filesystemRpc(sandbox, rpc[1], request, response);
    return;
  }
  throw new ConnectError('unimplemented', `${request.method ?? ''} ${url.pathname} is not implemented by the test envd`);
}

function requiredPath(url: URL): string {
  const path = url.searchParams.get('path');
  if (path === null || path === '') throw apiError(400, 'path is required');
  return path;
}

async function download(sandbox: FakeSandbox, response: ServerResponse, path: string): Promise<void> {
  const hostPath = sandbox.hostPath(path);
  const info = await stat(hostPath).catch(() => undefined);
  if (info === undefined) throw apiError(404, `path '${path}' does not exist`);
  if (!info.isFile()) throw apiError(400, `path '${path}' is a directory`);
  response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': info.size });
  await pipeline(createReadStream(hostPath), response);
}

async function upload(
  sandbox: FakeSandbox,
  request: IncomingMessage,
  queryPath: string | null,
): Promise<{ name: string; type: 'file'; path: string }[]> {
  if (request.headers['content-encoding'] !== undefined) throw apiError(400, 'compressed uploads are not supported by the test envd');
  const contentType = request.headers['content-type'] ?? '';
  const written: { name: string; type: 'file'; path: string }[] = [];
  if (contentType.startsWith('application/octet-stream')) {
    if (queryPath === null || queryPath === '') throw apiError(400, 'path is required for an octet-stream upload');
    const hostPath = await prepareFile(sandbox, queryPath);
    await pipeline(request, createWriteStream(hostPath, { mode: 0o644 }));
    await sandbox.own(hostPath);
    written.push(record(sandbox, queryPath));
  } else if (contentType.startsWith('multipart/form-data')) {
    const form = await new Response(Readable.toWeb(request) as ReadableStream, { headers: { 'content-type': contentType } }).formData();
    for (const [field, value] of form) {
      if (field !== 'file' || typeof value === 'string') continue;
      const path = queryPath !== null && queryPath !== '' ? queryPath : value.name;
      const hostPath = await prepareFile(sandbox, path);
      await writeFile(hostPath, Buffer.from(await value.arrayBuffer()), { mode: 0o644 });
      await sandbox.own(hostPath);
      written.push(record(sandbox, path));
    }
  } else {
    throw apiError(400, `unsupported content type ${contentType}`);
  }
  if (written.length === 0) throw apiError(400, 'no file in the request');
  return written;
}

/** Makes the file's directories (belonging to the sandbox's uid) and returns its host path. */
async function prepareFile(sandbox: FakeSandbox, path: string): Promise<string> {
  const hostPath = sandbox.hostPath(path);
  await makeDirectories(sandbox, dirname(hostPath));
  await rm(hostPath, { force: true });
  return hostPath;
}

/** `mkdir -p`, giving each directory it creates to the sandbox's uid. */
async function makeDirectories(sandbox: FakeSandbox, hostPath: string): Promise<void> {
  const first = await mkdir(hostPath, { recursive: true, mode: 0o755 });
  if (first === undefined) return;
  for (let dir = hostPath; dir.length >= first.length; dir = dirname(dir)) {
    await chmod(dir, 0o755);
    await sandbox.own(dir);
  }
}

function record(sandbox: FakeSandbox, path: string): { name: string; type: 'file'; path: string } {
  const absolute = posix.resolve('/home/user', path);
  sandbox.fileWrites.push(absolute);
  return { name: posix.basename(absolute), type: 'file', path: absolute };
}

/** A Connect error: its code names the HTTP status it is sent with. */
class ConnectError extends HttpError {
  constructor(code: keyof typeof CONNECT_STATUS, message: string) {
    super(CONNECT_STATUS[code], { code, message });
  }
}

/** HTTP status of each Connect error code used here (connectrpc.com/docs/protocol#error-codes). */
const CONNECT_STATUS = {
  invalid_argument: 400,
  unauthenticated: 401,
  not_found: 404,
  already_exists: 409,
  unimplemented: 404,
} as const;

const PathRequest = z.object({ path: z.string().min(1) });
const ListDirRequest = PathRequest.extend({ depth: z.number().int().optional() });

async function filesystemRpc(sandbox: FakeSandbox, method: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  if (!(request.headers['content-type'] ?? '').startsWith('application/json')) {
    throw new ConnectError('unimplemented', 'the test envd speaks the Connect JSON codec only');
  }
  const toConnect = (error: unknown): never => {
    if (error instanceof HttpError && error.status === 400) throw new ConnectError('invalid_argument', error.message);
    throw error;
  };
  switch (method) {
    case 'Stat': {
      const { path } = await readJson(request, PathRequest).catch(toConnect);
      sendJson(response, 200, { entry: await entryInfo(sandbox, path) });
      return;
    }
    case 'MakeDir': {
      const { path } = await readJson(request, PathRequest).catch(toConnect);
      const hostPath = sandbox.hostPath(path);
      if (await stat(hostPath).catch(() => undefined)) throw new ConnectError('already_exists', `directory '${path}' already exists`);
      await makeDirectories(sandbox, hostPath);
      sendJson(response, 200, { entry: await entryInfo(sandbox, path) });
      return;
    }
    case 'ListDir': {
      const { path } = await readJson(request, ListDirRequest).catch(toConnect);
      const hostPath = sandbox.hostPath(path);
      const info = await stat(hostPath).catch(() => undefined);
      if (!info?.isDirectory()) throw new ConnectError('not_found', `directory '${path}' does not exist`);
      const entries = [];
      for (const name of await readdir(hostPath)) entries.push(await entryInfo(sandbox, posix.join(posix.resolve('/home/user', path), name)));
      sendJson(response, 200, { entries });
      return;
    }
    case 'Remove': {
      const { path } = await readJson(request, PathRequest).catch(toConnect);
      const hostPath = sandbox.hostPath(path);
      if (!(await stat(hostPath).catch(() => undefined))) throw new ConnectError('not_found', `path '${path}' does not exist`);
      await rm(hostPath, { recursive: true, force: true });
      sendJson(response, 200, {});
      return;
    }
    default:
      throw new ConnectError('unimplemented', `filesystem.Filesystem/${method} is not implemented by the test envd`);
  }
}

/** `filesystem.EntryInfo` in the protobuf JSON mapping (enum names, int64 as a string, RFC 3339 time). */
async function entryInfo(sandbox: FakeSandbox, path: string): Promise<Record<string, unknown>> {
  const absolute = posix.resolve('/home/user', path);
  const info: Stats | undefined = await stat(sandbox.hostPath(absolute)).catch(() => undefined);
  if (info === undefined) throw new ConnectError('not_found', `path '${path}' does not exist`);
  return {
    name: posix.basename(absolute),
    type: info.isDirectory() ? 'FILE_TYPE_DIRECTORY' : 'FILE_TYPE_FILE',
    path: absolute,
    size: String(info.size),
    mode: info.mode & 0o777,
    permissions: (info.mode & 0o777).toString(8),
    owner: 'root',
    group: 'root',
    modifiedTime: info.mtime.toISOString(),
  };
}
