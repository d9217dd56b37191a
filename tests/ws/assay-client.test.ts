import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AssayApiError, AssayClient, isAssayApiError } from '@assay/client';
import type { ChatEvent } from '@assay/contracts';
import { ServiceStack } from '../support/service-stack';

/**
 * @assay/client against the real system: typed REST calls with the server's error codes and
 * idempotency keys, and an event stream that survives a proxy cutting its connections at random.
 */

let stack: ServiceStack;
let client: AssayClient;
let apiKey: string;

beforeAll(async () => {
  stack = await ServiceStack.start({ env: { CODEGEN_PROVIDER: 'scripted', ASSAY_WS_HEARTBEAT_MS: '1000' } });
  apiKey = (await stack.createTenant()).apiKey;
  client = new AssayClient({ baseUrl: stack.baseUrl, apiKey });
}, 60_000);

afterAll(async () => {
  await stack?.stop();
});

const isTerminal = (event: ChatEvent) => event.type === 'message.completed' || event.type === 'message.failed';

/** A TCP proxy to the gateway that can cut every connection through it. */
async function cuttingProxy(target: string): Promise<{ url: string; cut: () => void; close: () => Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(Number(port), hostname);
    for (const socket of [inbound, outbound]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    inbound.pipe(outbound).pipe(inbound);
    inbound.on('close', () => outbound.destroy());
    outbound.on('close', () => inbound.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const proxyPort = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${proxyPort}`,
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('REST', () => {
  it('uploads, creates a chat and a message, and reads them back validated', async () => {
    const file = await client.uploadFile('t.csv', 'a,b\n1,2\n3,4\n', { contentType: 'text/csv' });
    expect(file).toMatchObject({ name: 't.csv', format: 'csv' });
    expect((await client.getFile(file.id)).id).toBe(file.id);
    const chat = await client.createChat({ title: 'client' });
    expect((await client.listChats({ limit: 100 })).data.map((summary) => summary.id)).toContain(chat.id);

    const stream = client.subscribe(chat.id);
    const content = JSON.stringify({ cells: [{ kind: 'code', source: "import pandas as pd\ndf = pd.read_csv('/mnt/data/t.csv')\nprint(df.a.sum())" }] });
    const key = randomUUID();
    const message = await client.postMessage(chat.id, { content, fileIds: [file.id] }, { idempotencyKey: key });
    // A retried create with the same key answers with the same message instead of a second one.
    const retried = await client.postMessage(chat.id, { content, fileIds: [file.id] }, { idempotencyKey: key });
    expect(retried.id).toBe(message.id);

    const terminal = await stream.next((event) => event.messageId === message.id && isTerminal(event));
    stream.close();
    expect(terminal.type).toBe('message.completed');
    const notebook = await client.getChat(chat.id);
    expect(notebook.messages).toHaveLength(1);
    const output = notebook.messages[0]?.cells[0]?.outputs[0];
    expect(output?.output_type === 'stream' ? output.text : undefined).toBe('4\n');
    expect((await client.getVariables(chat.id)).variables.map((variable) => variable.name)).toContain('df');
    expect((await client.getMessage(message.id)).status).toBe('completed');
    expect((await client.listMessages(chat.id)).data.map((listed) => listed.id)).toEqual([message.id]);
  }, 60_000);

  it("throws AssayApiError with the server's code and status", async () => {
    const missing = await client.getChat('00000000-0000-4000-8000-000000000000').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(AssayApiError);
    expect(isAssayApiError(missing, 'NOT_FOUND')).toBe(true);
    expect((missing as AssayApiError).status).toBe(404);

    const invalid = await client.postMessage((await client.createChat()).id, { content: '' }).catch((error: unknown) => error);
    expect(isAssayApiError(invalid, 'VALIDATION_FAILED')).toBe(true);

    const stranger = new AssayClient({ baseUrl: stack.baseUrl, apiKey: 'not-a-key' });
    const refused = await stranger.listChats().catch((error: unknown) => error);
    expect(isAssayApiError(refused, 'UNAUTHORIZED')).toBe(true);
    expect((refused as AssayApiError).status).toBe(401);
  });
});

describe('notebook operations, artifacts, batches and usage', () => {
  it('edits and runs cells, downloads an artifact as a stream, runs a batch and reads usage', async () => {
    const chat = await client.createChat();
    const stream = client.subscribe(chat.id);
    const message = await client.postMessage(chat.id, {
      content: JSON.stringify({ cells: [{ kind: 'code', source: "n = 2\nopen('/mnt/data/out.csv', 'w').write('x\\n1\\n')" }] }),
    });
    await stream.next((event) => event.messageId === message.id && isTerminal(event));

    const artifacts = (await client.listArtifacts(chat.id)).data;
    expect(artifacts.map((artifact) => artifact.name)).toEqual(['out.csv']);
    const download = await client.downloadArtifact(artifacts[0]?.id ?? '');
    const chunks: Buffer[] = [];
    for await (const chunk of download.stream) chunks.push(Buffer.from(chunk as Uint8Array));
    expect(Buffer.concat(chunks).toString()).toBe('x\n1\n');
    expect(download.mimeType).toMatch(/^text\/csv/);
    expect(download.sizeBytes).toBe(4);

    const cell = await client.insertCell(chat.id, { kind: 'code', source: 'print(n * 10)' });
    expect((await client.updateCell(chat.id, cell.id, 'print(n * 100)')).source).toBe('print(n * 100)');
    const run = await client.runCell(chat.id, cell.id);
    expect(run).toMatchObject({ kind: 'run', cellIds: [cell.id] });
    const completed = await stream.next((event) => event.type === 'cell.completed' && event.data.cellId === cell.id);
    expect(completed.type === 'cell.completed' ? completed.data.status : undefined).toBe('ok');
    const ran = (await client.getChat(chat.id)).messages.flatMap((listed) => listed.cells).find((listed) => listed.id === cell.id);
    expect(ran?.outputs.map((output) => (output.output_type === 'stream' ? output.text : ''))).toEqual(['200\n']);
    await client.clearOutputs(chat.id);
    expect((await client.getChat(chat.id)).messages.flatMap((listed) => listed.cells).every((listed) => listed.outputs.length === 0)).toBe(true);
    await client.deleteCell(chat.id, cell.id);
    const missing = await client.runCell(chat.id, cell.id).catch((error: unknown) => error);
    expect(isAssayApiError(missing, 'NOT_FOUND')).toBe(true);
    stream.close();

    const batch = await client.createBatch({ items: [{ question: JSON.stringify({ cells: [{ kind: 'code', source: 'print(1)' }] }) }] });
    expect(batch.items).toHaveLength(1);
    expect((await client.getBatch(batch.id)).id).toBe(batch.id);
    expect(await client.getJob(batch.id)).toMatchObject({ id: batch.id, kind: 'batch', chatId: null });
    const usage = await client.getUsage();
    // This tenant's work so far in this file: at least these two chats (plus the batch's) and their artifact.
    expect(usage.chats).toBeGreaterThanOrEqual(2);
    expect(usage.artifacts).toBeGreaterThanOrEqual(1);
    expect(usage.quotas.executions.used).toBeGreaterThanOrEqual(3);
  }, 60_000);
});

describe('event stream', () => {
  it('reconnects and resumes through a proxy that keeps cutting its connections: every event once, in order', async () => {
    const proxy = await cuttingProxy(stack.baseUrl);
    const proxied = new AssayClient({ baseUrl: proxy.url, apiKey });
    const chat = await client.createChat();
    const received: ChatEvent[] = [];
    const stream = proxied.subscribe(chat.id, { initialBackoffMs: 10, maxBackoffMs: 50 });
    const cells = Array.from({ length: 6 }, (_, cell) => ({
      kind: 'code',
      source: `import time\nfor i in range(15):\n    print('c${cell}', i, flush=True)\n    time.sleep(0.02)`,
    }));
    const message = await client.postMessage(chat.id, { content: JSON.stringify({ cells }) });
    let cutting = true;
    const cutter = (async () => {
      while (cutting) {
        await new Promise((resolve) => setTimeout(resolve, 30 + Math.random() * 70));
        proxy.cut();
      }
    })();
    for await (const event of stream) {
      received.push(event);
      if (event.messageId === message.id && isTerminal(event)) break;
    }
    cutting = false;
    await cutter;
    stream.close();
    await proxy.close();

    expect(received.map((event) => event.id)).toEqual(received.map((_, index) => index + 1));
    expect(received.at(-1)?.type).toBe('message.completed');
    expect(stream.connectionCount).toBeGreaterThan(5);
    // What a fresh, undisturbed stream reads is the same.
    const fresh = client.subscribe(chat.id);
    const replayed: ChatEvent[] = [];
    for await (const event of fresh) {
      replayed.push(event);
      if (event.id === received.length) break;
    }
    fresh.close();
    expect(replayed).toEqual(received);
  }, 60_000);

  it("stops with the server's code for a chat it may not see, and for a bad key", async () => {
    const errors: AssayApiError[] = [];
    const foreign = client.subscribe('00000000-0000-4000-8000-000000000000', { onError: (error) => errors.push(error) });
    await expect(foreign.next(() => true)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(errors.map((error) => error.code)).toEqual(['NOT_FOUND']);

    const refused = new AssayClient({ baseUrl: stack.baseUrl, apiKey: 'not-a-key' }).subscribe((await client.createChat()).id);
    await expect(refused.next(() => true)).rejects.toMatchObject({ code: 'UNAUTHORIZED', status: 401 });
  });
});
