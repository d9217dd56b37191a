import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CellOutput, FileResource } from '@assay/contracts';
import { ApiClient, EventSocket, expectError, expectOk } from '../support/api-client';
import { ServiceStack } from '../support/service-stack';

/**
 * How uploads share storage and how files sit in a chat: content is stored once per tenant,
 * the tenant's storage quota holds (429, nothing kept), a chat uses at most N files (422,
 * nothing stored), and two files with the same name both reach the kernel under distinct,
 * predictable names.
 */

const FILES_PER_CHAT = 3;
const STORAGE_QUOTA_BYTES = 4096;

let stack: ServiceStack;

beforeAll(async () => {
  stack = await ServiceStack.start({
    env: {
      CODEGEN_PROVIDER: 'scripted',
      ASSAY_MAX_FILES_PER_CHAT: String(FILES_PER_CHAT),
      ASSAY_STORAGE_QUOTA_BYTES: String(STORAGE_QUOTA_BYTES),
    },
  });
});

afterAll(async () => {
  await stack?.stop();
});

async function newTenant(): Promise<{ tenantId: string; api: ApiClient; apiKey: string }> {
  const { tenantId, apiKey } = await stack.createTenant();
  return { tenantId, apiKey, api: new ApiClient(stack.baseUrl, apiKey) };
}

async function blobsOf(tenantId: string): Promise<string[]> {
  const dir = path.join(stack.dataDir, 'blobs', tenantId);
  return fs.existsSync(dir) ? (await fs.promises.readdir(dir)).sort() : [];
}

/** A CSV of exactly `bytes` bytes whose content differs by `tag`. */
function csvOfSize(tag: string, bytes: number): string {
  const header = `tag,${tag}\n`;
  return header + 'x'.repeat(bytes - header.length - 1) + '\n';
}

async function waitUntilIngested(api: ApiClient, fileId: string): Promise<FileResource> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const file = expectOk(await api.getFile(fileId));
    if (file.status !== 'pending') return file;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`file ${fileId} was not ingested`);
}

describe('deduplication by content', () => {
  it('stores the same content once per tenant, under every name it was uploaded with', async () => {
    const { tenantId, api } = await newTenant();
    const content = 'city,people\nLyon,5\nNice,3\n';

    const first = expectOk(await api.uploadFile('cities.csv', content));
    const second = expectOk(await api.uploadFile('copy of cities.csv', content));

    expect(second.id).not.toBe(first.id);
    expect(second).toMatchObject({ name: 'copy of cities.csv', sha256: first.sha256, sizeBytes: first.sizeBytes });
    const rows = await stack.prisma.file.findMany({ where: { tenantId }, select: { blobKey: true } });
    expect(new Set(rows.map((row) => row.blobKey)).size).toBe(1);
    expect(await blobsOf(tenantId)).toHaveLength(1);
    // Each file is ingested on its own: a CSV's sheet is named after its file.
    expect((await waitUntilIngested(api, second.id)).metadata?.sheets[0]).toMatchObject({ name: 'copy of cities', rowCount: 2 });
  });

  it('does not share content across tenants', async () => {
    const a = await newTenant();
    const b = await newTenant();
    const content = 'k,v\n1,2\n';
    expectOk(await a.api.uploadFile('k.csv', content));
    expectOk(await b.api.uploadFile('k.csv', content));
    expect(await blobsOf(a.tenantId)).toHaveLength(1);
    expect(await blobsOf(b.tenantId)).toHaveLength(1);
  });
});

describe('storage quota', () => {
  it('refuses an upload that does not fit with 429 and quota headers, and keeps nothing of it', async () => {
    const { tenantId, api } = await newTenant();
    expectOk(await api.uploadFile('first.csv', csvOfSize('first', 3000)));
    const before = await blobsOf(tenantId);

    const refused = await api.uploadFile('second.csv', csvOfSize('second', 3000));

    expect(expectError(refused)).toMatchObject({ status: 429, code: 'QUOTA_EXCEEDED', details: { limit: STORAGE_QUOTA_BYTES, remaining: 1096 } });
    expect(expectError(refused).message).toContain('storage quota');
    expect(refused.headers.get('x-ratelimit-limit')).toBe(String(STORAGE_QUOTA_BYTES));
    expect(refused.headers.get('x-ratelimit-remaining')).toBe('1096');
    expect(await stack.prisma.file.count({ where: { tenantId } })).toBe(1);
    expect(await blobsOf(tenantId)).toEqual(before);
  });

  it('lets content the tenant already stores in again, since it costs nothing', async () => {
    const { api } = await newTenant();
    const content = csvOfSize('same', 3000);
    expectOk(await api.uploadFile('a.csv', content));
    expect((await api.uploadFile('b.csv', content)).status).toBe(202);
  });

  it('uses the tenant’s own quota when it has one', async () => {
    const { tenantId, api } = await newTenant();
    await stack.prisma.tenant.update({ where: { id: tenantId }, data: { storageQuotaBytes: 10_000n } });
    expectOk(await api.uploadFile('first.csv', csvOfSize('first', 3000)));
    expect((await api.uploadFile('second.csv', csvOfSize('second', 3000))).status).toBe(202);
    expect(expectError(await api.uploadFile('third.csv', csvOfSize('third', 5000)))).toMatchObject({ status: 429, details: { limit: 10_000, remaining: 4000 } });
  });
});

describe('files of a chat', () => {
  it(`refuses a message that would bring the chat over ${FILES_PER_CHAT} files with 422, storing nothing`, async () => {
    const { api } = await newTenant();
    const ids: string[] = [];
    for (const name of ['a', 'b', 'c', 'd']) ids.push(expectOk(await api.uploadFile(`${name}.csv`, `${name}\n1\n`)).id);
    const [a, b, c, d] = ids as [string, string, string, string];
    const chatId = expectOk(await api.createChat()).id;
    const noCells = JSON.stringify({ cells: [] });
    expectOk(await api.postMessage(chatId, { content: noCells, fileIds: [a, b] }));

    const refused = expectError(await api.postMessage(chatId, { content: noCells, fileIds: [c, d] }));

    expect(refused).toMatchObject({ status: 422, code: 'CHAT_FILE_LIMIT', details: { limit: FILES_PER_CHAT, attached: 2, requested: 4 } });
    expect(refused.message).toContain('Start a new chat');
    expect(expectOk(await api.getChat(chatId)).messages).toHaveLength(1);
    // Files the chat already has do not count twice.
    expect((await api.postMessage(chatId, { content: noCells, fileIds: [a, c] })).status).toBe(202);
  });

  it('gives a second file with a taken name a numbered name in /mnt/data, in attachment order', async () => {
    const { api, apiKey } = await newTenant();
    const older = expectOk(await api.uploadFile('data.csv', 'n\n1\n2\n'));
    const newer = expectOk(await api.uploadFile('reports/data.csv', 'n\n10\n20\n30\n'));
    expect(newer.name).toBe('data.csv');
    const chatId = expectOk(await api.createChat()).id;
    const socket = await EventSocket.open(stack.baseUrl, apiKey);
    try {
      socket.subscribe(chatId);
      await socket.waitForFrame((frame) => frame.type === 'subscribed');
      const script = {
        cells: [
          {
            kind: 'code',
            source: [
              'import os, pandas as pd',
              "print(sorted(os.listdir('/mnt/data')))",
              "print('sums', int(pd.read_csv('/mnt/data/data.csv').n.sum()), int(pd.read_csv('/mnt/data/data (2).csv').n.sum()))",
            ].join('\n'),
          },
        ],
      };
      expectOk(await api.postMessage(chatId, { content: JSON.stringify({ cells: [] }), fileIds: [older.id] }));
      const message = expectOk(await api.postMessage(chatId, { content: JSON.stringify(script), fileIds: [newer.id] }));
      const terminal = await socket.waitForEvent((event) => event.messageId === message.id && (event.type === 'message.completed' || event.type === 'message.failed'));
      expect(terminal.type).toBe('message.completed');

      const chat = expectOk(await api.getChat(chatId));
      const outputs: CellOutput[] = chat.messages[1]?.cells[0]?.outputs ?? [];
      const text = outputs.map((output) => (output.output_type === 'stream' ? output.text : '')).join('');
      expect(text).toContain("['data (2).csv', 'data.csv']");
      expect(text).toContain('sums 3 60');
    } finally {
      await socket.close();
    }
  });
});
