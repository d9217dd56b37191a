import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { FileResource } from '@assay/contracts';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { WebSocket } from 'ws';
import { ApiClient, EventSocket, expectError, expectOk } from '../support/api-client';
import { ServiceStack } from '../support/service-stack';
import { testEnvironment } from '../support/test-environment';

/**
 * What a client gets wrong is answered with the right status and error code, and a refused
 * upload leaves nothing behind: no file row, no blob.
 */

const UPLOAD_LIMIT_BYTES = 256 * 1024;
const PENDING_MESSAGES_LIMIT = 2;
const PDF = Buffer.from('%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');
const PNG = Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), Buffer.alloc(64, 1)]);

let stack: ServiceStack;
let api: ApiClient;
let tenantId: string;
let apiKey: string;

beforeAll(async () => {
  stack = await ServiceStack.start({
    env: {
      CODEGEN_PROVIDER: 'scripted',
      ASSAY_MAX_UPLOAD_BYTES: String(UPLOAD_LIMIT_BYTES),
      ASSAY_MAX_PENDING_MESSAGES_PER_CHAT: String(PENDING_MESSAGES_LIMIT),
    },
  });
  ({ tenantId, apiKey } = await stack.createTenant());
  api = new ApiClient(stack.baseUrl, apiKey);
});

afterAll(async () => {
  await stack?.stop();
});

async function storedFiles(): Promise<{ rows: number; blobs: string[] }> {
  const rows = await stack.prisma.file.count({ where: { tenantId } });
  const blobDir = path.join(stack.dataDir, 'blobs', tenantId);
  const blobs = fs.existsSync(blobDir) ? await fs.promises.readdir(blobDir) : [];
  return { rows, blobs };
}

describe('authentication', () => {
  it.each([
    ['no Authorization header', undefined, 'needs an API key'],
    ['a malformed header', 'Token abc', 'must have the form "Bearer <key>"'],
    ['an unknown key', 'Bearer assay_thisKeyDoesNotExist0000000000000000000000', 'not valid'],
  ])('refuses %s with 401 UNAUTHORIZED', async (_case, header, message) => {
    const client = new ApiClient(stack.baseUrl, undefined);
    const response = await client.request('GET', '/v1/chats/00000000-0000-7000-8000-000000000000', FileResource, {
      headers: header === undefined ? {} : { authorization: header },
    });
    expect(expectError(response)).toMatchObject({ status: 401, code: 'UNAUTHORIZED', message: expect.stringContaining(message) });
  });

  it('refuses a WebSocket upgrade without a valid key', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(`${stack.baseUrl.replace('http', 'ws')}/v1/ws`, { headers: { authorization: 'Bearer nope' } });
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('open', () => reject(new Error('the upgrade was accepted')));
      socket.once('error', () => undefined);
    });
    expect(status).toBe(401);
  });
});

describe('uploads', () => {
  it('refuses an unsupported extension with 415 and stores nothing', async () => {
    const error = expectError(await api.uploadFile('notes.txt', 'a,b\n1,2\n'));
    expect(error).toMatchObject({ status: 415, code: 'UNSUPPORTED_FILE_TYPE' });
    expect(error.message).toMatch(/\.csv.*\.tsv.*\.xlsx.*\.xls/);
    expect(await storedFiles()).toEqual({ rows: 0, blobs: [] });
  });

  it.each([
    ['a PDF named .xlsx', 'report.xlsx', PDF],
    ['a PNG named .csv', 'chart.csv', PNG],
    ['CSV text named .xlsx', 'table.xlsx', Buffer.from('a,b\n1,2\n')],
    ['CSV text named .xls', 'table.xls', Buffer.from('a,b\n1,2\n')],
  ])('refuses %s with 415 FILE_CONTENT_MISMATCH and stores nothing', async (_case, name, content) => {
    const error = expectError(await api.uploadFile(name, content));
    expect(error).toMatchObject({ status: 415, code: 'FILE_CONTENT_MISMATCH' });
    expect(error.message).toContain(name);
    expect(await storedFiles()).toEqual({ rows: 0, blobs: [] });
  });

  it('refuses a file over the size limit with 413 and stores nothing', async () => {
    const big = `a,b\n${'1,2\n'.repeat(UPLOAD_LIMIT_BYTES / 4 + 10)}`;
    const error = expectError(await api.uploadFile('big.csv', big));
    expect(error).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE', message: expect.stringContaining('256 KiB') });
    expect(await storedFiles()).toEqual({ rows: 0, blobs: [] });
  });

  it('refuses a request that is not multipart, or has no file, with 400', async () => {
    const notMultipart = await api.request('POST', '/v1/files', FileResource, { json: { file: 'a,b' } });
    expect(expectError(notMultipart)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    const form = new FormData();
    form.append('comment', 'no file here');
    const noFile = await api.request('POST', '/v1/files', FileResource, { body: form });
    expect(expectError(noFile)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', message: expect.stringContaining('no file') });
    expect(await storedFiles()).toEqual({ rows: 0, blobs: [] });
  });

  it('accepts a good file after all those refusals (only it is stored)', async () => {
    const response = await api.uploadFile('ok.csv', 'a,b\n1,2\n');
    expect(response.status).toBe(202);
    expect(await storedFiles()).toMatchObject({ rows: 1, blobs: [expect.any(String)] });
  });
});

describe('chats and messages', () => {
  it('answers 404 for an unknown file id in a message, and stores no message', async () => {
    const chatId = expectOk(await api.createChat()).id;
    const missing = randomUUID();
    const error = expectError(await api.postMessage(chatId, { content: 'hi', fileIds: [missing] }));
    expect(error).toMatchObject({ status: 404, code: 'NOT_FOUND', message: `File ${missing} was not found.` });
    expect(expectOk(await api.getChat(chatId)).messages).toEqual([]);
  });

  it.each([
    ['an empty content', { content: '   ' }],
    ['a missing content', { fileIds: [] }],
    ['an unknown field', { content: 'hi', model: 'gpt' }],
    ['a file id that is not an id', { content: 'hi', fileIds: ['x'] }],
  ])('answers 400 VALIDATION_FAILED for %s', async (_case, body) => {
    const chatId = expectOk(await api.createChat()).id;
    expect(expectError(await api.postMessage(chatId, body))).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });

  it('answers 400 for a body that is not JSON', async () => {
    const chatId = expectOk(await api.createChat()).id;
    const response = await api.request('POST', `/v1/chats/${chatId}/messages`, FileResource, {
      body: '{"content": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(expectError(response)).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', message: 'The request body is not valid JSON.' });
  });

  it('answers 404 for unknown routes and ids that are not ids', async () => {
    expect(expectError(await api.request('GET', '/v1/nothing-here', FileResource))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(expectError(await api.getChat('not-an-id'))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});

describe('files that cannot be read', () => {
  // Rows with more fields than the header make pandas' read_csv fail, so ingest refuses the file.
  const BROKEN_CSV = 'region,units\nnorth,1\nsouth,2,3,4\n';

  it('fail the message waiting for them, and get 422 when attached later', async () => {
    // Hold ingest back until the message waits for the file: otherwise ingest may fail the file
    // first and the message would be refused up front (the second half of this test).
    const connection = new Redis(testEnvironment().redisUrl, { maxRetriesPerRequest: null });
    const ingest = new Queue('ingest', { connection, prefix: stack.keyPrefix });
    await ingest.pause();
    let file;
    let waiting;
    const chatId = expectOk(await api.createChat()).id;
    const socket = await EventSocket.open(stack.baseUrl, apiKey);
    try {
      file = expectOk(await api.uploadFile('broken.csv', BROKEN_CSV, 'text/csv'));
      socket.subscribe(chatId);
      waiting = expectOk(await api.postMessage(chatId, { content: '{"cells":[]}', fileIds: [file.id] }));
      expect(waiting.status).toBe('queued');
    } finally {
      await ingest.resume();
      await ingest.close();
      connection.disconnect();
    }

    const failed = await socket.waitForEvent((event) => event.messageId === waiting.id && event.type === 'message.failed');
    expect(failed.type === 'message.failed' && failed.data.error).toEqual({
      code: 'FILE_FAILED',
      message: expect.stringContaining('broken.csv: broken.csv cannot be read'),
    });
    const ingested = socket.events(chatId).find((event) => event.type === 'file.ingested');
    expect(ingested?.type === 'file.ingested' && ingested.data).toMatchObject({ status: 'failed', failure: { code: 'FILE_UNREADABLE' } });
    await socket.close();

    expect(expectOk(await api.getFile(file.id))).toMatchObject({ status: 'failed', failure: { code: 'FILE_UNREADABLE' } });
    const refused = expectError(await api.postMessage(chatId, { content: 'try again', fileIds: [file.id] }));
    expect(refused).toMatchObject({ status: 422, code: 'FILE_FAILED', message: expect.stringContaining('broken.csv') });
    expect(expectOk(await api.getChat(chatId)).messages).toHaveLength(1);
  });
});

describe('a busy chat', () => {
  it(`answers 429 with Retry-After past ${PENDING_MESSAGES_LIMIT} unfinished messages, and stores nothing`, async () => {
    const chatId = expectOk(await api.createChat()).id;
    const slow = JSON.stringify({ cells: [{ kind: 'code', source: 'import time\ntime.sleep(4)' }] });
    for (let i = 0; i < PENDING_MESSAGES_LIMIT; i++) expect((await api.postMessage(chatId, { content: slow })).status).toBe(202);

    const response = await api.postMessage(chatId, { content: slow });
    expect(expectError(response)).toMatchObject({ status: 429, code: 'RATE_LIMITED', message: expect.stringContaining('limit is 2') });
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(expectOk(await api.getChat(chatId)).messages).toHaveLength(PENDING_MESSAGES_LIMIT);
  });
});

describe('another tenant', () => {
  it('gets 404 for this tenant’s chat and file, over HTTP and over the WebSocket', async () => {
    const chatId = expectOk(await api.createChat('private')).id;
    const fileId = expectOk(await api.uploadFile('private.csv', 'x,y\n1,2\n')).id;
    const intruder = await stack.createTenant('intruder');
    const other = new ApiClient(stack.baseUrl, intruder.apiKey);

    expect(expectError(await other.getChat(chatId))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(expectError(await other.getFile(fileId))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    expect(expectError(await other.postMessage(chatId, { content: 'hi' }))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const ownChat = expectOk(await other.createChat()).id;
    expect(expectError(await other.postMessage(ownChat, { content: 'hi', fileIds: [fileId] }))).toMatchObject({ status: 404 });

    const socket = await EventSocket.open(stack.baseUrl, intruder.apiKey);
    socket.subscribe(chatId);
    const frame = await socket.waitForFrame((candidate) => candidate.type === 'error');
    expect(frame.payload).toMatchObject({ code: 'NOT_FOUND', chatId });
    await socket.close();
    // The owner still sees both.
    expect(expectOk(await api.getChat(chatId)).id).toBe(chatId);
  });
});
