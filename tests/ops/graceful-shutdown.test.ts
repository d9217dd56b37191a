import http from 'node:http';
import { afterEach, describe, expect, it } from '@jest/globals';
import { FileResource } from '@assay/contracts';
import { WebSocket } from 'ws';
import { ApiClient, EventSocket, expectOk } from '../support/api-client';
import { ServiceStack } from '../support/service-stack';
import { HeldAnthropicServer } from './held-anthropic-server';

/**
 * SIGTERM drains: a service that is told to stop finishes the work it has begun (an upload
 * being received, a generation, a cell that is running), takes no new work (the gateway stops listening,
 * a worker stops taking jobs, which wait for another process), then exits 0.
 */

/** What the test that is running started, stopped after it. */
let running: ServiceStack | undefined;
let provider: HeldAnthropicServer | undefined;

async function startStack(env: Record<string, string> = { CODEGEN_PROVIDER: 'scripted' }): Promise<ServiceStack> {
  running = await ServiceStack.start({ env: { ASSAY_WARM_POOL_SIZE: '0', ...env } });
  return running;
}

afterEach(async () => {
  await running?.stop();
  await provider?.close();
  running = undefined;
  provider = undefined;
});

/** Resolves once a service printed a log line with this message. */
async function logged(lines: readonly string[], message: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!lines.some((line) => line.includes(`"msg":"${message}"`))) {
    if (Date.now() > deadline) throw new Error(`no "${message}" log line within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function script(source: string): string {
  return JSON.stringify({ cells: [{ kind: 'code', source }] });
}

describe('SIGTERM', () => {
  it('lets the gateway finish an upload it is receiving, refuses new connections, and exit 0', async () => {
    const stack = await startStack();
    const { tenantId, apiKey } = await stack.createTenant();
    const url = new URL(stack.baseUrl);
    const boundary = 'assay-drain-boundary';
    const head = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.csv"\r\nContent-Type: text/csv\r\n\r\nregion,units\n`;
    const rows = Array.from({ length: 2000 }, (_, i) => `r${i},${i}\n`).join('');
    const tail = `\r\n--${boundary}--\r\n`;

    // Expect: 100-continue: the gateway's "continue" proves it is handling the request before we stop it.
    const request = http.request({
      host: url.hostname,
      port: url.port,
      method: 'POST',
      path: '/v1/files',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'content-length': String(Buffer.byteLength(head + rows + tail)),
        expect: '100-continue',
      },
    });
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
      request.once('response', (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.once('error', reject);
    });
    await new Promise<void>((resolve) => request.once('continue', () => resolve()));
    request.write(head);

    // A WebSocket client is told the server is going away (1001), and does not hold the shutdown up.
    const socket = new WebSocket(`${stack.baseUrl.replace(/^http/, 'ws')}/v1/ws`, { headers: { authorization: `Bearer ${apiKey}` } });
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    const socketClosed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));

    const gatewayLogs = stack.logs('gateway');
    const exit = stack.terminate('gateway');
    await logged(gatewayLogs, 'shutting down');
    // New connections are refused while the upload still drains.
    await expect(fetch(`${stack.baseUrl}/healthz`)).rejects.toThrow();

    request.end(rows + tail);
    const { status, body } = await answered;
    expect(status).toBe(202);
    const file = FileResource.parse(JSON.parse(body));
    expect(await exit).toBe(0);
    expect(await socketClosed).toBe(1001);

    const row = await stack.prisma.file.findUnique({ where: { id: file.id } });
    expect(row).toMatchObject({ tenantId, name: 'slow.csv' });
    expect(Number(row?.sizeBytes)).toBe(Buffer.byteLength(`region,units\n${rows}`));
  });

  it('lets the executor finish a running cell, leaves new work queued for another executor, and exit 0', async () => {
    const stack = await startStack();
    const { apiKey } = await stack.createTenant();
    const api = new ApiClient(stack.baseUrl, apiKey);
    const socket = await EventSocket.open(stack.baseUrl, apiKey);
    try {
      const busyChat = expectOk(await api.createChat()).id;
      const laterChat = expectOk(await api.createChat()).id;
      for (const chatId of [busyChat, laterChat]) socket.subscribe(chatId);
      await socket.waitForFrame((frame) => frame.type === 'subscribed' && frame.payload.chatId === laterChat);

      const running = expectOk(await api.postMessage(busyChat, { content: script("import time\ntime.sleep(2)\nprint('slept through the shutdown')") }));
      await socket.waitForEvent((event) => event.messageId === running.id && event.type === 'cell.started');

      const executorLogs = stack.logs('executor-worker');
      const exit = stack.terminate('executor-worker');
      await logged(executorLogs, 'shutting down');
      const later = expectOk(await api.postMessage(laterChat, { content: script("print('run by the next executor')") }));

      const finished = await socket.waitForEvent((event) => event.messageId === running.id && (event.type === 'message.completed' || event.type === 'message.failed'));
      expect(finished.type).toBe('message.completed');
      expect(await exit).toBe(0);
      const busyCells = expectOk(await api.getChat(busyChat)).messages[0]?.cells ?? [];
      expect(busyCells[0]?.outputs).toEqual([{ output_type: 'stream', name: 'stdout', text: 'slept through the shutdown\n' }]);

      // The stopping executor took nothing new: the later message waits, then another executor runs it.
      const waiting = await stack.prisma.message.findUnique({ where: { id: later.id } });
      expect(waiting?.status).not.toBe('completed');
      expect(executorLogs.some((line) => line.includes(later.id))).toBe(false);
      await stack.startReplica('executor-worker');
      const laterEnd = await socket.waitForEvent((event) => event.messageId === later.id && (event.type === 'message.completed' || event.type === 'message.failed'));
      expect(laterEnd.type).toBe('message.completed');
    } finally {
      await socket.close();
    }
  });
  it('lets the codegen worker finish a generation in progress, leaves new messages for another worker, and exit 0', async () => {
    const model = await HeldAnthropicServer.start();
    provider = model;
    const stack = await startStack({ ANTHROPIC_API_KEY: 'sk-ant-local-test', ANTHROPIC_BASE_URL: model.url });
    const { apiKey } = await stack.createTenant();
    const api = new ApiClient(stack.baseUrl, apiKey);
    const socket = await EventSocket.open(stack.baseUrl, apiKey);
    try {
      const firstChat = expectOk(await api.createChat()).id;
      const laterChat = expectOk(await api.createChat()).id;
      for (const chatId of [firstChat, laterChat]) socket.subscribe(chatId);
      await socket.waitForFrame((frame) => frame.type === 'subscribed' && frame.payload.chatId === laterChat);

      const generating = expectOk(await api.postMessage(firstChat, { content: 'What is in the data?' }));
      await model.waitForRequests(1);

      const codegenLogs = stack.logs('codegen-worker');
      const exit = stack.terminate('codegen-worker');
      await logged(codegenLogs, 'shutting down');
      const later = expectOk(await api.postMessage(laterChat, { content: 'And now?' }));
      model.release();

      const finished = await socket.waitForEvent((event) => event.messageId === generating.id && (event.type === 'message.completed' || event.type === 'message.failed'));
      expect(finished.type).toBe('message.completed');
      expect(await exit).toBe(0);
      expect(model.requests).toBe(1);
      expect(codegenLogs.some((line) => line.includes(later.id))).toBe(false);

      await stack.startReplica('codegen-worker');
      const laterEnd = await socket.waitForEvent((event) => event.messageId === later.id && (event.type === 'message.completed' || event.type === 'message.failed'));
      expect(laterEnd.type).toBe('message.completed');
      expect(model.requests).toBe(2);
    } finally {
      await socket.close();
    }
  });
});
