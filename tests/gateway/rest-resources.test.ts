import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ArtifactResource, BatchResource, ChatSummaryResource, ErrorBody, FileResource, MessageResource, Page, UsageResource } from '@assay/contracts';
import { TenantScope, createTenantWithApiKey } from '@assay/db';
import { z } from 'zod';
import { startGateway, type InProcessGateway } from './support/in-process-gateway';

/**
 * The REST resources beyond the spine, through the real gateway (no workers: messages stay
 * queued): cursor-paginated lists, file deletion (refused while a message uses the file; blobs
 * shared by identical uploads kept until the last one goes), messages by id, batches, usage.
 */

let gateway: InProcessGateway;

beforeAll(async () => {
  gateway = await startGateway();
});

afterAll(async () => {
  await gateway?.close();
});

class Client {
  constructor(private readonly key: string) {}

  async call<S extends z.ZodType>(method: string, path: string, schema: S, json?: unknown): Promise<{ status: number; body: z.output<S> | ErrorBody }> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.key}` };
    if (json !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${gateway.baseUrl}${path}`, { method, headers, body: json === undefined ? undefined : JSON.stringify(json) });
    const text = await response.text();
    const parsed: unknown = text === '' ? undefined : JSON.parse(text);
    return { status: response.status, body: response.ok ? schema.parse(parsed) : ErrorBody.parse(parsed) };
  }

  async ok<S extends z.ZodType>(method: string, path: string, schema: S, json?: unknown, status = 200): Promise<z.output<S>> {
    const result = await this.call(method, path, schema, json);
    if (result.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${result.status} ${JSON.stringify(result.body)}`);
    return result.body as z.output<S>;
  }

  async error(method: string, path: string, status: number, json?: unknown): Promise<ErrorBody['error']> {
    const result = await this.call(method, path, z.unknown(), json);
    expect(result.status).toBe(status);
    return (result.body as ErrorBody).error;
  }

  async upload(name: string, content: string): Promise<FileResource> {
    const form = new FormData();
    form.append('file', new Blob([content], { type: 'text/csv' }), name);
    const response = await fetch(`${gateway.baseUrl}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${this.key}` }, body: form });
    expect(response.status).toBe(202);
    return FileResource.parse(await response.json());
  }

  /** Every item of a list, page by page. */
  async all<S extends z.ZodType>(path: string, item: S, limit: number): Promise<{ items: Array<z.output<S>>; pages: number }> {
    const items: Array<z.output<S>> = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
      const page: { data: Array<z.output<S>>; nextCursor: string | null } = await this.ok('GET', `${path}${query}`, Page(item));
      expect(page.data.length).toBeLessThanOrEqual(limit);
      items.push(...page.data);
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor !== null);
    return { items, pages };
  }
}

async function newClient(): Promise<{ client: Client; scope: TenantScope }> {
  const { tenantId, apiKey } = await createTenantWithApiKey(gateway.prisma, { tenantName: 'rest' });
  return { client: new Client(apiKey), scope: new TenantScope(gateway.prisma, tenantId) };
}

describe('lists', () => {
  it('pages files and chats newest first, messages and artifacts in order, each item exactly once', async () => {
    const { client, scope } = await newClient();
    const files = [];
    for (let i = 0; i < 5; i += 1) files.push(await client.upload(`f${i}.csv`, `n\n${i}\n`));
    const listedFiles = await client.all('/v1/files', FileResource, 2);
    expect(listedFiles.pages).toBe(3);
    expect(listedFiles.items.map((file) => file.id)).toEqual(files.map((file) => file.id).sort().reverse());

    const chats = [];
    for (let i = 0; i < 3; i += 1) chats.push(await client.ok('POST', '/v1/chats', z.object({ id: z.string() }), { title: `c${i}` }, 201));
    const listedChats = await client.all('/v1/chats', ChatSummaryResource.strict(), 1);
    expect(listedChats.items.map((chat) => chat.id)).toEqual(chats.map((chat) => chat.id).sort().reverse());

    const chatId = chats[0]?.id ?? '';
    const posted = [];
    for (let i = 0; i < 3; i += 1) posted.push(await client.ok('POST', `/v1/chats/${chatId}/messages`, MessageResource, { content: `q${i}` }, 202));
    const listedMessages = await client.all(`/v1/chats/${chatId}/messages`, MessageResource, 2);
    expect(listedMessages.items.map((message) => message.seq)).toEqual([1, 2, 3]);
    expect(listedMessages.items.map((message) => message.id)).toEqual(posted.map((message) => message.id));
    const one = await client.ok('GET', `/v1/messages/${posted[1]?.id ?? ''}`, MessageResource);
    expect(one).toMatchObject({ id: posted[1]?.id, chatId, seq: 2, content: 'q1', status: 'queued' });

    const cell = await scope.cells.insert(chatId, { kind: 'code', source: 'x = 1' });
    const artifactIds = [];
    for (let i = 0; i < 3; i += 1) {
      const blob = await gateway.blobs.put(Readable.from([Buffer.from(`a${i}`)]), { keyPrefix: scope.tenantId });
      const artifact = await scope.artifacts.create({
        chatId,
        messageId: posted[0]?.id ?? '',
        cellId: cell.id,
        name: `out${i}.txt`,
        mimeType: 'text/plain',
        sizeBytes: blob.sizeBytes,
        sha256: blob.sha256,
        blobKey: blob.key,
      });
      artifactIds.push(artifact.id);
    }
    const listedArtifacts = await client.all(`/v1/chats/${chatId}/artifacts`, ArtifactResource, 2);
    expect(listedArtifacts.items.map((artifact) => artifact.id)).toEqual(artifactIds.sort());

    const empty = await client.ok('GET', `/v1/chats/${chats[1]?.id ?? ''}/messages`, Page(MessageResource));
    expect(empty).toEqual({ data: [], nextCursor: null });
  });

  it('refuses a limit out of range and a cursor it did not give out', async () => {
    const { client } = await newClient();
    expect((await client.error('GET', '/v1/files?limit=101', 400)).code).toBe('VALIDATION_FAILED');
    expect((await client.error('GET', '/v1/files?limit=0', 400)).code).toBe('VALIDATION_FAILED');
    expect((await client.error('GET', '/v1/chats?cursor=bm9wZQ', 400)).message).toContain('cursor');
    expect((await client.error('GET', '/v1/files?sort=name', 400)).code).toBe('VALIDATION_FAILED');
    const chat = await client.ok('POST', '/v1/chats', z.object({ id: z.string() }), {}, 201);
    // A file-list cursor (an id) is not a message cursor (a position).
    const files = [await client.upload('a.csv', 'n\n1\n'), await client.upload('b.csv', 'n\n2\n')];
    const page = await client.ok('GET', '/v1/files?limit=1', Page(FileResource));
    expect(files.map((file) => file.id)).toContain(page.data[0]?.id);
    expect((await client.error('GET', `/v1/chats/${chat.id}/messages?cursor=${page.nextCursor ?? ''}`, 400)).code).toBe('VALIDATION_FAILED');
  });
});

describe('DELETE /v1/files/:id', () => {
  it('deletes an unused file, keeps a blob an identical upload still uses, and refuses a file a message uses', async () => {
    const { client } = await newClient();
    const first = await client.upload('same.csv', 'n\n42\n');
    const twin = await client.upload('same-again.csv', 'n\n42\n');
    const row = await gateway.prisma.file.findUniqueOrThrow({ where: { id: first.id } });
    expect((await gateway.prisma.file.findUniqueOrThrow({ where: { id: twin.id } })).blobKey).toBe(row.blobKey);

    expect((await client.call('DELETE', `/v1/files/${first.id}`, z.unknown())).status).toBe(204);
    expect((await client.error('GET', `/v1/files/${first.id}`, 404)).code).toBe('NOT_FOUND');
    expect(await gateway.blobs.exists(row.blobKey)).toBe(true);
    expect((await client.call('DELETE', `/v1/files/${twin.id}`, z.unknown())).status).toBe(204);
    expect(await gateway.blobs.exists(row.blobKey)).toBe(false);
    expect((await client.error('DELETE', `/v1/files/${twin.id}`, 404)).code).toBe('NOT_FOUND');

    const used = await client.upload('used.csv', 'n\n7\n');
    const chat = await client.ok('POST', '/v1/chats', z.object({ id: z.string() }), {}, 201);
    await client.ok('POST', `/v1/chats/${chat.id}/messages`, MessageResource, { content: 'sum', fileIds: [used.id] }, 202);
    const conflict = await client.error('DELETE', `/v1/files/${used.id}`, 409);
    expect(conflict).toMatchObject({ code: 'CONFLICT', details: { chatIds: [chat.id] } });
    expect((await client.ok('GET', `/v1/files/${used.id}`, FileResource)).id).toBe(used.id);
  });
});

describe('batches', () => {
  it('creates one chat and message per item, reports each item, and refuses a bad item before creating anything', async () => {
    const { client, scope } = await newClient();
    const file = await client.upload('t.csv', 'n\n1\n');
    const batch = await client.ok(
      'POST',
      '/v1/batches',
      BatchResource,
      { items: [{ question: 'Rows?', fileIds: [file.id], title: 'one' }, { question: 'Columns?', fileIds: [file.id] }, { question: 'Hello' }] },
      202,
    );
    expect(batch.items).toHaveLength(3);
    // Items with files wait for their ingest (no workers here); the third may already be handed to codegen.
    expect(batch).toMatchObject({ status: 'running', counts: { completed: 0, failed: 0 } });
    expect(batch.items.slice(0, 2).map((item) => item.status)).toEqual(['queued', 'queued']);
    expect(Object.values(batch.counts).reduce((sum, count) => sum + count, 0)).toBe(3);
    const again = await client.ok('GET', `/v1/batches/${batch.id}`, BatchResource);
    expect(again.items.map((item) => item.chatId)).toEqual(batch.items.map((item) => item.chatId));
    const firstMessage = await client.ok('GET', `/v1/messages/${batch.items[0]?.messageId ?? ''}`, MessageResource);
    expect(firstMessage).toMatchObject({ content: 'Rows?', fileIds: [file.id], seq: 1 });
    const chat = await client.ok('GET', `/v1/chats/${batch.items[0]?.chatId ?? ''}`, z.object({ title: z.string().nullable() }).loose());
    expect(chat.title).toBe('one');

    // A failed item shows in the batch's status.
    expect(await scope.messages.transition(batch.items[1]?.messageId ?? '', ['queued'], 'failed', { failure: { code: 'TEST', message: 'failed on purpose' } })).toBe(true);
    const partly = await client.ok('GET', `/v1/batches/${batch.id}`, BatchResource);
    expect(partly.counts).toMatchObject({ failed: 1 });
    expect(partly.items[1]).toMatchObject({ status: 'failed', failure: { code: 'TEST' } });

    const chatsBefore = await gateway.prisma.chat.count({ where: { tenantId: scope.tenantId } });
    const missing = await client.error('POST', '/v1/batches', 404, { items: [{ question: 'ok' }, { question: 'Rows?', fileIds: ['00000000-0000-7000-8000-000000000000'] }] });
    expect(missing.code).toBe('NOT_FOUND');
    expect((await client.error('POST', '/v1/batches', 400, { items: [] })).code).toBe('VALIDATION_FAILED');
    expect((await client.error('POST', '/v1/batches', 400, { items: [{ question: ' ' }] })).message).toContain('question');
    expect(await gateway.prisma.chat.count({ where: { tenantId: scope.tenantId } })).toBe(chatsBefore);
  });
});

describe('batches and the executions quota', () => {
  it('counts one execution per item: a batch past the limit is refused whole (429) and creates nothing', async () => {
    const { client, scope } = await newClient();
    await gateway.prisma.tenant.update({ where: { id: scope.tenantId }, data: { limits: { executionsPerHour: 3 } } });
    const items = (count: number) => ({ items: Array.from({ length: count }, (_, i) => ({ question: `q${i}?` })) });
    const refused = await client.error('POST', '/v1/batches', 429, items(4));
    expect(refused.code).toBe('QUOTA_EXCEEDED');
    expect(await gateway.prisma.chat.count({ where: { tenantId: scope.tenantId } })).toBe(0);
    await client.ok('POST', '/v1/batches', BatchResource, items(3), 202);
    const usage = await client.ok('GET', '/v1/usage', UsageResource);
    expect(usage.quotas.executions).toMatchObject({ limit: 3, used: 3, remaining: 0 });
    expect(usage.chats).toBe(3);
  });
});

describe('GET /v1/usage', () => {
  it('counts what the tenant stores and has run', async () => {
    const { client, scope } = await newClient();
    const idle = await client.ok('GET', '/v1/usage', UsageResource.strict());
    expect(idle).toMatchObject({ storageBytes: 0, files: 0, chats: 0, messages: 0, executedCells: 0, artifacts: 0 });
    // The in-process gateway's defaults: 1000 uploads and executions per hour, 1 000 000 tokens per day.
    expect(idle.quotas).toEqual({
      uploads: { limit: 1000, used: 0, remaining: 1000, resetSeconds: 0 },
      executions: { limit: 1000, used: 0, remaining: 1000, resetSeconds: 0 },
      tokens: { limit: 1_000_000, used: 0, remaining: 1_000_000, resetSeconds: 0 },
    });
    await client.upload('a.csv', 'n\n1\n');
    await client.upload('b.csv', 'n\n1\n');
    await client.upload('c.csv', 'n\n22\n');
    const chat = await client.ok('POST', '/v1/chats', z.object({ id: z.string() }), {}, 201);
    await client.ok('POST', `/v1/chats/${chat.id}/messages`, MessageResource, { content: 'q' }, 202);
    const cell = await scope.cells.insert(chat.id, { kind: 'code', source: '1' });
    await scope.cells.complete(cell.id, { status: 'ok', outputs: [], executionCount: 1 });
    const used = await client.ok('GET', '/v1/usage', UsageResource);
    expect(used).toMatchObject({
      // Two uploads share content: counted once.
      storageBytes: 'n\n1\n'.length + 'n\n22\n'.length,
      files: 3,
      chats: 1,
      messages: 1,
      executedCells: 1,
      artifacts: 0,
    });
    expect(used.quotas.uploads).toMatchObject({ used: 3, remaining: 997 });
    expect(used.quotas.executions).toMatchObject({ used: 1, remaining: 999 });
    expect(used.quotas.uploads.resetSeconds).toBeGreaterThan(0);
    expect(used.quotas.tokens.used).toBe(0);
  });
});
