import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { AssayError, ErrorCode } from '@assay/errors';
import type { Logger } from '@assay/logger';
import { type RawData, WebSocket } from 'ws';
import type {
  AnyKernelMessage,
  ContentOf,
  ExecuteReplyContent,
  KernelInfoReplyContent,
  KernelMessage,
  ReplyTypeOf,
  RequestType,
} from '../protocol/messages';
import { REPLY_TYPE, createMessage, isMessageType, parentMsgId } from '../protocol/messages';
import { encodeWebSocketMessage, parseWebSocketFrame, validateWebSocketFrame } from '../protocol/websocket-wire';
import { type ServerKernelState, ServerKernelStatus } from './server-status';

/** Options of {@link JupyterKernelClient.connect}. */
export interface JupyterKernelClientOptions {
  /** Builds the channels URL for the client's session id. */
  url: (sessionId: string) => URL;
  /** Authentication headers of the upgrade request. */
  headers: Record<string, string>;
  /** How long the upgrade may take (the server first waits for the kernel to answer). */
  connectTimeoutMs: number;
  /** Called when the server reports the kernel restarted by itself or dead. */
  onServerStatus: (state: ServerKernelState) => void;
  logger: Logger;
}

/** How the WebSocket closed. */
export interface SocketClose {
  code: number;
  reason: string;
}

/** Options of one {@link JupyterKernelClient.request}. */
interface RequestOptions {
  /** Receives the request's iopub messages (parent = this request), in arrival order. */
  onIopub?: (msg: AnyKernelMessage) => void;
  /** Resolve only once iopub `status: idle` for this request has also arrived. */
  waitForIdle: boolean;
}

interface PendingRequest {
  handle(msg: AnyKernelMessage): void;
  reject(error: Error): void;
}

/** Interval between kernel_info_requests while waiting for a kernel's iopub to be forwarded. */
const READY_POLL_INTERVAL_MS = 50;

/**
 * A client of one kernel through the Jupyter server's WebSocket (`/api/kernels/<id>/channels`):
 * the same requests as the ZeroMQ `KernelClient`, one socket for all channels. Every incoming
 * message is validated before it reaches a request's handler; invalid ones are dropped and logged.
 */
export class JupyterKernelClient {
  /** The client session id, sent in every header and in the URL. */
  readonly session: string;
  /** Resolves once when the socket has closed, whoever closed it. */
  readonly closed: Promise<SocketClose>;
  private readonly pending = new Map<string, PendingRequest>();
  private closedWith: Error | undefined;

  private constructor(
    private readonly socket: WebSocket,
    session: string,
    private readonly options: JupyterKernelClientOptions,
  ) {
    this.session = session;
    this.closed = new Promise((resolve) => {
      socket.once('close', (code, reason) => {
        this.close(new Error(`the kernel WebSocket closed (code ${code})`));
        resolve({ code, reason: reason.toString('utf8') });
      });
    });
    socket.on('message', (data, isBinary) => this.dispatch(toBuffer(data), isBinary));
    socket.on('error', (error) => this.options.logger.warn({ err: error }, 'kernel WebSocket error'));
  }

  /**
   * Opens the WebSocket. Resolves when the server accepted the upgrade.
   * @throws AssayError SANDBOX_UNAVAILABLE when the server refuses or does not answer.
   */
  static connect(options: JupyterKernelClientOptions): Promise<JupyterKernelClient> {
    const session = randomUUID();
    const url = options.url(session);
    const label = `${url.origin}${url.pathname}`;
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, {
        headers: options.headers,
        handshakeTimeout: options.connectTimeoutMs,
        // maxPayload stays at ws's 100 MiB: one larger output would otherwise be held in memory
        // whole; the socket closes instead, and the sandbox recovers as from a lost connection.
      });
      // Nagle's algorithm holds back the small frames of a request and costs ~40 ms per cell
      // against a delayed ACK; ws sets this too, done here so the choice is visible.
      socket.once('upgrade', (response: IncomingMessage) => response.socket.setNoDelay(true));
      const fail = (message: string, cause?: unknown, retryable = true): void => {
        socket.removeAllListeners();
        socket.on('error', () => undefined);
        socket.terminate();
        reject(new AssayError(ErrorCode.SANDBOX_UNAVAILABLE, message, { cause, retryable }));
      };
      socket.once('unexpected-response', (_request, response) => {
        const status = response.statusCode ?? 0;
        response.resume();
        const refused = status === 401 || status === 403;
        fail(
          refused
            ? `The Jupyter server refused the token for the kernel WebSocket ${label} (HTTP ${status}): check the token option.`
            : `The Jupyter server answered the kernel WebSocket ${label} with HTTP ${status}: the kernel may be gone.`,
          undefined,
          !refused,
        );
      });
      socket.once('error', (error) => fail(`Could not open the kernel WebSocket ${label}: ${error.message}`, error));
      socket.once('open', () => {
        socket.removeAllListeners('unexpected-response');
        socket.removeAllListeners('error');
        resolve(new JupyterKernelClient(socket, session, options));
      });
    });
  }

  /**
   * Sends a request; `reply` resolves with the reply's content (after iopub idle when asked),
   * and rejects when the client is closed first.
   */
  request<T extends RequestType>(
    msgType: T,
    content: ContentOf<T>,
    options: RequestOptions,
  ): { msgId: string; reply: Promise<ContentOf<ReplyTypeOf<T>>> } {
    const message = createMessage({ msgType, content, session: this.session });
    const msgId = message.header.msg_id;
    const replyType: ReplyTypeOf<T> = REPLY_TYPE[msgType];
    const reply = new Promise<ContentOf<ReplyTypeOf<T>>>((resolve, reject) => {
      if (this.closedWith !== undefined) {
        reject(this.closedWith);
        return;
      }
      let replyContent: ContentOf<ReplyTypeOf<T>> | undefined;
      let idle = !options.waitForIdle;
      this.pending.set(msgId, {
        handle: (msg) => {
          if (msg.channel === 'iopub') {
            options.onIopub?.(msg);
            if (isMessageType(msg, 'status') && msg.content.execution_state === 'idle') idle = true;
          } else if (isReply(msg, replyType)) {
            replyContent = msg.content;
          }
          if (replyContent !== undefined && idle) {
            this.pending.delete(msgId);
            resolve(replyContent);
          }
        },
        reject: (error) => {
          this.pending.delete(msgId);
          reject(error);
        },
      });
      this.send(message);
    });
    // Callers may stop waiting (timeout, kernel end); a later rejection must not go unhandled.
    reply.catch(() => undefined);
    return { msgId, reply };
  }

  /** Stops routing messages to a request (its reply promise then never settles). */
  forget(msgId: string): void {
    this.pending.delete(msgId);
  }

  /**
   * Runs a cell; resolves with the execute_reply once iopub idle for it has arrived too.
   * `userExpressions` are evaluated by the kernel after a successful cell, in the same round trip.
   */
  execute(
    code: string,
    onIopub: (msg: AnyKernelMessage) => void,
    userExpressions: Record<string, string> = {},
  ): Promise<ExecuteReplyContent> {
    return this.request(
      'execute_request',
      { code, silent: false, store_history: true, user_expressions: userExpressions, allow_stdin: false, stop_on_error: false },
      { onIopub, waitForIdle: true },
    ).reply;
  }

  /** Runs code that is not a cell: no output, no execution count, no history. */
  executeSilently(code: string): Promise<ExecuteReplyContent> {
    return this.request(
      'execute_request',
      { code, silent: true, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: false },
      { waitForIdle: true },
    ).reply;
  }

  /**
   * Resolves with kernel_info once a request's iopub idle came back, which proves the server
   * forwards iopub (it subscribes to the kernel's iopub only as the socket opens, and after a
   * restart the kernel's sockets reconnect). Repeats the request until then.
   */
  waitUntilReady(timeoutMs: number): Promise<KernelInfoReplyContent> {
    const attempts: string[] = [];
    return new Promise<KernelInfoReplyContent>((resolve, reject) => {
      let settled = false;
      const finish = (settle: () => void): void => {
        if (settled) return;
        settled = true;
        clearInterval(poll);
        clearTimeout(deadline);
        for (const msgId of attempts) this.forget(msgId);
        settle();
      };
      const attempt = (): void => {
        const { msgId, reply } = this.request('kernel_info_request', {}, { waitForIdle: true });
        attempts.push(msgId);
        reply.then(
          (info) => finish(() => resolve(info)),
          (error: unknown) => finish(() => reject(error)),
        );
      };
      const poll = setInterval(attempt, READY_POLL_INTERVAL_MS);
      const deadline = setTimeout(
        () => finish(() => reject(new Error(`no kernel_info_reply within ${timeoutMs} ms`))),
        timeoutMs,
      );
      attempt();
    });
  }

  /** Closes the socket and rejects every request still waiting. Idempotent. */
  close(reason: Error): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = reason;
    for (const request of [...this.pending.values()]) request.reject(reason);
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(1000);
    }
  }

  private send(message: KernelMessage<RequestType>): void {
    this.socket.send(encodeWebSocketMessage(message), (error) => {
      if (error !== undefined && error !== null) {
        this.pending.get(message.header.msg_id)?.reject(
          new Error(`Could not send ${message.header.msg_type} to the kernel`, { cause: error }),
        );
      }
    });
  }

  private dispatch(data: Buffer, isBinary: boolean): void {
    const parsed = parseWebSocketFrame(data, isBinary);
    if (!parsed.ok) {
      this.options.logger.warn({ reason: parsed.reason }, 'dropped invalid kernel WebSocket frame');
      return;
    }
    const status = ServerKernelStatus.safeParse(parsed.frame.envelope);
    if (status.success) {
      this.options.onServerStatus(status.data.content.execution_state);
      return;
    }
    const decoded = validateWebSocketFrame(parsed.frame);
    if (!decoded.ok) {
      const fields = { channel: parsed.frame.envelope.channel, reason: decoded.reason };
      if (decoded.unknownType) this.options.logger.trace(fields, 'ignored kernel message');
      else this.options.logger.warn(fields, 'dropped invalid kernel message');
      return;
    }
    const parentId = parentMsgId(decoded.message);
    if (parentId === undefined) return;
    const request = this.pending.get(parentId);
    if (request === undefined) return;
    try {
      request.handle(decoded.message);
    } catch (error) {
      this.options.logger.error({ err: error }, 'kernel message handler failed');
    }
  }
}

/** ws hands over a Buffer, an ArrayBuffer or fragments, depending on binaryType. */
function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function isReply<R extends RequestType>(
  msg: AnyKernelMessage,
  replyType: ReplyTypeOf<R>,
): msg is AnyKernelMessage & KernelMessage<ReplyTypeOf<R>> {
  return isMessageType(msg, replyType);
}
