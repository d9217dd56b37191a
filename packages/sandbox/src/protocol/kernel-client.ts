import { randomUUID } from 'node:crypto';
import type { Logger } from '@assay/logger';
import { Dealer, Subscriber } from 'zeromq';
import type {
  AnyKernelMessage,
  Channel,
  ContentOf,
  ExecuteReplyContent,
  KernelInfoReplyContent,
  KernelMessage,
  ReplyTypeOf,
  RequestType,
} from './messages';
import { REPLY_TYPE, createMessage, isMessageType, parentMsgId } from './messages';
import { decodeMessage, encodeMessage } from './wire';

/** ZeroMQ endpoints of a kernel (e.g. `ipc:///tmp/assay-kernels/kX/k-1`). */
export interface KernelEndpoints {
  shell: string;
  control: string;
  iopub: string;
}

/** Options of {@link KernelClient}. */
export interface KernelClientOptions {
  endpoints: KernelEndpoints;
  /** HMAC key from the connection file. */
  key: Buffer;
  logger: Logger;
}

/** Options of one {@link KernelClient.request}. */
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

/** Interval between kernel_info_requests while waiting for a new kernel's iopub to connect. */
const READY_POLL_INTERVAL_MS = 50;

/** How often ZeroMQ retries connecting to an ipc socket the kernel has not bound yet. */
const RECONNECT_INTERVAL_MS = 20;

/**
 * A client of one kernel over ZeroMQ: shell and control DEALERs, an iopub SUB. Incoming frames
 * are verified (HMAC) and validated before they reach a request's handler; messages with a bad
 * signature or unknown shape are dropped and logged.
 */
export class KernelClient {
  /** The client session id, sent in every header. */
  readonly session = randomUUID();
  private readonly key: Buffer;
  private readonly logger: Logger;
  private readonly shell: Dealer;
  private readonly control: Dealer;
  private readonly iopub: Subscriber;
  /** zeromq allows one pending send per socket: sends are chained. */
  private readonly sendChains: Record<'shell' | 'control', Promise<void>> = {
    shell: Promise.resolve(),
    control: Promise.resolve(),
  };
  private readonly pending = new Map<string, PendingRequest>();
  private closedWith: Error | undefined;

  constructor(options: KernelClientOptions) {
    this.key = options.key;
    this.logger = options.logger;
    const socketOptions = { linger: 0, reconnectInterval: RECONNECT_INTERVAL_MS };
    this.shell = new Dealer(socketOptions);
    this.control = new Dealer(socketOptions);
    this.iopub = new Subscriber(socketOptions);
    this.shell.connect(options.endpoints.shell);
    this.control.connect(options.endpoints.control);
    this.iopub.connect(options.endpoints.iopub);
    this.iopub.subscribe();
    void this.receive('shell', this.shell);
    void this.receive('control', this.control);
    void this.receive('iopub', this.iopub);
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
      this.send(message).catch((error: unknown) => {
        this.pending.get(msgId)?.reject(new Error(`Could not send ${msgType} to the kernel`, { cause: error }));
      });
    });
    // Callers may stop waiting (timeout, kernel exit); a later rejection must not go unhandled.
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
  execute(code: string, onIopub: (msg: AnyKernelMessage) => void, userExpressions: Record<string, string> = {}): Promise<ExecuteReplyContent> {
    return this.request(
      'execute_request',
      { code, silent: false, store_history: true, user_expressions: userExpressions, allow_stdin: false, stop_on_error: false },
      { onIopub, waitForIdle: true },
    ).reply;
  }

  /**
   * Runs code that is not a cell: no output is published, the execution count does not move and
   * nothing enters the history. Resolves with the reply (its status says whether it raised).
   */
  executeSilently(code: string): Promise<ExecuteReplyContent> {
    return this.request(
      'execute_request',
      { code, silent: true, store_history: false, user_expressions: {}, allow_stdin: false, stop_on_error: false },
      { waitForIdle: true },
    ).reply;
  }

  /**
   * Resolves with kernel_info once a request's iopub idle arrived, which proves iopub is
   * connected (before that, iopub messages are lost). Repeats the request until then.
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

  /** Sends interrupt_request on the control channel and waits for its reply. */
  interrupt(): Promise<unknown> {
    return this.request('interrupt_request', {}, { waitForIdle: false }).reply;
  }

  /** Asks the kernel to exit; the reply is not awaited (a kernel may exit before sending it, or never). */
  requestShutdown(): void {
    this.request('shutdown_request', { restart: false }, { waitForIdle: false });
  }

  /** Closes the sockets and rejects every request still waiting. Idempotent. */
  close(reason: Error): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = reason;
    for (const request of [...this.pending.values()]) request.reject(reason);
    this.shell.close();
    this.control.close();
    this.iopub.close();
  }

  private send(message: KernelMessage<RequestType>): Promise<void> {
    const channel = message.channel;
    const socket = channel === 'shell' ? this.shell : this.control;
    const frames = encodeMessage(message, this.key);
    const sent = this.sendChains[channel].then(() => socket.send(frames));
    this.sendChains[channel] = sent.catch(() => undefined);
    return sent;
  }

  private async receive(channel: Channel, socket: Dealer | Subscriber): Promise<void> {
    try {
      for await (const frames of socket) this.dispatch(channel, frames);
    } catch (error) {
      if (this.closedWith === undefined) this.logger.warn({ err: error, channel }, 'kernel socket failed');
    }
  }

  private dispatch(channel: Channel, frames: Buffer[]): void {
    const decoded = decodeMessage(channel, frames, this.key);
    if (!decoded.ok) {
      if (decoded.unknownType) this.logger.trace({ channel, reason: decoded.reason }, 'ignored kernel message');
      else this.logger.warn({ channel, reason: decoded.reason }, 'dropped invalid kernel message');
      return;
    }
    const parentId = parentMsgId(decoded.message);
    if (parentId === undefined) return;
    const request = this.pending.get(parentId);
    if (request === undefined) return;
    try {
      request.handle(decoded.message);
    } catch (error) {
      this.logger.error({ err: error, channel }, 'kernel message handler failed');
    }
  }
}

function isReply<R extends RequestType>(
  msg: AnyKernelMessage,
  replyType: ReplyTypeOf<R>,
): msg is AnyKernelMessage & KernelMessage<ReplyTypeOf<R>> {
  return isMessageType(msg, replyType);
}
