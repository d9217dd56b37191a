import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Cell as CellSchema } from '@assay/contracts';
import { Redis } from 'ioredis';
import { z } from 'zod';
import { ApiClient, EventSocket, expectOk } from '../support/api-client';
import { E2bTestServer } from '../support/e2b/e2b-test-server';
import type { ServiceStack } from '../support/service-stack';
import { testEnvironment } from '../support/test-environment';
import { runRemoteBackendScenario } from './executor-backend-scenario';

/**
 * The whole system with ASSAY_SANDBOX_BACKEND=e2b against the local E2B test server (driven by
 * the real @e2b/code-interpreter SDK in the executor): files are uploaded into the sandbox's
 * /mnt/data, and what a cell writes there is downloaded through the sandbox's file API as an
 * artifact. The chat's sandbox outlives its executor: at shutdown the executor detaches from it,
 * and the next executor reconnects to it by the id remembered in Redis, with its variables. An
 * interrupt replaces the kernel (E2B has no interrupt call); the next run replays the chat.
 */

let server: E2bTestServer;
let stack: ServiceStack | undefined;

beforeAll(async () => {
  server = await E2bTestServer.start();
});

afterAll(async () => {
  await stack?.stop();
  await server?.close();
}, 60_000);

describe('executor with the e2b backend', () => {
  it('answers on an uploaded CSV, keeps a written file, reconnects after a restart, replays after an interrupt', async () => {
    const scenario = await runRemoteBackendScenario({
      ASSAY_SANDBOX_BACKEND: 'e2b',
      E2B_API_KEY: server.apiKey,
      E2B_API_URL: server.apiUrl,
      E2B_SANDBOX_URL: server.sandboxUrl,
    });
    stack = scenario.stack;
    const { chatId, apiKey } = scenario;
    const chatSandbox = await chatSandboxId(stack, chatId);
    expect(server.sandboxIds).toContain(chatSandbox);

    // A graceful stop detaches: the chat's sandbox keeps running, the warm pool's are killed.
    expect(await stack.terminate('executor-worker')).toBe(0);
    expect(server.sandboxIds).toEqual([chatSandbox]);

    await stack.startReplica('executor-worker', 60_000);
    const api = new ApiClient(stack.baseUrl, apiKey);
    const socket = await EventSocket.open(stack.baseUrl, apiKey);
    try {
      socket.subscribe(chatId);
      await socket.waitForFrame((frame) => frame.type === 'subscribed' && frame.payload.chatId === chatId);
      const reader = expectOk(
        await api.request('POST', `/v1/chats/${chatId}/cells`, CellSchema, {
          json: { kind: 'code', source: 'print(int(totals.sum()))', afterCellId: scenario.writerCellId },
        }),
      );
      expectOk(await api.request('POST', `/v1/chats/${chatId}/cells/${reader.id}/run`, z.unknown(), {}));
      const done = await socket.waitForEvent((event) => event.type === 'cell.completed' && event.data.cellId === reader.id, 60_000);
      expect(done.type === 'cell.completed' && done.data.status).toBe('ok');
      const printed = socket
        .events(chatId)
        .flatMap((event) => (event.type === 'cell.output' && event.data.cellId === reader.id && event.data.output.output_type === 'stream' ? [event.data.output.text] : []));
      expect(printed.join('')).toBe('12\n');
      // The variable came from the reconnected kernel itself, not from a replay.
      expect(socket.events(chatId).filter((event) => event.type === 'session.restored')).toEqual([]);
      expect(await chatSandboxId(stack, chatId)).toBe(chatSandbox);

      // E2B cannot interrupt a cell: the kernel is replaced, and the next run replays the chat's
      // cells (session.restored) before it runs, so the variables are back.
      const sleeper = expectOk(
        await api.request('POST', `/v1/chats/${chatId}/cells`, CellSchema, {
          json: { kind: 'code', source: 'import time\nprint("sleeping", flush=True)\ntime.sleep(60)', afterCellId: reader.id },
        }),
      );
      const beforeSleep = socket.events(chatId).at(-1)?.id ?? 0;
      expectOk(await api.request('POST', `/v1/chats/${chatId}/cells/${sleeper.id}/run`, z.unknown(), {}));
      await socket.waitForEvent((event) => event.id > beforeSleep && event.type === 'cell.output' && event.data.cellId === sleeper.id);
      expect((await api.request('POST', `/v1/chats/${chatId}/interrupt`, z.unknown(), {})).status).toBe(202);
      const stopped = await socket.waitForEvent((event) => event.id > beforeSleep && event.type === 'cell.completed' && event.data.cellId === sleeper.id);
      expect(stopped.type === 'cell.completed' && stopped.data.status).toBe('error');

      const beforeRerun = socket.events(chatId).at(-1)?.id ?? 0;
      expectOk(await api.request('POST', `/v1/chats/${chatId}/cells/${reader.id}/run`, z.unknown(), {}));
      await socket.waitForEvent((event) => event.id > beforeRerun && event.type === 'cell.completed' && event.data.cellId === reader.id, 60_000);
      const rerun = socket.events(chatId).filter((event) => event.id > beforeRerun);
      expect(rerun.filter((event) => event.type === 'session.restored')).toHaveLength(1);
      expect(
        rerun.flatMap((event) => (event.type === 'cell.output' && event.data.cellId === reader.id && event.data.output.output_type === 'stream' ? [event.data.output.text] : [])).join(''),
      ).toBe('12\n');
    } finally {
      await socket.close();
    }
  }, 240_000);
});

/** The E2B sandbox id the executors remember for the chat (SessionRegistry, in Redis). */
async function chatSandboxId(stack: ServiceStack, chatId: string): Promise<string> {
  const chat = await stack.prisma.chat.findUniqueOrThrow({ where: { id: chatId }, select: { tenantId: true } });
  const redis = new Redis(testEnvironment().redisUrl);
  try {
    const id = await redis.get(`${stack.keyPrefix}:sandbox:${chat.tenantId}:${chatId}`);
    if (id === null) throw new Error(`no sandbox id remembered for chat ${chatId}`);
    return id;
  } finally {
    redis.disconnect();
  }
}
