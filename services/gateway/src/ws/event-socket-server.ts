import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  WS_PROTOCOL_VERSION,
  parseClientFrame,
  type ChatEvent,
  type ClientFrame,
  type ServerFrame,
} from '@assay/contracts';
import type { PrismaClient } from '@assay/db';
import { ErrorCode, isAssayError } from '@assay/errors';
import type { ChatEventFeed, ChatEventLog, ChatEventSubscriber } from '@assay/events';
import type { Logger } from '@assay/logger';
import { WebSocket, WebSocketServer } from 'ws';
import { authenticate, type ApiKeyAuthenticator, type AuthenticatedLocals } from '../http/auth';

/** Options of {@link EventSocketServer}. */
export interface EventSocketServerOptions {
  prisma: PrismaClient;
  log: ChatEventLog;
  subscriber: ChatEventSubscriber;
  logger: Logger;
  /** The gateway's key cache, so a connection does not cost a database lookup; PostgreSQL when absent. */
  apiKeys?: ApiKeyAuthenticator;
  /** URL path of the endpoint. @defaultValue "/v1/ws" */
  path?: string;
  /** Interval of heartbeat pings; a client that has not answered the previous one is dropped. */
  heartbeatMs: number;
  /** Bytes queued for one client before it is disconnected as too slow. */
  maxBufferedBytes: number;
}

/** Close codes sent to clients (RFC 6455 private range for our own). */
export const CloseCode = {
  GoingAway: 1001,
  TooSlow: 4008,
} as const;

interface Connection {
  socket: WebSocket;
  auth: AuthenticatedLocals;
  feeds: Map<string, ChatEventFeed>;
  alive: boolean;
  /** Frames of one connection are handled one after another, in arrival order. */
  chain: Promise<void>;
}

/**
 * `GET /v1/ws`: clients authenticate on the upgrade request, subscribe to chats and receive
 * their events in order. See the README's "WebSocket protocol" section.
 */
export class EventSocketServer {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly connections = new Set<Connection>();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly path: string;

  constructor(private readonly options: EventSocketServerOptions) {
    this.path = options.path ?? '/v1/ws';
    this.heartbeat = setInterval(() => this.checkHeartbeats(), options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Routes the HTTP server's upgrade requests for our path to this endpoint. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      void this.handleUpgrade(req, socket, head);
    });
  }

  /** Number of open client connections. */
  get size(): number {
    return this.connections.size;
  }

  /** Closes every client connection (going away) and stops the heartbeat. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    const closing = [...this.connections].map((connection) => this.dropConnection(connection, CloseCode.GoingAway, 'server shutting down'));
    await Promise.all(closing);
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const pathname = new URL(req.url ?? '/', 'http://gateway').pathname;
    if (pathname !== this.path) {
      rejectUpgrade(socket, 404, ErrorCode.NOT_FOUND, `There is no WebSocket endpoint at ${pathname}; use ${this.path}.`);
      return;
    }
    let auth: AuthenticatedLocals;
    try {
      auth = await authenticate(this.options.prisma, req, { allowQuery: true }, this.options.apiKeys);
    } catch (error) {
      if (isAssayError(error)) rejectUpgrade(socket, error.status, error.code, error.message);
      else {
        this.options.logger.error({ err: error }, 'websocket authentication failed');
        rejectUpgrade(socket, 500, ErrorCode.INTERNAL, 'Something went wrong on our side.');
      }
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, auth));
  }

  private accept(socket: WebSocket, auth: AuthenticatedLocals): void {
    const connection: Connection = { socket, auth, feeds: new Map(), alive: true, chain: Promise.resolve() };
    this.connections.add(connection);
    const logger = this.options.logger.child({ tenantId: auth.principal.tenantId });
    socket.on('pong', () => {
      connection.alive = true;
    });
    socket.on('message', (data, isBinary) => {
      connection.alive = true;
      const text = isBinary ? '' : data.toString();
      connection.chain = connection.chain
        .then(() => this.handleFrame(connection, text))
        .catch((error: unknown) => logger.error({ err: error }, 'websocket frame handling failed'));
    });
    socket.on('close', () => {
      void this.dropConnection(connection);
    });
    socket.on('error', (error) => logger.warn({ err: error }, 'websocket error'));
  }

  private async handleFrame(connection: Connection, text: string): Promise<void> {
    const parsed = parseClientFrame(text);
    if (!parsed.success) {
      this.send(connection, frame('error', { code: parsed.error.code, message: parsed.error.message }));
      return;
    }
    await this.dispatch(connection, parsed.frame);
  }

  private async dispatch(connection: Connection, clientFrame: ClientFrame): Promise<void> {
    switch (clientFrame.type) {
      case 'ping':
        this.send(connection, frame('pong', {}));
        return;
      case 'unsubscribe': {
        const { chatId } = clientFrame.payload;
        await connection.feeds.get(chatId)?.close();
        connection.feeds.delete(chatId);
        this.send(connection, frame('unsubscribed', { chatId }));
        return;
      }
      case 'subscribe': {
        const { chatId, after = 0 } = clientFrame.payload;
        try {
          await connection.auth.tenant.chats.get(chatId);
        } catch (error) {
          if (!isAssayError(error)) throw error;
          this.send(connection, frame('error', { code: error.code, message: error.message, chatId }));
          return;
        }
        // A second subscribe to the same chat restarts its feed from the new position.
        await connection.feeds.get(chatId)?.close();
        const lastEventId = await this.options.log.lastId(chatId);
        this.send(connection, frame('subscribed', { chatId, lastEventId }));
        const feed = await this.options.subscriber.follow(chatId, after, (event: ChatEvent) => {
          this.send(connection, frame('event', event));
        });
        if (connection.socket.readyState !== WebSocket.OPEN) {
          await feed.close();
          return;
        }
        connection.feeds.set(chatId, feed);
        return;
      }
    }
  }

  /** Sends a frame, or drops a client whose unsent backlog is over the limit. */
  private send(connection: Connection, serverFrame: ServerFrame): void {
    if (connection.socket.readyState !== WebSocket.OPEN) return;
    if (connection.socket.bufferedAmount > this.options.maxBufferedBytes) {
      void this.dropConnection(connection, CloseCode.TooSlow, 'client too slow: unread events exceeded the buffer limit');
      return;
    }
    connection.socket.send(JSON.stringify(serverFrame));
  }

  private checkHeartbeats(): void {
    for (const connection of this.connections) {
      if (!connection.alive) {
        connection.socket.terminate();
        void this.dropConnection(connection);
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }

  private async dropConnection(connection: Connection, code?: number, reason?: string): Promise<void> {
    if (!this.connections.delete(connection)) return;
    // Close first, synchronously: the socket leaves OPEN at once, so no event is sent after the
    // one that was skipped for being over the buffer limit (the client would see a gap, and
    // resuming from its last id would then lose the skipped events).
    if (code !== undefined && connection.socket.readyState === WebSocket.OPEN) connection.socket.close(code, reason);
    const feeds = [...connection.feeds.values()];
    connection.feeds.clear();
    await Promise.all(feeds.map((feed) => feed.close()));
  }
}

function frame<T extends ServerFrame['type']>(type: T, payload: Extract<ServerFrame, { type: T }>['payload']): ServerFrame {
  return { version: WS_PROTOCOL_VERSION, type, payload } as ServerFrame;
}

/** Answers a refused upgrade with a plain HTTP response in the API's error shape. */
function rejectUpgrade(socket: Duplex, status: number, code: string, message: string): void {
  const body = JSON.stringify({ error: { code, message } });
  const reason = status === 401 ? 'Unauthorized' : status === 404 ? 'Not Found' : 'Error';
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
