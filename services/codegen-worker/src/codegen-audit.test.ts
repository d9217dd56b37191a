import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createCodegenProvider, type CodegenProvider, type CodegenUsage } from '@assay/codegen';
import type { PrismaClient } from '@assay/db';
import { createLogger } from '@assay/logger';
import { newTenant, testPrisma } from '../../../tests/support/database';
import { MockAnthropicServer, notebookStream } from '../../../tests/support/mock-anthropic-server';
import { AuditedCodegen, tenantTokenUsage, type CodegenCallTarget } from './codegen-audit';

/** CodegenCall rows written around real provider calls (the anthropic SDK against the local mock). */

const logger = createLogger({ name: 'codegen-audit-test', level: 'silent' });
const CELLS = [{ kind: 'code' as const, source: 'print(1)' }];

describe('AuditedCodegen', () => {
  let prisma: PrismaClient;
  let server: MockAnthropicServer;
  let provider: CodegenProvider;
  let target: CodegenCallTarget;

  beforeAll(async () => {
    prisma = testPrisma();
    server = await MockAnthropicServer.start();
    provider = createCodegenProvider({ provider: 'anthropic', apiKey: 'sk-test', baseURL: server.url, maxRetries: 0 });
    const { scope } = await newTenant(prisma);
    const chat = await scope.chats.create({});
    const message = await scope.messages.create(chat.id, { content: 'q', fileIds: [] });
    target = { tenantId: scope.tenantId, chatId: chat.id, messageId: message.id };
  });

  afterAll(async () => {
    await server.close();
    await prisma.$disconnect();
  });

  it('keeps the full text in full mode, and only the digest and size in hash mode', async () => {
    const request = { question: 'Total?', files: [], history: [] };
    server.reply({ kind: 'stream', events: notebookStream(CELLS) }).reply({ kind: 'stream', events: notebookStream(CELLS) });
    await new AuditedCodegen({ prisma, provider, mode: 'full' }).generate(request, target, {}, logger);
    await new AuditedCodegen({ prisma, provider, mode: 'hash' }).generate(request, target, {}, logger);

    const [full, hashed] = await prisma.codegenCall.findMany({ where: { messageId: target.messageId }, orderBy: { createdAt: 'asc' } });
    const sent = server.requests[0]?.body as { system: { text: string }[]; messages: { content: string }[] };
    const text = `${sent.system[0]?.text ?? ''}\u0000${sent.messages[0]?.content ?? ''}`;
    expect(full).toMatchObject({ auditMode: 'full', kind: 'generate', outcome: 'succeeded', requestCount: 1, userText: sent.messages[0]?.content });
    expect(full?.systemText).toBe(sent.system[0]?.text);
    expect(hashed).toMatchObject({ auditMode: 'hash', systemText: null, userText: null });
    for (const row of [full, hashed]) {
      expect(row?.promptSha256).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
      expect(row?.promptBytes).toBe(Buffer.byteLength(text, 'utf8'));
      expect(row?.inputTokens).toBeGreaterThan(0);
    }
  });

  it('records a failed call with its requests and tokens, and reports the tokens for the quota', async () => {
    const wrong = { kind: 'stream' as const, events: notebookStream([], { rawInput: '{"cells": []}' }) };
    server.reply(wrong).reply(wrong);
    const reported: CodegenUsage[] = [];
    const audited = new AuditedCodegen({ prisma, provider, onUsage: async (_tenant, usage) => void reported.push(usage) });
    const before = await tenantTokenUsage(prisma, target.tenantId, new Date(0));
    await expect(
      audited.generate(
        {
          question: 'Fix it',
          files: [],
          history: [],
          kind: 'repair',
          repair: { attempt: 2, cells: CELLS, failingCellIndex: 0, error: { name: 'NameError', value: "name 'x' is not defined", traceback: [] } },
        },
        target,
        {},
        logger,
      ),
    ).rejects.toMatchObject({ code: 'CODEGEN_INVALID_OUTPUT' });

    const failed = await prisma.codegenCall.findFirst({ where: { messageId: target.messageId, outcome: 'failed' } });
    expect(failed).toMatchObject({ kind: 'repair', attempt: 2, requestCount: 2 });
    expect(reported).toHaveLength(1);
    expect(failed?.inputTokens).toBe(reported[0]?.inputTokens);
    const after = await tenantTokenUsage(prisma, target.tenantId, new Date(0));
    expect(after.inputTokens - before.inputTokens).toBe(reported[0]?.inputTokens);
  });
});
