import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChatEvent } from '@assay/contracts';
import { ApiClient, EventSocket, expectError, expectOk } from '../support/api-client';
import { ServiceStack } from '../support/service-stack';

/**
 * Kernels are a shared resource: a tenant may hold only so many chats with a live kernel (429
 * past it, with Retry-After), and an executor holds only so many kernels (it frees the least
 * recently used idle one, whose chat is rebuilt when used again).
 */

function script(source: string): string {
  return JSON.stringify({ cells: [{ kind: 'code', source }] });
}

async function openChat(api: ApiClient, socket: EventSocket): Promise<string> {
  const chatId = expectOk(await api.createChat()).id;
  socket.subscribe(chatId);
  await socket.waitForFrame((frame) => frame.type === 'subscribed' && frame.payload.chatId === chatId);
  return chatId;
}

async function run(api: ApiClient, socket: EventSocket, chatId: string, source: string): Promise<ChatEvent[]> {
  const message = expectOk(await api.postMessage(chatId, { content: script(source) }));
  const terminal = await socket.waitForEvent((event) => event.messageId === message.id && (event.type === 'message.completed' || event.type === 'message.failed'));
  expect(terminal.type).toBe('message.completed');
  return socket.events(chatId).filter((event) => event.messageId === message.id);
}

describe('sessions per tenant', () => {
  let stack: ServiceStack;
  beforeAll(async () => {
    stack = await ServiceStack.start({ env: { CODEGEN_PROVIDER: 'scripted', ASSAY_WARM_POOL_SIZE: '0', ASSAY_MAX_SESSIONS_PER_TENANT: '2' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers 429 with Retry-After for a third chat, still serves the two it has, and other tenants', async () => {
    const { apiKey } = await stack.createTenant();
    const api = new ApiClient(stack.baseUrl, apiKey);
    const socket = await EventSocket.open(stack.baseUrl, apiKey);
    try {
      const first = await openChat(api, socket);
      const second = await openChat(api, socket);
      await run(api, socket, first, 'a = 1');
      await run(api, socket, second, 'b = 2');

      const third = await openChat(api, socket);
      const refused = await api.postMessage(third, { content: script('c = 3') });
      expect(expectError(refused)).toMatchObject({ status: 429, code: 'QUOTA_EXCEEDED', details: { limit: 2, remaining: 0, quota: 'sessions' } });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.headers.get('x-ratelimit-limit')).toBe('2');
      expect(expectOk(await api.getChat(third)).messages).toHaveLength(0);

      await run(api, socket, first, 'print(a)');

      const other = await stack.createTenant();
      const otherApi = new ApiClient(stack.baseUrl, other.apiKey);
      const otherSocket = await EventSocket.open(stack.baseUrl, other.apiKey);
      try {
        await run(otherApi, otherSocket, await openChat(otherApi, otherSocket), 'z = 0');
      } finally {
        await otherSocket.close();
      }
    } finally {
      await socket.close();
    }
  });
});

describe('kernels per executor', () => {
  let stack: ServiceStack;
  beforeAll(async () => {
    stack = await ServiceStack.start({
      env: { CODEGEN_PROVIDER: 'scripted', ASSAY_WARM_POOL_SIZE: '0', ASSAY_MAX_SESSIONS: '2', ASSAY_EXECUTOR_CONCURRENCY: '1' },
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('frees the least recently used idle kernel for a new chat; the freed chat is rebuilt when used again', async () => {
    const { apiKey } = await stack.createTenant();
    const api = new ApiClient(stack.baseUrl, apiKey);
    const socket = await EventSocket.open(stack.baseUrl, apiKey);
    try {
      const chats = [await openChat(api, socket), await openChat(api, socket), await openChat(api, socket)];
      for (const [index, chatId] of chats.entries()) await run(api, socket, chatId, `value = ${index + 10}`);

      const freed = stack.logs('executor-worker').filter((line) => line.includes('freeing the least recently used idle kernel'));
      expect(freed.some((line) => line.includes(chats[0] ?? 'none'))).toBe(true);

      const events = await run(api, socket, chats[0] ?? '', 'print(value)');
      expect(events.find((event) => event.type === 'session.restored')?.data).toMatchObject({ replayedCells: 1 });
      const printed = events.flatMap((event) => (event.type === 'cell.output' && event.data.output.output_type === 'stream' ? [event.data.output.text] : []));
      expect(printed.join('')).toBe('10\n');
    } finally {
      await socket.close();
    }
  });
});
