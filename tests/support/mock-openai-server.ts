import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CellDraft } from '@assay/contracts';

/**
 * A local stand-in for an OpenAI-compatible chat completions API (`POST /v1/chat/completions`
 * with `stream: true`), speaking its server-sent events (`data: <chunk>` … `data: [DONE]`) so
 * the real `openai` SDK can be pointed at it with `baseURL`.
 */

/** One request the server received. */
export interface RecordedOpenAIRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** The raw body text, exactly as sent. */
  rawBody: string;
  body: unknown;
}

/** What the server answers to the next request. */
export type MockOpenAIReply =
  | {
      kind: 'stream';
      /** Chunk objects, each sent as one `data:` event. */
      chunks: unknown[];
      /** Break the connection after the chunks, without `[DONE]` (a stream cut mid-way). */
      cut?: boolean;
    }
  | { kind: 'error'; status: number; body: unknown; headers?: Record<string, string> };

export class MockOpenAIServer {
  readonly requests: RecordedOpenAIRequest[] = [];
  readonly #replies: MockOpenAIReply[] = [];
  #fallback: MockOpenAIReply | undefined;
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Starts a server on a free loopback port. */
  static async start(): Promise<MockOpenAIServer> {
    const server = createServer();
    const mock = new MockOpenAIServer(server);
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

  /** Base URL to give the SDK (with the usual `/v1`). */
  get url(): string {
    const { port } = this.#server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/v1`;
  }

  /** Queues the answer to a future request (answers are used in order). */
  reply(reply: MockOpenAIReply): this {
    this.#replies.push(reply);
    return this;
  }

  /** The answer used whenever no queued answer is left. */
  replyByDefault(reply: MockOpenAIReply): this {
    this.#fallback = reply;
    return this;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.#server.close((error) => (error ? reject(error) : resolve())));
  }

  #answer(response: ServerResponse): void {
    const reply = this.#replies.shift() ?? this.#fallback;
    if (reply === undefined) {
      response.writeHead(500, { 'content-type': 'application/json', 'x-should-retry': 'false' });
      response.end(JSON.stringify(openAIErrorBody('server_error', 'the mock server has no reply queued')));
      return;
    }
    if (reply.kind === 'error') {
      response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      response.end(JSON.stringify(reply.body));
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const chunk of reply.chunks) response.write(`data: ${JSON.stringify(chunk)}\n\n`);
    if (reply.cut) {
      setTimeout(() => response.socket?.destroy(), 20);
      return;
    }
    response.end('data: [DONE]\n\n');
  }
}

/** Options of {@link notebookChunks}. */
export interface NotebookChunksOptions {
  /** Text the model writes before calling the function. */
  preamble?: string;
  /** Function arguments as raw JSON text; by default `{ cells }` serialised. */
  rawArguments?: string;
  /** Characters per arguments delta. @defaultValue 17 */
  chunkChars?: number;
  model?: string;
  finishReason?: string;
  usage?: { prompt_tokens: number; completion_tokens: number; cached_tokens?: number };
}

/**
 * The chunks of a reply in which the model calls `write_notebook` with `cells`: a role chunk,
 * optional content, the tool call (id and name first, then its arguments in pieces), a chunk
 * with the finish reason, and a last chunk with no choices and the usage.
 */
export function notebookChunks(cells: CellDraft[], options: NotebookChunksOptions = {}): unknown[] {
  const model = options.model ?? 'mock-model';
  const base = { id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 1_700_000_000, model };
  const chunk = (delta: unknown, finishReason: string | null = null) => ({ ...base, choices: [{ index: 0, delta, finish_reason: finishReason, logprobs: null }] });
  const args = options.rawArguments ?? JSON.stringify({ cells });
  const size = options.chunkChars ?? 17;
  const usage = options.usage ?? { prompt_tokens: 1500, completion_tokens: 230, cached_tokens: 1000 };
  const chunks: unknown[] = [chunk({ role: 'assistant', content: '' })];
  if (options.preamble !== undefined) chunks.push(chunk({ content: options.preamble }));
  chunks.push(chunk({ tool_calls: [{ index: 0, id: 'call_mock_1', type: 'function', function: { name: 'write_notebook', arguments: '' } }] }));
  for (let offset = 0; offset < args.length; offset += size) {
    chunks.push(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(offset, offset + size) } }] }));
  }
  chunks.push(chunk({}, options.finishReason ?? 'tool_calls'));
  chunks.push({
    ...base,
    choices: [],
    usage: {
      prompt_tokens: usage.prompt_tokens,
      completion_tokens: usage.completion_tokens,
      total_tokens: usage.prompt_tokens + usage.completion_tokens,
      ...(usage.cached_tokens === undefined ? {} : { prompt_tokens_details: { cached_tokens: usage.cached_tokens } }),
    },
  });
  return chunks;
}

/** A reply in which the model only writes text and never calls the function. */
export function textOnlyChunks(text: string): unknown[] {
  const base = { id: 'chatcmpl-mock', object: 'chat.completion.chunk', created: 1_700_000_000, model: 'mock-model' };
  return [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: text }, finish_reason: null }] },
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
  ];
}

/** A JSON error body as OpenAI-compatible servers send it. */
export function openAIErrorBody(type: string, message: string): unknown {
  return { error: { message, type, param: null, code: null } };
}
