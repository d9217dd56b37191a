import type { IncomingMessage } from 'node:http';
import { ErrorBody, ServerFrame, WS_PROTOCOL_VERSION, type ChatEvent } from '@assay/contracts';
import { WebSocket } from 'ws';
import { AssayApiError } from './api-error';

/** Options of {@link ChatEventStream}. */
export interface ChatEventStreamOptions {
  /** WebSocket URL of the endpoint, e.g. `wss://assay.example.com/v1/ws`. */
  url: string;
  apiKey: string;
  chatId: string;
  /** Deliver events with an id greater than this (a resumed client passes its last id). @defaultValue 0 (every retained event) */
  after?: number;
  /**
   * Called for each event, in id order, once per id. With it, events are not also queued for
   * iteration (so an unread queue cannot grow); without it, iterate the stream.
   */
  onEvent?: (event: ChatEvent) => void;
  /** Called once when the stream stops for good (a refused key or chat); not for reconnects. */
  onError?: (error: AssayApiError) => void;
  /** First wait before reconnecting; doubles per failed attempt (with jitter). @defaultValue 100 */
  initialBackoffMs?: number;
  /** Longest wait between reconnect attempts. @defaultValue 5_000 */
  maxBackoffMs?: number;
  /**
   * A connection on which nothing (not even the server's heartbeat ping) arrived for this long is
   * taken as dead and replaced. Keep it above twice the server's ASSAY_WS_HEARTBEAT_MS.
   * @defaultValue 75_000
   */
  idleTimeoutMs?: number;
}

/** Codes that no retry can fix: the stream stops and reports them. */
const FATAL_CODES = new Set(['UNAUTHORIZED', 'NOT_FOUND', 'VALIDATION_FAILED', 'FORBIDDEN']);

/**
 * One chat's events over `/v1/ws`, surviving disconnects: after any drop (network, a gateway
 * restart, close code 4008 for a slow reader, a missed heartbeat) it reconnects with backoff and
 * subscribes with `after` = the last id it delivered, so every event is delivered exactly once
 * and in id order. Consume it with `for await (const event of stream)` (one consumer) or `onEvent`.
 */
export class ChatEventStream implements AsyncIterable<ChatEvent> {
  private socket: WebSocket | undefined;
  private lastId: number;
  private attempts = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private failure: AssayApiError | undefined;
  private readonly queue: ChatEvent[] = [];
  private wake: (() => void) | undefined;
  private connections = 0;

  constructor(private readonly options: ChatEventStreamOptions) {
    this.lastId = options.after ?? 0;
    this.connect();
  }

  /** Id of the last event delivered (or `after`): where a new stream would resume. */
  get lastEventId(): number {
    return this.lastId;
  }

  /** How many times a connection was opened (1 without any reconnect). */
  get connectionCount(): number {
    return this.connections;
  }

  /** Stops the stream: closes the connection, ends iteration. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.idleTimer);
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.removeAllListeners('message');
      socket.on('error', () => undefined);
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close();
    }
    this.wakeUp();
  }

  /** Resolves with the first event from now on that matches, e.g. the message's terminal event. */
  async next(predicate: (event: ChatEvent) => boolean): Promise<ChatEvent> {
    for await (const event of this) if (predicate(event)) return event;
    throw this.failure ?? new Error('the event stream was closed');
  }

  async *[Symbol.asyncIterator](): AsyncIterator<ChatEvent> {
    for (;;) {
      const event = this.queue.shift();
      if (event) {
        yield event;
        continue;
      }
      if (this.failure) throw this.failure;
      if (this.closed) return;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  private connect(): void {
    if (this.closed) return;
    this.connections += 1;
    const socket = new WebSocket(this.options.url, { headers: { authorization: `Bearer ${this.options.apiKey}` } });
    this.socket = socket;
    this.touch(socket);
    socket.on('open', () => {
      socket.send(JSON.stringify({ version: WS_PROTOCOL_VERSION, type: 'subscribe', payload: { chatId: this.options.chatId, after: this.lastId } }));
    });
    socket.on('ping', () => this.touch(socket));
    socket.on('message', (data) => {
      this.touch(socket);
      this.onFrame(socket, data.toString());
    });
    socket.on('unexpected-response', (_req, res: IncomingMessage) => {
      // The upgrade was refused with an HTTP answer: a bad key is fatal, anything else is retried.
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        const parsed = safeErrorBody(body);
        const code = parsed?.code ?? 'INTERNAL';
        if (FATAL_CODES.has(code)) this.fail(new AssayApiError(code, parsed?.message ?? body, res.statusCode ?? 0));
        else this.reconnect(socket);
      });
    });
    socket.on('error', () => this.reconnect(socket));
    socket.on('close', () => this.reconnect(socket));
  }

  private onFrame(socket: WebSocket, text: string): void {
    let frame: ServerFrame;
    try {
      frame = ServerFrame.parse(JSON.parse(text));
    } catch {
      // A frame we cannot read: start over from the last good id rather than guess.
      this.reconnect(socket);
      return;
    }
    switch (frame.type) {
      case 'subscribed':
        this.attempts = 0;
        return;
      case 'error':
        if (frame.payload.chatId === undefined || frame.payload.chatId === this.options.chatId) {
          if (FATAL_CODES.has(frame.payload.code)) this.fail(new AssayApiError(frame.payload.code, frame.payload.message, 0));
          else this.reconnect(socket);
        }
        return;
      case 'event': {
        const event = frame.payload;
        if (event.chatId !== this.options.chatId || event.id <= this.lastId) return;
        // The server promises no gaps; should one ever appear, resubscribing fills it.
        if (event.id !== this.lastId + 1) {
          this.reconnect(socket);
          return;
        }
        this.lastId = event.id;
        if (this.options.onEvent) this.options.onEvent(event);
        else this.queue.push(event);
        this.wakeUp();
        return;
      }
      case 'unsubscribed':
      case 'pong':
        return;
    }
  }

  /** Drops `socket` (if it is still the current one) and connects again after a backoff. */
  private reconnect(socket: WebSocket): void {
    if (this.socket !== socket || this.closed) return;
    this.socket = undefined;
    clearTimeout(this.idleTimer);
    socket.removeAllListeners('message');
    socket.on('error', () => undefined);
    socket.terminate();
    const initial = this.options.initialBackoffMs ?? 100;
    const ceiling = Math.min(this.options.maxBackoffMs ?? 5_000, initial * 2 ** this.attempts);
    this.attempts += 1;
    // Full jitter, so many clients dropped together do not come back together.
    this.reconnectTimer = setTimeout(() => this.connect(), Math.random() * ceiling);
  }

  private fail(error: AssayApiError): void {
    if (this.closed) return;
    this.failure = error;
    this.options.onError?.(error);
    this.close();
  }

  /** Something arrived: the connection is alive; restart its idle timer. */
  private touch(socket: WebSocket): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.reconnect(socket), this.options.idleTimeoutMs ?? 75_000);
    this.idleTimer.unref();
  }

  private wakeUp(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}

function safeErrorBody(text: string): ErrorBody['error'] | undefined {
  try {
    const parsed = ErrorBody.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.error : undefined;
  } catch {
    return undefined;
  }
}
