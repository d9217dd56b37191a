import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ServerFrame, WS_PROTOCOL_VERSION, type ChatEvent } from '@assay/contracts';
import { WebSocket } from 'ws';
import { ApiClient, EventSocket, expectOk } from '../support/api-client';
import { ServiceStack } from '../support/service-stack';

/**
 * The WebSocket protocol's delivery promises on the real system (two gateway processes, the
 * workers, Redis): resume after hundreds of random disconnects without gaps or duplicates,
 * across replicas; dead peers are dropped by the heartbeat; a client that does not read is
 * disconnected with 4008 and does not hold back anyone else.
 */

// Short enough for a quick dead-peer test, long enough that a busy CI machine still answers pings in time.
const HEARTBEAT_MS = 1500;
const MAX_BUFFERED_BYTES = 256 * 1024;
const DISCONNECTS = 200;

/** Cells that print in a loop: a long-running analysis producing a few hundred events. */
function loopingMessage(cells: number, lines: number): string {
  return JSON.stringify({
    cells: Array.from({ length: cells }, (_, cell) => ({
      kind: 'code',
      source: [
        'import time',
        `for i in range(${lines}):`,
        `    print(f'cell ${cell} line {i}', flush=True)`,
        '    time.sleep(0.02)',
        `x${cell} = ${cell}`,
      ].join('\n'),
    })),
  });
}

let stack: ServiceStack;
let apiKey: string;
let gatewayA: string;
let gatewayB: string;

beforeAll(async () => {
  stack = await ServiceStack.start({
    env: {
      CODEGEN_PROVIDER: 'scripted',
      ASSAY_WS_HEARTBEAT_MS: String(HEARTBEAT_MS),
      ASSAY_WS_MAX_BUFFERED_BYTES: String(MAX_BUFFERED_BYTES),
    },
  });
  await stack.startReplica('gateway');
  gatewayA = stack.gatewayUrl(0);
  gatewayB = stack.gatewayUrl(1);
  apiKey = (await stack.createTenant()).apiKey;
}, 90_000);

afterAll(async () => {
  await stack?.stop();
});

const isTerminal = (event: ChatEvent) => event.type === 'message.completed' || event.type === 'message.failed';

/**
 * A client that keeps disconnecting at random moments (graceful close or abrupt destroy, also
 * before the subscription is confirmed) and resubscribes with `after` = the last id it saw,
 * alternating between the given gateways. Records every event exactly as received.
 */
class FlakyReader {
  readonly received: ChatEvent[] = [];
  /** Events whose id was not the previous one + 1 on their connection (must stay empty). */
  readonly violations: string[] = [];
  disconnects = 0;
  private socket: WebSocket | undefined;
  private stopped = false;
  private done: Promise<void>;
  private finish!: () => void;

  constructor(
    private readonly chatId: string,
    private readonly urls: readonly string[],
    private readonly until: (event: ChatEvent) => boolean,
  ) {
    this.done = new Promise((resolve) => (this.finish = resolve));
  }

  get lastId(): number {
    return this.received.at(-1)?.id ?? 0;
  }

  start(): Promise<void> {
    this.connect();
    return this.done;
  }

  private connect(): void {
    if (this.stopped) return;
    const url = this.urls[this.disconnects % this.urls.length] ?? '';
    const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/ws`, { headers: { authorization: `Bearer ${apiKey}` } });
    this.socket = socket;
    let expected = this.lastId + 1;
    socket.on('open', () => {
      socket.send(JSON.stringify({ version: WS_PROTOCOL_VERSION, type: 'subscribe', payload: { chatId: this.chatId, after: this.lastId } }));
      setTimeout(() => this.disconnect(socket), Math.random() * 30);
    });
    socket.on('message', (data) => {
      const frame = ServerFrame.parse(JSON.parse(data.toString()));
      if (frame.type !== 'event') return;
      const event = frame.payload;
      if (event.id !== expected) this.violations.push(`got ${event.id}, expected ${expected} (connection ${this.disconnects})`);
      expected = event.id + 1;
      this.received.push(event);
      if (this.until(event)) {
        this.stopped = true;
        socket.removeAllListeners('message');
        socket.close();
        this.finish();
      }
    });
    // A refused or broken connection is just another disconnect.
    socket.on('error', () => this.disconnect(socket));
  }

  private disconnect(socket: WebSocket): void {
    if (this.socket !== socket || this.stopped) return;
    this.socket = undefined;
    // Nothing that arrives on the old socket counts any more: the next one resumes after lastId.
    socket.removeAllListeners('message');
    socket.on('error', () => undefined);
    if (Math.random() < 0.5) socket.terminate();
    else socket.close();
    this.disconnects += 1;
    this.connect();
  }
}

/** Every retained event of a chat, read by a fresh subscription. */
async function replayAll(url: string, chatId: string): Promise<ChatEvent[]> {
  const socket = await EventSocket.open(url, apiKey);
  try {
    socket.subscribe(chatId);
    const subscribed = await socket.waitForFrame((frame) => frame.type === 'subscribed');
    if (subscribed.type !== 'subscribed') throw new Error('unreachable');
    const last = subscribed.payload.lastEventId;
    await socket.waitForEvent((event) => event.id === last);
    return socket.events(chatId);
  } finally {
    await socket.close();
  }
}

describe('resume after random disconnects, across two gateway replicas', () => {
  it('delivers the stream 1..N exactly once and in order to a client reconnecting hundreds of times', async () => {
    const api = new ApiClient(gatewayB, apiKey);
    const chatId = expectOk(await api.createChat('flaky')).id;

    // A steady client on gateway A while the message is posted through gateway B.
    const steady = await EventSocket.open(gatewayA, apiKey);
    steady.subscribe(chatId);
    await steady.waitForFrame((frame) => frame.type === 'subscribed');

    const flaky = new FlakyReader(chatId, [gatewayA, gatewayB], isTerminal);
    const flakyDone = flaky.start();
    const message = expectOk(await api.postMessage(chatId, { content: loopingMessage(15, 30) }));

    const terminal = await steady.waitForEvent((event) => event.messageId === message.id && isTerminal(event), 120_000);
    expect(terminal.type).toBe('message.completed');
    await flakyDone;
    await steady.close();

    const steadyEvents = steady.events(chatId);
    const ids = steadyEvents.map((event) => event.id);
    expect(ids).toEqual(ids.map((_, index) => index + 1));
    expect(steadyEvents.filter((event) => event.type === 'cell.output').length).toBeGreaterThan(15);

    expect(flaky.violations).toEqual([]);
    expect(flaky.received).toEqual(steadyEvents);
    expect(flaky.disconnects).toBeGreaterThanOrEqual(DISCONNECTS);
    // And what the stream keeps is the same, read through either replica.
    expect(await replayAll(gatewayB, chatId)).toEqual(steadyEvents);
  }, 120_000);
});

/** Opens a raw TCP connection and performs the WebSocket handshake by hand, then never answers pings. */
async function rawSocketThatNeverPongs(url: string): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  let response = '';
  const upgraded = new Promise<string>((resolve) => {
    const onData = (chunk: Buffer) => {
      response += chunk.toString('latin1');
      if (response.includes('\r\n\r\n')) {
        socket.off('data', onData);
        // Keep reading (so nothing backs up) but never write again: pings go unanswered.
        socket.on('data', () => undefined);
        resolve(response.split('\r\n')[0] ?? '');
      }
    };
    socket.on('data', onData);
  });
  socket.write(
    [
      'GET /v1/ws HTTP/1.1',
      `Host: ${hostname}:${port}`,
      'Upgrade: websocket',
      'Connection: Upgrade',
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version: 13',
      `Authorization: Bearer ${apiKey}`,
      '',
      '',
    ].join('\r\n'),
  );
  expect(await upgraded).toBe('HTTP/1.1 101 Switching Protocols');
  return { socket, closed };
}

describe('heartbeats', () => {
  it('terminates a peer that stops answering pings, and keeps one that answers', async () => {
    const healthy = await EventSocket.open(gatewayA, apiKey);
    const dead = await rawSocketThatNeverPongs(gatewayA);
    // The server drops it after a missed ping; the test would time out if it never did.
    await dead.closed;
    expect(dead.socket.destroyed).toBe(true);

    // The ws client answers pings on its own: after the dead peer was dropped (two heartbeats)
    // it is still connected and served.
    healthy.send({ version: WS_PROTOCOL_VERSION, type: 'ping' });
    await healthy.waitForFrame((frame) => frame.type === 'pong');
    await healthy.close();
  }, 30_000);
});

describe('a slow client', () => {
  it('is disconnected with 4008 and a reason, while another client of the chat gets every event', async () => {
    const api = new ApiClient(gatewayA, apiKey);
    const chatId = expectOk(await api.createChat('slow')).id;
    const first = expectOk(await api.postMessage(chatId, { content: loopingMessage(4, 10) }));
    const fast = await EventSocket.open(gatewayA, apiKey);
    fast.subscribe(chatId);
    await fast.waitForEvent((event) => event.messageId === first.id && isTerminal(event), 60_000);
    const replayBytes = fast.events(chatId).reduce((sum, event) => sum + JSON.stringify(event).length, 0);

    // The slow client reads nothing, but asks again and again for the whole chat: far more than
    // the kernel's socket buffers and the gateway's limit can hold.
    const slow = new WebSocket(`${gatewayA.replace(/^http/, 'ws')}/v1/ws`, { headers: { authorization: `Bearer ${apiKey}` } });
    await new Promise<void>((resolve, reject) => {
      slow.once('open', () => resolve());
      slow.once('error', reject);
    });
    const slowIds: number[] = [];
    slow.on('message', (data) => {
      const frame = ServerFrame.parse(JSON.parse(data.toString()));
      if (frame.type === 'event') slowIds.push(frame.payload.id);
    });
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      slow.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    slow.pause();
    const second = expectOk(await api.postMessage(chatId, { content: loopingMessage(3, 10) }));
    // Keep asking (which also keeps it alive for the heartbeat) until far more was requested than
    // the kernel's socket buffers hold (the client's receive buffer and the server's send buffer,
    // a few MiB here), whatever the fast client does meanwhile: stopping early would leave the
    // backlog inside those buffers, under the gateway's limit, and the slow client never dropped.
    const asked = (async () => {
      let requestedBytes = 0;
      while (requestedBytes < 64 * 1024 * 1024) {
        for (let index = 0; index < 10; index += 1) {
          slow.send(JSON.stringify({ version: WS_PROTOCOL_VERSION, type: 'subscribe', payload: { chatId } }));
          requestedBytes += replayBytes;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    await fast.waitForEvent((event) => event.messageId === second.id && isTerminal(event), 60_000);
    const fastEvents = fast.events(chatId);
    expect(fastEvents.map((event) => event.id)).toEqual(fastEvents.map((_, index) => index + 1));
    expect(fastEvents).toEqual(await replayAll(gatewayB, chatId));
    await fast.close();
    await asked;

    // Now read: the backlog, then the close frame with its code and reason.
    slow.resume();
    const { code, reason } = await closed;
    expect(code).toBe(4008);
    expect(reason).toMatch(/too slow/);
    // What it did get is gap-free: replays from 1 (one per subscribe), each id the previous + 1,
    // so resuming after its last id would lose nothing.
    expect(slowIds.length).toBeGreaterThan(0);
    expect(slowIds.filter((id, index) => id !== 1 && id !== (slowIds[index - 1] ?? 0) + 1)).toEqual([]);
  }, 120_000);
});
