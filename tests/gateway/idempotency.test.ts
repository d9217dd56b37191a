import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BatchResource, ChatResource, ErrorBody, FileResource, MessageResource } from '@assay/contracts';
import { createTenantWithApiKey } from '@assay/db';
import { z } from 'zod';
import { startGateway, type InProcessGateway } from './support/in-process-gateway';

/**
 * Idempotency keys on POSTs that create work: concurrent duplicates do the work once, retries
 * get the first answer back (status and body), the same key on another request is refused, keys
 * are per tenant, and a key is free again after the retention window.
 */

let gateway: InProcessGateway;
let shortRetention: InProcessGateway;

beforeAll(async () => {
  gateway = await startGateway();
  shortRetention = await startGateway({ idempotencyRetentionMs: 300 });
});

afterAll(async () => {
  await shortRetention?.close();
  await gateway?.close();
});

interface Answer {
  status: number;
  replayed: boolean;
  json: unknown;
}

async function post(target: InProcessGateway, apiKey: string, path: string, body: unknown, key?: string): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  if (key !== undefined) headers['idempotency-key'] = key;
  const response = await fetch(`${target.baseUrl}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  return { status: response.status, replayed: response.headers.get('idempotent-replayed') === 'true', json: await response.json() };
}

async function tenant(): Promise<{ tenantId: string; apiKey: string }> {
  return createTenantWithApiKey(gateway.prisma, { tenantName: `idem-${randomUUID().slice(0, 6)}` });
}

describe('Idempotency-Key', () => {
  it('runs concurrent duplicate messages once; every duplicate gets the first answer or 409 in progress; a later retry replays it', async () => {
    const { apiKey } = await tenant();
    const chat = ChatResource.parse((await post(gateway, apiKey, '/v1/chats', {})).json);
    const key = randomUUID();
    const body = { content: 'How many rows?' };
    const answers = await Promise.all(Array.from({ length: 12 }, () => post(gateway, apiKey, `/v1/chats/${chat.id}/messages`, body, key)));

    expect(await gateway.prisma.message.count({ where: { chatId: chat.id } })).toBe(1);
    const accepted = answers.filter((answer) => answer.status === 202);
    const busy = answers.filter((answer) => answer.status === 409);
    expect(accepted.length + busy.length).toBe(answers.length);
    expect(accepted.length).toBeGreaterThanOrEqual(1);
    expect(new Set(accepted.map((answer) => MessageResource.parse(answer.json).id)).size).toBe(1);
    for (const answer of busy) expect(ErrorBody.parse(answer.json).error.code).toBe('IDEMPOTENCY_IN_PROGRESS');

    const first = MessageResource.parse(accepted[0]?.json);
    const retry = await post(gateway, apiKey, `/v1/chats/${chat.id}/messages`, body, key);
    expect(retry).toMatchObject({ status: 202, replayed: true });
    expect(retry.json).toEqual(accepted[0]?.json);
    expect(first.seq).toBe(1);
    // Without a key, the same body is a new message.
    expect((await post(gateway, apiKey, `/v1/chats/${chat.id}/messages`, body)).status).toBe(202);
    expect(await gateway.prisma.message.count({ where: { chatId: chat.id } })).toBe(2);
  });

  it('creates one batch from concurrent duplicates', async () => {
    const { tenantId, apiKey } = await tenant();
    const key = randomUUID();
    const body = { items: [{ question: 'a?' }, { question: 'b?' }] };
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(gateway, apiKey, '/v1/batches', body, key)));
    expect(await gateway.prisma.batch.count({ where: { tenantId } })).toBe(1);
    expect(await gateway.prisma.chat.count({ where: { tenantId } })).toBe(2);
    const ids = new Set(answers.filter((answer) => answer.status === 202).map((answer) => BatchResource.parse(answer.json).id));
    expect(ids.size).toBe(1);
  });

  it('refuses the same key on a different body or route (422), and keeps keys per tenant', async () => {
    const { apiKey } = await tenant();
    const key = randomUUID();
    const chat = await post(gateway, apiKey, '/v1/chats', { title: 'first' }, key);
    expect(chat.status).toBe(201);
    const other = await post(gateway, apiKey, '/v1/chats', { title: 'second' }, key);
    expect(other.status).toBe(422);
    expect(ErrorBody.parse(other.json).error).toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
    expect(ErrorBody.parse(other.json).error.message).toContain('different request');
    const elsewhere = await post(gateway, apiKey, `/v1/chats/${ChatResource.parse(chat.json).id}/messages`, { title: 'first' }, key);
    expect(elsewhere.status).toBe(422);

    const again = await post(gateway, apiKey, '/v1/chats', { title: 'first' }, key);
    expect(again).toMatchObject({ status: 201, replayed: true, json: chat.json });

    const someoneElse = await tenant();
    const theirs = await post(gateway, someoneElse.apiKey, '/v1/chats', { title: 'first' }, key);
    expect(theirs).toMatchObject({ status: 201, replayed: false });
    expect(ChatResource.parse(theirs.json).id).not.toBe(ChatResource.parse(chat.json).id);
  });

  it('replays refusals too, and refuses a malformed key', async () => {
    const { apiKey } = await tenant();
    const key = randomUUID();
    const missingChat = '/v1/chats/00000000-0000-7000-8000-000000000000/messages';
    const first = await post(gateway, apiKey, missingChat, { content: 'x' }, key);
    expect(first.status).toBe(404);
    expect(await post(gateway, apiKey, missingChat, { content: 'x' }, key)).toMatchObject({ status: 404, replayed: true });
    expect((await post(gateway, apiKey, '/v1/chats', {}, 'has space')).status).toBe(400);
  });

  it('stores one file from concurrent duplicate uploads, drops the retries\' bytes, and refuses the key for other content', async () => {
    const { tenantId, apiKey } = await tenant();
    const upload = async (content: string, key: string): Promise<Answer> => {
      const form = new FormData();
      form.append('file', new Blob([content], { type: 'text/csv' }), 'sales.csv');
      const response = await fetch(`${gateway.baseUrl}/v1/files`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'idempotency-key': key }, body: form });
      return { status: response.status, replayed: response.headers.get('idempotent-replayed') === 'true', json: await response.json() };
    };
    const blobFiles = async (): Promise<number> =>
      (await fs.readdir(path.join(gateway.dataDir, 'blobs', tenantId), { recursive: true, withFileTypes: true }).catch(() => [])).filter((entry) => entry.isFile()).length;

    const key = randomUUID();
    const content = `region,amount\n${tenantId},1\n`;
    const answers = await Promise.all(Array.from({ length: 6 }, () => upload(content, key)));
    expect(await gateway.prisma.file.count({ where: { tenantId } })).toBe(1);
    const accepted = answers.filter((answer) => answer.status === 202);
    expect(accepted.length + answers.filter((answer) => answer.status === 409).length).toBe(answers.length);
    expect(new Set(accepted.map((answer) => FileResource.parse(answer.json).id)).size).toBe(1);

    const retry = await upload(content, key);
    expect(retry).toMatchObject({ status: 202, replayed: true });
    expect(FileResource.parse(retry.json).id).toBe(FileResource.parse(accepted[0]?.json).id);
    expect(await blobFiles()).toBe(1);

    const other = await upload(`${content}more,2\n`, key);
    expect(other.status).toBe(422);
    expect(ErrorBody.parse(other.json).error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await gateway.prisma.file.count({ where: { tenantId } })).toBe(1);
    expect(await blobFiles()).toBe(1);
  });

  it('does the work again once the retention window has passed', async () => {
    const { apiKey } = await createTenantWithApiKey(shortRetention.prisma, { tenantName: 'idem-retention' });
    const key = randomUUID();
    const first = ChatResource.parse((await post(shortRetention, apiKey, '/v1/chats', {}, key)).json);
    expect(ChatResource.parse((await post(shortRetention, apiKey, '/v1/chats', {}, key)).json).id).toBe(first.id);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const later = await post(shortRetention, apiKey, '/v1/chats', {}, key);
    expect(later).toMatchObject({ status: 201, replayed: false });
    expect(z.object({ id: z.string() }).parse(later.json).id).not.toBe(first.id);
  });
});
