import {
  ChatResource,
  ErrorBody,
  FileResource,
  MessageResource,
  ServerFrame,
  WS_PROTOCOL_VERSION,
  type ChatEvent,
} from '@assay/contracts';
import type { AssayClient, ChatEventStream } from '@assay/client';
import { WebSocket } from 'ws';
import type { z } from 'zod';

/** A response whose body is either the expected resource or the API's error shape. */
export interface ApiResponse<T> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * The HTTP API as a test uses it: plain fetch, bodies validated with the same schemas the
 * gateway promises to honour.
 */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly apiKey: string | undefined,
  ) {}

  async uploadFile(name: string, content: Buffer | string, contentType = 'application/octet-stream') {
    const form = new FormData();
    form.append('file', new Blob([content], { type: contentType }), name);
    return this.request('POST', '/v1/files', FileResource, { body: form });
  }

  getFile(id: string) {
    return this.request('GET', `/v1/files/${id}`, FileResource);
  }

  createChat(title?: string) {
    return this.request('POST', '/v1/chats', ChatResource, { json: title === undefined ? {} : { title } });
  }

  getChat(id: string) {
    return this.request('GET', `/v1/chats/${id}`, ChatResource);
  }

  postMessage(chatId: string, body: { content: string; fileIds?: string[] } | Record<string, unknown>) {
    return this.request('POST', `/v1/chats/${chatId}/messages`, MessageResource, { json: body });
  }

  /** Sends a request; 2xx bodies are parsed with `schema`, others with the error shape. */
  async request<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S,
    options: { json?: unknown; body?: FormData | string; headers?: Record<string, string> } = {},
  ): Promise<ApiResponse<z.output<S>> | ApiResponse<ErrorBody>> {
    const headers: Record<string, string> = { ...options.headers };
    if (this.apiKey !== undefined) headers.authorization = `Bearer ${this.apiKey}`;
    let body: FormData | string | undefined = options.body;
    if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const response = await fetch(`${this.baseUrl}${path}`, { method, headers, body });
    // 204 and other bodiless answers parse as undefined.
    const text = await response.text();
    const json: unknown = text === '' ? undefined : JSON.parse(text);
    if (response.ok) return { status: response.status, headers: response.headers, body: schema.parse(json) };
    return { status: response.status, headers: response.headers, body: ErrorBody.parse(json) };
  }
}

/** Narrows a response to success, failing the test with the error body otherwise. */
export function expectOk<T>(response: ApiResponse<T> | ApiResponse<ErrorBody>): T {
  if (response.status >= 300) throw new Error(`expected success, got ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body as T;
}

/** Narrows a response to the error shape, failing the test on success. */
export function expectError(response: ApiResponse<unknown>): ErrorBody['error'] & { status: number } {
  const parsed = ErrorBody.safeParse(response.body);
  if (response.status < 400 || !parsed.success) throw new Error(`expected an error, got ${response.status}: ${JSON.stringify(response.body)}`);
  return { ...parsed.data.error, status: response.status };
}

/**
 * A WebSocket client of `/v1/ws` that records every frame, for asserting on event order.
 */
export class EventSocket {
  readonly frames: ServerFrame[] = [];
  private waiters: Array<() => void> = [];

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.frames.push(ServerFrame.parse(JSON.parse(data.toString())));
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  static open(baseUrl: string, apiKey: string): Promise<EventSocket> {
    const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/v1/ws`, { headers: { authorization: `Bearer ${apiKey}` } });
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(new EventSocket(socket)));
      socket.once('error', reject);
    });
  }

  send(frame: unknown): void {
    this.socket.send(JSON.stringify(frame));
  }

  subscribe(chatId: string, after?: number): void {
    this.send({ version: WS_PROTOCOL_VERSION, type: 'subscribe', payload: after === undefined ? { chatId } : { chatId, after } });
  }

  /** Chat events received so far, in arrival order. */
  events(chatId?: string): ChatEvent[] {
    return this.frames
      .filter((frame): frame is Extract<ServerFrame, { type: 'event' }> => frame.type === 'event')
      .map((frame) => frame.payload)
      .filter((event) => chatId === undefined || event.chatId === chatId);
  }

  /** Resolves with the first frame (already received or future) that matches, or rejects after `timeoutMs`. */
  async waitForFrame(predicate: (frame: ServerFrame) => boolean, timeoutMs = 60_000): Promise<ServerFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(predicate);
      if (found) return found;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no matching frame within ${timeoutMs} ms; received: ${this.describe()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves with the first chat event matching, e.g. the message's terminal event. */
  async waitForEvent(predicate: (event: ChatEvent) => boolean, timeoutMs?: number): Promise<ChatEvent> {
    const frame = await this.waitForFrame((candidate) => candidate.type === 'event' && predicate(candidate.payload), timeoutMs);
    if (frame.type !== 'event') throw new Error('unreachable: matched a non-event frame');
    return frame.payload;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.readyState === WebSocket.CLOSED) {
        resolve();
        return;
      }
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }

  private describe(): string {
    return this.frames.map((frame) => (frame.type === 'event' ? `event:${frame.payload.type}` : frame.type)).join(', ');
  }
}

/**
 * Records one chat's events through @assay/client's resuming stream (from the first retained
 * event, so nothing posted after it was opened can be missed), for asserting on order and content.
 */
export class ChatRecorder {
  readonly events: ChatEvent[] = [];
  private readonly stream: ChatEventStream;
  private waiters: Array<() => void> = [];

  constructor(client: AssayClient, chatId: string) {
    this.stream = client.subscribe(chatId, {
      onEvent: (event) => {
        this.events.push(event);
        for (const wake of this.waiters.splice(0)) wake();
      },
    });
  }

  /** Resolves with the first event (already received or future) that matches, or rejects after `timeoutMs`. */
  async waitForEvent(predicate: (event: ChatEvent) => boolean, timeoutMs = 60_000): Promise<ChatEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(predicate);
      if (found) return found;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw new Error(`no matching event within ${timeoutMs} ms; received: ${this.events.map((event) => event.type).join(', ')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.stream.close();
  }
}
