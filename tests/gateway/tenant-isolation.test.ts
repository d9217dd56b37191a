import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ErrorBody } from '@assay/contracts';
import { TenantScope, createTenantWithApiKey } from '@assay/db';
import { routeTable, type RouteEntry } from '../../services/gateway/src/http/route-table';
import { startGateway, type InProcessGateway } from './support/in-process-gateway';

/**
 * Tenant isolation over EVERY /v1 route, enumerated from the express app itself (a route added
 * later is walked without anyone listing it): with another tenant's ids, each answers 404 (never
 * that tenant's data), list routes never show another tenant's ids, and without a key each answers 401.
 */

let gateway: InProcessGateway;
/** Tenant A's resources, by route parameter name. */
const ids: Record<string, string> = {};
let keyA = '';
let keyB = '';

/** Routes any client may call without a key. */
const PUBLIC_ROUTES = new Set(['GET /v1/openapi.json']);
/** Parameterless routes that create something of the caller's own and take no ids. */
const CREATE_WITHOUT_IDS = new Set(['POST /v1/files', 'POST /v1/chats']);

/** A valid body per route, so that validation passes and the tenant check is what answers. */
function exampleBody(route: RouteEntry): unknown {
  switch (`${route.method} ${route.path}`) {
    case 'POST /v1/chats/:chatId/messages':
      return { content: 'How many rows?', fileIds: [ids.fileId] };
    case 'POST /v1/chats/:chatId/cells':
      return { kind: 'code', source: 'print(1)', afterCellId: ids.cellId };
    case 'PATCH /v1/chats/:chatId/cells/:cellId':
      return { source: 'print(2)' };
    case 'POST /v1/batches':
      return { items: [{ question: 'How many rows?', fileIds: [ids.fileId] }] };
    default:
      return route.method === 'GET' || route.method === 'DELETE' ? undefined : {};
  }
}

async function send(route: RouteEntry, path: string, key: string | undefined): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = {};
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  const body = exampleBody(route);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${gateway.baseUrl}${path}`, { method: route.method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: response.status, text: await response.text() };
}

function fill(path: string): string {
  return path.replace(/:(\w+)/g, (_match, name: string) => {
    const id = ids[name];
    if (id === undefined) throw new Error(`No id of tenant A for the route parameter :${name}; add one to the test's fixture.`);
    return id;
  });
}

beforeAll(async () => {
  gateway = await startGateway();
  const a = await createTenantWithApiKey(gateway.prisma, { tenantName: 'tenant A' });
  const b = await createTenantWithApiKey(gateway.prisma, { tenantName: 'tenant B' });
  keyA = a.apiKey;
  keyB = b.apiKey;

  const form = new FormData();
  form.append('file', new Blob(['name,value\na,1\n'], { type: 'text/csv' }), 'a.csv');
  const upload = await fetch(`${gateway.baseUrl}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${keyA}` }, body: form });
  ids.fileId = ((await upload.json()) as { id: string }).id;

  const post = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
    const response = await fetch(`${gateway.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keyA}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  };
  ids.chatId = String((await post('/v1/chats', { title: 'A' })).id);
  ids.messageId = String((await post(`/v1/chats/${ids.chatId}/messages`, { content: 'Hello', fileIds: [ids.fileId] })).id);
  ids.cellId = String((await post(`/v1/chats/${ids.chatId}/cells`, { kind: 'code', source: 'x = 1' })).id);
  ids.batchId = String((await post('/v1/batches', { items: [{ question: 'Sum?', fileIds: [ids.fileId] }] })).id);
  // A notebook operation's id (a job that lives in Redis, not in a tenant-scoped table).
  const restart = await post(`/v1/chats/${ids.chatId}/restart`, {});
  ids.jobId = String(restart.operationId);
  const blob = await gateway.blobs.put(Readable.from([Buffer.from('a,1\n')]), { keyPrefix: a.tenantId });
  const artifact = await new TenantScope(gateway.prisma, a.tenantId).artifacts.create({
    chatId: ids.chatId,
    messageId: ids.messageId,
    cellId: ids.cellId,
    name: 'out.csv',
    mimeType: 'text/csv',
    sizeBytes: blob.sizeBytes,
    sha256: blob.sha256,
    blobKey: blob.key,
  });
  ids.artifactId = artifact.id;
});

afterAll(async () => {
  await gateway?.close();
});

describe('every /v1 route', () => {
  it('is found by enumerating the app (the walk is not a hand-kept list)', () => {
    const routes = routeTable(gateway.app).filter((route) => route.path.startsWith('/v1/'));
    expect(routes.length).toBeGreaterThanOrEqual(20);
    expect(routes).toContainEqual({ method: 'GET', path: '/v1/chats/:chatId' });
  });

  it("answers 404 to another tenant's ids, and lists never show them", async () => {
    const routes = routeTable(gateway.app).filter((route) => route.path.startsWith('/v1/') && !PUBLIC_ROUTES.has(`${route.method} ${route.path}`));
    const aIds = Object.values(ids);
    const walked: string[] = [];
    for (const route of routes) {
      const name = `${route.method} ${route.path}`;
      if (route.path.includes(':') || (route.method !== 'GET' && !CREATE_WITHOUT_IDS.has(name))) {
        const answer = await send(route, fill(route.path), keyB);
        expect({ route: name, status: answer.status }).toEqual({ route: name, status: 404 });
        expect(ErrorBody.parse(JSON.parse(answer.text)).error.code).toBe('NOT_FOUND');
        // The answer may name the ids it was asked about, never another of A's resources.
        const asked = `${fill(route.path)} ${JSON.stringify(exampleBody(route) ?? null)}`;
        expect({ route: name, leaked: aIds.filter((id) => answer.text.includes(id) && !asked.includes(id)) }).toEqual({ route: name, leaked: [] });
        walked.push(name);
      } else if (route.method === 'GET') {
        const answer = await send(route, route.path, keyB);
        expect({ route: name, status: answer.status }).toEqual({ route: name, status: 200 });
        for (const id of aIds) expect({ route: name, leaked: answer.text.includes(id) }).toEqual({ route: name, leaked: false });
        walked.push(name);
      } else {
        expect(CREATE_WITHOUT_IDS.has(name)).toBe(true);
      }
    }
    expect(walked.length).toBeGreaterThanOrEqual(routes.length - CREATE_WITHOUT_IDS.size);

    // The ids are real: tenant A reads each of its resources through the same GET routes.
    for (const route of routes.filter((entry) => entry.method === 'GET' && entry.path.includes(':'))) {
      const answer = await send(route, fill(route.path), keyA);
      expect({ route: `${route.method} ${route.path}`, status: answer.status }).toEqual({ route: `${route.method} ${route.path}`, status: 200 });
    }
    // Nothing B sent changed A's notebook.
    const cell = await gateway.prisma.cell.findUniqueOrThrow({ where: { id: ids.cellId } });
    expect(cell.source).toBe('x = 1');
    expect(await gateway.prisma.file.count({ where: { id: ids.fileId } })).toBe(1);
  });

  it('answers 401 without an API key', async () => {
    const routes = routeTable(gateway.app).filter((route) => route.path.startsWith('/v1/') && !PUBLIC_ROUTES.has(`${route.method} ${route.path}`));
    for (const route of routes) {
      const answer = await send(route, fill(route.path), undefined);
      expect({ route: `${route.method} ${route.path}`, status: answer.status }).toEqual({ route: `${route.method} ${route.path}`, status: 401 });
    }
  });
});
