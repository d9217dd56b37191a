import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CellDraft } from '@assay/contracts';

/**
 * A local stand-in for the Anthropic Messages API, speaking its streaming protocol
 * (server-sent events) so the real SDK can be pointed at it with `baseURL`.
 */

/** One request the server received. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The raw body text, exactly as sent. */
  rawBody: string;
  body: unknown;
}

/** One server-sent event: its name and its JSON data. */
export interface SseEvent {
  event: string;
  data: unknown;
}

/** What the server answers to the next request. */
export type MockReply =
  | {
      kind: 'stream';
      events: SseEvent[];
      /** Keep the connection open after the events. */
      holdOpen?: boolean;
      /** Break the connection after the events (a stream cut mid-way). */
      cut?: boolean;
    }
  | { kind: 'error'; status: number; body: unknown; headers?: Record<string, string> };

export class MockAnthropicServer {
  readonly requests: RecordedRequest[] = [];
  readonly #replies: MockReply[] = [];
  #fallback: MockReply | undefined;
  readonly #server: Server;
  #nextRequestId = 1;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Starts a server on a free loopback port. */
  static async start(): Promise<MockAnthropicServer> {
    const server = createServer();
    const mock = new MockAnthropicServer(server);
    server.on('request', (request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        let body: unknown = null;
        try {
          body = JSON.parse(rawBody);
        } catch {
          body = null;
        }
        mock.requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, rawBody, body });
        mock.#answer(response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return mock;
  }

  /** Base URL to give the SDK. */
  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** Queues the answer to a future request (answers are used in order). */
  reply(reply: MockReply): this {
    this.#replies.push(reply);
    return this;
  }

  /** The answer used whenever no queued answer is left. */
  replyByDefault(reply: MockReply): this {
    this.#fallback = reply;
    return this;
  }

  /** Stops the server and drops any connection still open. */
  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.#server.close((error) => (error ? reject(error) : resolve())));
  }

  #answer(response: ServerResponse): void {
    const requestId = `req_mock_${this.#nextRequestId++}`;
    const reply = this.#replies.shift() ?? this.#fallback;
    if (reply === undefined) {
      response.writeHead(500, { 'content-type': 'application/json', 'request-id': requestId, 'x-should-retry': 'false' });
      response.end(JSON.stringify({ type: 'error', error: { type: 'api_error', message: 'the mock server has no reply queued' } }));
      return;
    }
    if (reply.kind === 'error') {
      response.writeHead(reply.status, { 'content-type': 'application/json', 'request-id': requestId, ...reply.headers });
      response.end(JSON.stringify(reply.body));
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': requestId });
    for (const { event, data } of reply.events) {
      response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    }
    if (reply.cut) {
      // Let the written events reach the client first, then drop the connection without ending the body.
      setTimeout(() => response.socket?.destroy(), 20);
      return;
    }
    if (!reply.holdOpen) response.end();
  }
}

/** Options of {@link notebookStream}. */
export interface NotebookStreamOptions {
  /** Text the model writes before calling the tool. */
  preamble?: string;
  /** Tool input as raw JSON text; by default `{ cells }` serialised. */
  rawInput?: string;
  /** Characters per `input_json_delta`. @defaultValue 17 */
  chunkChars?: number;
  model?: string;
  stopReason?: string;
  usage?: { input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number };
}

/**
 * The events of a reply in which the model calls `write_notebook` with `cells`: message_start,
 * an optional text block, the tool_use block streamed as input_json_delta pieces,
 * message_delta with the stop reason and output usage, message_stop.
 */
export function notebookStream(cells: CellDraft[], options: NotebookStreamOptions = {}): SseEvent[] {
  const usage = options.usage ?? { input_tokens: 1840, output_tokens: 0, cache_read_input_tokens: 1500, cache_creation_input_tokens: 0 };
  const events: SseEvent[] = [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          id: 'msg_mock_1',
          type: 'message',
          role: 'assistant',
          model: options.model ?? 'claude-sonnet-5-5',
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: 1 },
        },
      },
    },
    { event: 'ping', data: { type: 'ping' } },
  ];
  let index = 0;
  if (options.preamble !== undefined) {
    events.push(
      { event: 'content_block_start', data: { type: 'content_block_start', index, content_block: { type: 'text', text: '' } } },
      ...splitText(options.preamble, 11).map((text) => ({
        event: 'content_block_delta',
        data: { type: 'content_block_delta', index, delta: { type: 'text_delta', text } },
      })),
      { event: 'content_block_stop', data: { type: 'content_block_stop', index } },
    );
    index += 1;
  }
  const input = options.rawInput ?? JSON.stringify({ cells });
  events.push(
    {
      event: 'content_block_start',
      data: { type: 'content_block_start', index, content_block: { type: 'tool_use', id: 'toolu_mock_1', name: 'write_notebook', input: {} } },
    },
    ...splitText(input, options.chunkChars ?? 17).map((partial_json) => ({
      event: 'content_block_delta',
      data: { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } },
    })),
    { event: 'content_block_stop', data: { type: 'content_block_stop', index } },
    {
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: options.stopReason ?? 'tool_use', stop_sequence: null },
        usage: { output_tokens: usage.output_tokens || 312 },
      },
    },
    { event: 'message_stop', data: { type: 'message_stop' } },
  );
  return events;
}

/** A reply that only starts: message_start, then nothing (with `holdOpen`, to test cancellation). */
export function stalledStream(): MockReply {
  return { kind: 'stream', holdOpen: true, events: notebookStream([]).slice(0, 1) };
}

/** A JSON error body as the API sends it. */
export function apiErrorBody(type: string, message: string): unknown {
  return { type: 'error', error: { type, message }, request_id: 'req_mock_error' };
}

function splitText(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let offset = 0; offset < text.length; offset += size) pieces.push(text.slice(offset, offset + size));
  return pieces;
}

/** A reply in which the model only writes text and never calls the tool. */
export function textOnlyStream(text: string, stopReason = 'end_turn'): SseEvent[] {
  const start = notebookStream([])[0] as SseEvent;
  return [
    start,
    { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } } },
    { event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } } },
    { event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } },
    { event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: 9 } } },
    { event: 'message_stop', data: { type: 'message_stop' } },
  ];
}
