import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cell } from '@assay/contracts';
import { QuotaLimiter } from '@assay/quota';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { ApiClient, EventSocket, expectError, expectOk, type ApiResponse } from '../support/api-client';
import { MockAnthropicServer, notebookStream } from '../support/mock-anthropic-server';
import { ServiceStack } from '../support/service-stack';
import { testEnvironment } from '../support/test-environment';

/**
 * Per-tenant quotas through the real gateway and workers: uploads and executions per hour,
 * model tokens per day (recorded by the codegen worker from the provider's usage), live
 * sessions; defaults from the environment, overrides in the tenant's `limits` column. A refused
 * request answers 429 QUOTA_EXCEEDED with Retry-After and X-RateLimit-*, and leaves nothing behind.
 */

const UPLOADS_PER_HOUR = 2;
const EXECUTIONS_PER_HOUR = 3;
const TOKENS_PER_DAY = 1000;
/** What the mock model reports per generation: 600 input tokens, 312 output tokens. */
const TOKENS_PER_GENERATION = 600 + 312;

let mock: MockAnthropicServer;
let stack: ServiceStack;
let redis: Redis;
let quota: QuotaLimiter;

beforeAll(async () => {
  mock = await MockAnthropicServer.start();
  mock.replyByDefault({
    kind: 'stream',
    events: notebookStream([{ kind: 'code', source: 'x = 1\nprint(x)' }], {
      usage: { input_tokens: 600, output_tokens: 312, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    }),
  });
  stack = await ServiceStack.start({
    env: {
      ANTHROPIC_API_KEY: 'sk-ant-local-test',
      ANTHROPIC_BASE_URL: mock.url,
      ASSAY_WARM_POOL_SIZE: '0',
      ASSAY_QUOTA_UPLOADS_PER_HOUR: String(UPLOADS_PER_HOUR),
      ASSAY_QUOTA_EXECUTIONS_PER_HOUR: String(EXECUTIONS_PER_HOUR),
      ASSAY_QUOTA_TOKENS_PER_DAY: String(TOKENS_PER_DAY),
    },
  });
  redis = new Redis(testEnvironment().redisUrl);
  quota = new QuotaLimiter({ redis, prefix: stack.keyPrefix });
});

afterAll(async () => {
  await redis?.quit();
  await stack?.stop();
  await mock?.close();
});

function csv(tag: string): string {
  return `name,value\n${tag},1\n`;
}

/** Every blob file the stack stored, to show a refused upload leaves none. */
async function blobCount(): Promise<number> {
  const root = path.join(stack.dataDir, 'blobs');
  const entries = await fs.promises.readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).length;
}

function expectQuotaRefusal(response: ApiResponse<unknown>, expected: { quota: string; limit: number }): void {
  expect(expectError(response)).toMatchObject({ status: 429, code: 'QUOTA_EXCEEDED', details: { quota: expected.quota, limit: expected.limit, remaining: 0 } });
  const retryAfter = Number(response.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(response.headers.get('x-ratelimit-limit')).toBe(String(expected.limit));
  expect(response.headers.get('x-ratelimit-remaining')).toBe('0');
  expect(Number(response.headers.get('x-ratelimit-reset'))).toBe(retryAfter);
}

/** The quota's count once it equals `expected`, or its last value after 5 s (refunds follow the answer). */
async function usedEventually(tenantId: string, name: 'executions' | 'uploads', expected: number): Promise<number> {
  let used = -1;
  for (let attempt = 0; attempt < 50 && used !== expected; attempt += 1) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    used = (await quota.usage(tenantId, name, 1)).used;
  }
  return used;
}

async function setLimits(tenantId: string, limits: Record<string, number>): Promise<void> {
  await stack.prisma.tenant.update({ where: { id: tenantId }, data: { limits } });
}

async function waitForMessageEnd(socket: EventSocket, messageId: string): Promise<string> {
  const terminal = await socket.waitForEvent((event) => event.messageId === messageId && (event.type === 'message.completed' || event.type === 'message.failed'));
  return terminal.type;
}

describe('uploads per hour', () => {
  it('accepts exactly the limit among concurrent uploads; a refused one leaves no row and no blob; a failed one does not count', async () => {
    const { tenantId, apiKey } = await stack.createTenant();
    const api = new ApiClient(stack.baseUrl, apiKey);

    // Refused by the route (415): given back, so it does not use up the quota.
    const wrongType = await api.uploadFile('notes.exe', 'MZ', 'application/octet-stream');
    expect(expectError(wrongType).status).toBe(415);

    const blobsBefore = await blobCount();
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => api.uploadFile(`part-${i}.csv`, csv(`${tenantId}-${i}`), 'text/csv')));
    const accepted = results.filter((result) => result.status === 202);
    const refused = results.filter((result) => result.status === 429);
    expect(accepted).toHaveLength(UPLOADS_PER_HOUR);
    expect(refused).toHaveLength(4 - UPLOADS_PER_HOUR);
    for (const response of refused) expectQuotaRefusal(response, { quota: 'uploads', limit: UPLOADS_PER_HOUR });
    expect(expectError(refused[0] as ApiResponse<unknown>).message).toContain('ASSAY_QUOTA_UPLOADS_PER_HOUR');
    expect(accepted.map((result) => result.headers.get('x-ratelimit-limit'))).toEqual([String(UPLOADS_PER_HOUR), String(UPLOADS_PER_HOUR)]);
    expect(accepted.map((result) => result.headers.get('x-ratelimit-remaining')).sort()).toEqual(['0', '1']);

    expect(await stack.prisma.file.count({ where: { tenantId } })).toBe(UPLOADS_PER_HOUR);
    expect(await blobCount()).toBe(blobsBefore + UPLOADS_PER_HOUR);

    // Another tenant has its own count.
    const other = await stack.createTenant();
    expect((await new ApiClient(stack.baseUrl, other.apiKey).uploadFile('other.csv', csv(other.tenantId), 'text/csv')).status).toBe(202);

    // A tenant's own limit replaces the default at once, in the same window.
    await setLimits(tenantId, { uploadsPerHour: UPLOADS_PER_HOUR + 1 });
    const raised = await api.uploadFile('raised.csv', csv(`${tenantId}-raised`), 'text/csv');
    expect(raised.status).toBe(202);
    expect(raised.headers.get('x-ratelimit-limit')).toBe(String(UPLOADS_PER_HOUR + 1));
    expectQuotaRefusal(await api.uploadFile('again.csv', csv(`${tenantId}-again`), 'text/csv'), { quota: 'uploads', limit: UPLOADS_PER_HOUR + 1 });
  });
});

describe('executions per hour', () => {
  it('counts messages and cell runs, not refused requests, and refuses past the limit without creating a message', async () => {
    const { tenantId, apiKey } = await stack.createTenant();
    const api = new ApiClient(stack.baseUrl, apiKey);
    const socket = await EventSocket.open(stack.baseUrl, apiKey);
    try {
      const chatId = expectOk(await api.createChat()).id;
      socket.subscribe(chatId);
      await socket.waitForFrame((frame) => frame.type === 'subscribed');

      const first = await api.postMessage(chatId, { content: 'Compute x' });
      expect(first.headers.get('x-ratelimit-remaining')).toBe(String(EXECUTIONS_PER_HOUR - 1));
      expect(await waitForMessageEnd(socket, expectOk(first).id)).toBe('message.completed');

      // Adding a cell is not an execution; running an unknown one is refused (404) and not counted.
      const cell = expectOk(await api.request('POST', `/v1/chats/${chatId}/cells`, Cell, { json: { kind: 'code', source: 'print(x + 1)' } }));
      expect((await api.request('POST', `/v1/chats/${chatId}/cells/0190a5c4-0000-7000-8000-000000000000/run`, z.unknown())).status).toBe(404);

      const run = await api.request('POST', `/v1/chats/${chatId}/cells/${cell.id}/run`, z.unknown());
      expect(run.status).toBe(202);
      expect(run.headers.get('x-ratelimit-remaining')).toBe(String(EXECUTIONS_PER_HOUR - 2));
      await socket.waitForEvent((event) => event.type === 'cell.completed' && event.data.cellId === cell.id);

      const runAll = await api.request('POST', `/v1/chats/${chatId}/run-all`, z.unknown());
      expect(runAll.status).toBe(202);
      expect(runAll.headers.get('x-ratelimit-remaining')).toBe('0');

      const refused = await api.postMessage(chatId, { content: 'One more' });
      expectQuotaRefusal(refused, { quota: 'executions', limit: EXECUTIONS_PER_HOUR });
      expectQuotaRefusal(await api.request('POST', `/v1/chats/${chatId}/cells/${cell.id}/run`, z.unknown()), { quota: 'executions', limit: EXECUTIONS_PER_HOUR });
      expect(await stack.prisma.message.count({ where: { tenantId } })).toBe(1);

      await setLimits(tenantId, { executionsPerHour: EXECUTIONS_PER_HOUR + 1 });
      const allowed = await api.postMessage(chatId, { content: 'Now it fits' });
      expect(allowed.status).toBe(202);
      expect(await waitForMessageEnd(socket, expectOk(allowed).id)).toBe('message.completed');
    } finally {
      await socket.close();
    }
  });
});

describe('tokens per day', () => {
  it('counts the tokens the model reported for each generation and refuses new messages once the day\'s are used', async () => {
    const { tenantId, apiKey } = await stack.createTenant();
    const api = new ApiClient(stack.baseUrl, apiKey);
    const socket = await EventSocket.open(stack.baseUrl, apiKey);
    try {
      const chatId = expectOk(await api.createChat()).id;
      socket.subscribe(chatId);
      await socket.waitForFrame((frame) => frame.type === 'subscribed');

      const first = expectOk(await api.postMessage(chatId, { content: 'First question' }));
      expect(await waitForMessageEnd(socket, first.id)).toBe('message.completed');
      expect(await quota.usage(tenantId, 'tokens', TOKENS_PER_DAY)).toMatchObject({ used: TOKENS_PER_GENERATION });

      // Some tokens were left, so the next message is accepted (a generation may overshoot).
      const second = expectOk(await api.postMessage(chatId, { content: 'Second question' }));
      expect(await waitForMessageEnd(socket, second.id)).toBe('message.completed');
      expect(await quota.usage(tenantId, 'tokens', TOKENS_PER_DAY)).toMatchObject({ used: 2 * TOKENS_PER_GENERATION, remaining: 0 });

      expectQuotaRefusal(await api.postMessage(chatId, { content: 'Third question' }), { quota: 'tokens', limit: TOKENS_PER_DAY });
      expect(await stack.prisma.message.count({ where: { tenantId } })).toBe(2);
    } finally {
      await socket.close();
    }
  });
});

describe('concurrent sessions', () => {
  it('takes a tenant\'s own session limit from its limits column', async () => {
    const { tenantId, apiKey } = await stack.createTenant();
    await setLimits(tenantId, { sessions: 1 });
    const api = new ApiClient(stack.baseUrl, apiKey);
    const socket = await EventSocket.open(stack.baseUrl, apiKey);
    try {
      const firstChat = expectOk(await api.createChat()).id;
      socket.subscribe(firstChat);
      await socket.waitForFrame((frame) => frame.type === 'subscribed');
      const first = expectOk(await api.postMessage(firstChat, { content: 'Start a kernel' }));
      expect(await waitForMessageEnd(socket, first.id)).toBe('message.completed');

      const secondChat = expectOk(await api.createChat()).id;
      const refused = await api.postMessage(secondChat, { content: 'A second kernel' });
      expect(expectError(refused)).toMatchObject({ status: 429, code: 'QUOTA_EXCEEDED', details: { quota: 'sessions', limit: 1 } });
      expect(refused.headers.get('x-ratelimit-limit')).toBe('1');
      // The execution it would have been is given back (once the answer is sent).
      expect(await usedEventually(tenantId, 'executions', 1)).toBe(1);
    } finally {
      await socket.close();
    }
  });
});
