import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { PrismaClient, TenantScope } from '@assay/db';
import { newTenant, testPrisma } from '../support/database';

let prisma: PrismaClient;
let alice: TenantScope;
let bob: TenantScope;

beforeAll(async () => {
  prisma = testPrisma();
  alice = (await newTenant(prisma, 'alice')).scope;
  bob = (await newTenant(prisma, 'bob')).scope;
});

afterAll(async () => {
  await prisma.$disconnect();
});

const upload = (name: string) => ({ name, format: 'csv' as const, sizeBytes: 10, sha256: 'ab'.repeat(32), blobKey: `k/${randomUUID()}` });

describe('TenantScope isolation', () => {
  it('hides another tenant’s rows behind NotFound, like missing ones', async () => {
    const file = await alice.files.create(upload('a.csv'));
    const chat = await alice.chats.create({ title: 'mine' });
    await expect(bob.files.get(file.id)).rejects.toMatchObject({ code: 'NOT_FOUND', status: 404 });
    await expect(bob.chats.get(chat.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(bob.chats.getNotebook(chat.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(bob.messages.create(chat.id, { content: 'hi', fileIds: [] })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(bob.files.getMany([file.id])).rejects.toMatchObject({ code: 'NOT_FOUND', details: { id: file.id } });
    expect((await alice.files.get(file.id)).id).toBe(file.id);
  });

  it('answers NotFound (not a database error) for strings that are not ids', async () => {
    await expect(alice.files.get('../../etc/passwd')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(alice.chats.get('1 OR 1=1')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('messages', () => {
  it('get consecutive sequence numbers even when posted concurrently', async () => {
    const chat = await alice.chats.create({});
    const messages = await Promise.all(
      Array.from({ length: 8 }, (_, i) => alice.messages.create(chat.id, { content: `q${i}`, fileIds: [] })),
    );
    expect(messages.map((message) => message.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('keep their attachments in order', async () => {
    const chat = await alice.chats.create({});
    const [a, b] = [await alice.files.create(upload('a.csv')), await alice.files.create(upload('b.csv'))];
    const message = await alice.messages.create(chat.id, { content: 'compare', fileIds: [b.id, a.id] });
    expect(message.files.map((attachment) => attachment.file.name)).toEqual(['b.csv', 'a.csv']);
  });

  it('change status only from the expected one, so a stage change happens once', async () => {
    const chat = await alice.chats.create({});
    const message = await alice.messages.create(chat.id, { content: 'q', fileIds: [] });
    const attempts = await Promise.all([1, 2, 3].map(() => alice.messages.transition(message.id, ['queued'], 'generating')));
    expect(attempts.filter(Boolean)).toHaveLength(1);
    expect((await alice.messages.get(message.id)).status).toBe('generating');
    expect(await bob.messages.transition(message.id, ['generating'], 'failed')).toBe(false);
  });

  it('store generated cells once, replacing those of an interrupted attempt', async () => {
    const chat = await alice.chats.create({});
    const message = await alice.messages.create(chat.id, { content: 'q', fileIds: [] });
    await alice.messages.transition(message.id, ['queued'], 'generating');
    const cells = await alice.messages.finishGeneration(
      chat.id,
      message.id,
      [
        { kind: 'markdown', source: '# Overview' },
        { kind: 'code', source: 'print(1)' },
      ],
      'scripted',
    );
    expect(cells?.map((cell) => [cell.position, cell.kind, cell.status])).toEqual([
      [1, 'markdown', 'idle'],
      [2, 'code', 'queued'],
    ]);
    // A second (retried) job finds the message executing and stores nothing.
    expect(await alice.messages.finishGeneration(chat.id, message.id, [{ kind: 'code', source: 'x' }], 'scripted')).toBeNull();
    expect(await alice.cells.listForMessage(message.id)).toHaveLength(2);
    expect((await alice.messages.get(message.id)).status).toBe('executing');
  });

  it('number cells across messages of a chat', async () => {
    const chat = await alice.chats.create({});
    for (const content of ['first', 'second']) {
      const message = await alice.messages.create(chat.id, { content, fileIds: [] });
      await alice.messages.transition(message.id, ['queued'], 'generating');
      await alice.messages.finishGeneration(chat.id, message.id, [{ kind: 'code', source: content }], 'scripted');
    }
    const notebook = await alice.chats.getNotebook(chat.id);
    expect(notebook.messages.flatMap((message) => message.cells.map((cell) => [cell.position, cell.source]))).toEqual([
      [1, 'first'],
      [2, 'second'],
    ]);
  });
});
