import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { WS_PROTOCOL_VERSION, type ChatEvent, type ClientFrame } from '@assay/contracts';
import { WebSocket, WebSocketServer } from 'ws';
import { ChatEventStream } from './chat-event-stream';

/**
 * The stream against a scripted server: what the client does with duplicates, a gap, a 4008
 * close and a server that goes silent, independently of the real gateway.
 */

const CHAT = '11111111-1111-4111-8111-111111111111';
const MESSAGE = '22222222-2222-4222-8222-222222222222';

function event(id: number): ChatEvent {
  return { id, chatId: CHAT, messageId: MESSAGE, type: 'codegen.delta', at: new Date(0).toISOString(), data: { text: `t${id}` } };
}

const send = (socket: WebSocket, type: string, payload: unknown) => socket.send(JSON.stringify({ version: WS_PROTOCOL_VERSION, type, payload }));

let server: WebSocketServer | undefined;
let stream: ChatEventStream | undefined;

afterEach(async () => {
  stream?.close();
  for (const client of server?.clients ?? []) client.terminate();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A server that answers the n-th subscribe (0-based) with `script(socket, after, n)`. */
async function scriptedServer(script: (socket: WebSocket, after: number, n: number) => void): Promise<{ url: string; afters: number[] }> {
  const afters: number[] = [];
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => server?.once('listening', () => resolve()));
  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      const frame = JSON.parse(data.toString()) as ClientFrame;
      if (frame.type !== 'subscribe') return;
      const after = frame.payload.after ?? 0;
      afters.push(after);
      send(socket, 'subscribed', { chatId: CHAT, lastEventId: 0 });
      script(socket, after, afters.length - 1);
    });
  });
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/v1/ws`, afters };
}

async function take(source: ChatEventStream, count: number): Promise<number[]> {
  const ids: number[] = [];
  for await (const received of source) {
    ids.push(received.id);
    if (ids.length === count) break;
  }
  return ids;
}

describe('ChatEventStream', () => {
  it('drops duplicates, and resubscribes after its last id on a gap or a 4008 close', async () => {
    const { url, afters } = await scriptedServer((socket, after, n) => {
      if (n === 0) {
        // 1, 2, 2 (duplicate), 4 (gap: 3 missing) -> the client must resubscribe after 2.
        for (const id of [1, 2, 2, 4]) send(socket, 'event', event(id));
      } else if (n === 1) {
        for (const id of [after + 1, after + 2]) send(socket, 'event', event(id));
        socket.close(4008, 'client too slow');
      } else {
        for (let id = after + 1; id <= 8; id += 1) send(socket, 'event', event(id));
      }
    });
    stream = new ChatEventStream({ url, apiKey: 'k', chatId: CHAT, initialBackoffMs: 5 });
    expect(await take(stream, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(afters).toEqual([0, 2, 4]);
  });

  it('starts after the given id and replaces a connection that went silent', async () => {
    const { url, afters } = await scriptedServer((socket, after, n) => {
      send(socket, 'event', event(after + 1));
      // The first connection then says nothing at all (no events, no pings).
      if (n > 0) send(socket, 'event', event(after + 2));
    });
    stream = new ChatEventStream({ url, apiKey: 'k', chatId: CHAT, after: 10, idleTimeoutMs: 200, initialBackoffMs: 5 });
    expect(await take(stream, 3)).toEqual([11, 12, 13]);
    expect(afters).toEqual([10, 11]);
  });
});
