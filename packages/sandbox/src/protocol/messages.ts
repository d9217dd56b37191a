import { randomUUID } from 'node:crypto';
import { z } from 'zod';

/**
 * The Jupyter messaging protocol (version 5.3) as zod schemas and the types derived from them:
 * one schema per message content, one catalog entry per `msg_type` naming its channel, a
 * generic message type, a guard and one constructor. Only the messages Assay sends or reads
 * are listed; anything else arriving from a kernel is dropped at the edge.
 *
 * @see https://jupyter-client.readthedocs.io/en/stable/messaging.html
 */

/** The protocol version Assay speaks. */
export const PROTOCOL_VERSION = '5.3';

/** ZeroMQ channels of a kernel that Assay uses (stdin is not connected: `input()` raises in cells). */
export const Channel = z.enum(['shell', 'control', 'iopub']);
export type Channel = z.infer<typeof Channel>;

/** @see https://jupyter-client.readthedocs.io/en/stable/messaging.html#message-header */
export const Header = z.object({
  msg_id: z.string().min(1),
  msg_type: z.string().min(1),
  session: z.string(),
  username: z.string(),
  date: z.string(),
  version: z.string(),
});
export type Header = z.infer<typeof Header>;

/** A message's parent header: the request's header, or `{}` for unsolicited messages. */
export const ParentHeader = z.union([Header, z.object({}).strict()]);
export type ParentHeader = z.infer<typeof ParentHeader>;

/** A MIME bundle: MIME type -> representation (string, base64 image, or JSON for `application/json`). */
export const MimeBundle = z.record(z.string(), z.unknown());
export type MimeBundle = z.infer<typeof MimeBundle>;

const Metadata = z.record(z.string(), z.unknown());

// Shell ---------------------------------------------------------------------------------------

/** @see https://jupyter-client.readthedocs.io/en/stable/messaging.html#execute */
export const ExecuteRequestContent = z.object({
  code: z.string(),
  silent: z.boolean(),
  store_history: z.boolean(),
  user_expressions: z.record(z.string(), z.string()),
  allow_stdin: z.boolean(),
  /** Must be false for a chat kernel: otherwise the request after a failed cell comes back `aborted`. */
  stop_on_error: z.boolean(),
});
export type ExecuteRequestContent = z.infer<typeof ExecuteRequestContent>;

/** Fields of every `status: 'error'` reply. */
const ReplyErrorContent = z.object({
  status: z.literal('error'),
  ename: z.string(),
  evalue: z.string(),
  traceback: z.array(z.string()),
});

/** A request the kernel skipped because an earlier one failed (only with `stop_on_error: true`). */
const ReplyAbortedContent = z.object({ status: z.literal('aborted') });

/** @see https://jupyter-client.readthedocs.io/en/stable/messaging.html#execution-results */
export const ExecuteReplyContent = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('ok'),
    execution_count: z.number().int(),
    user_expressions: z.record(z.string(), z.unknown()).optional(),
  }),
  ReplyErrorContent.extend({ execution_count: z.number().int().nullable().optional() }),
  ReplyAbortedContent,
]);
export type ExecuteReplyContent = z.infer<typeof ExecuteReplyContent>;

/** @see https://jupyter-client.readthedocs.io/en/stable/messaging.html#kernel-info */
export const KernelInfoRequestContent = z.object({});
export type KernelInfoRequestContent = z.infer<typeof KernelInfoRequestContent>;

/** @see https://jupyter-client.readthedocs.io/en/stable/messaging.html#kernel-info */
export const KernelInfoReplyContent = z.object({
  status: z.literal('ok').optional(),
  protocol_version: z.string(),
  implementation: z.string(),
  implementation_version: z.string(),
  language_info: z.object({ name: z.string(), version: z.string() }),
});
export type KernelInfoReplyContent = z.infer<typeof KernelInfoReplyContent>;

// Control -------------------------------------------------------------------------------------

/** @see https://jupyter-client.readthedocs.io/en/stable/messaging.html#kernel-interrupt */
export const InterruptRequestContent = z.object({});
export type InterruptRequestContent = z.infer<typeof InterruptRequestContent>;

/** @see https://jupyter-client.readthedocs.io/en/stable/messaging.html#kernel-interrupt */
export const InterruptReplyContent = z.object({
  // ipykernel 6.17 echoes the request's empty content instead of `{ status }`.
  status: z.enum(['ok', 'error']).optional(),
});
export type InterruptReplyContent = z.infer<typeof InterruptReplyContent>;

/** @see https://jupyter-client.readthedocs.io/en/stable/messaging.html#kernel-shutdown */
export const ShutdownRequestContent = z.object({ restart: z.boolean() });
export type ShutdownRequestContent = z.infer<typeof ShutdownRequestContent>;

/** @see https://jupyter-client.readthedocs.io/en/stable/messaging.html#kernel-shutdown */
export const ShutdownReplyContent = z.object({ status: z.enum(['ok', 'error']).optional(), restart: z.boolean() });
export type ShutdownReplyContent = z.infer<typeof ShutdownReplyContent>;

// IOPub ---------------------------------------------------------------------------------------

/**
 * `busy` when the kernel starts handling a request, `idle` when it is done with it (the last
 * iopub message of that request), `starting` once at start-up.
 *
 * @see https://jupyter-client.readthedocs.io/en/stable/messaging.html#kernel-status
 */
export const StatusContent = z.object({ execution_state: z.enum(['starting', 'busy', 'idle']) });
export type StatusContent = z.infer<typeof StatusContent>;

/** @see https://jupyter-client.readthedocs.io/en/stable/messaging.html#streams-stdout-stderr-etc */
export const StreamContent = z.object({ name: z.enum(['stdout', 'stderr']), text: z.string() });
export type StreamContent = z.infer<typeof StreamContent>;

/** @see https://jupyter-client.readthedocs.io/en/stable/messaging.html#display-data */
export const DisplayDataContent = z.object({
  data: MimeBundle,
  metadata: Metadata,
  transient: z.object({ display_id: z.string().optional() }).optional(),
});
export type DisplayDataContent = z.infer<typeof DisplayDataContent>;

/** @see https://jupyter-client.readthedocs.io/en/stable/messaging.html#code-inputs */
export const ExecuteInputContent = z.object({ code: z.string(), execution_count: z.number().int() });
export type ExecuteInputContent = z.infer<typeof ExecuteInputContent>;

/** @see https://jupyter-client.readthedocs.io/en/stable/messaging.html#id7 */
export const ExecuteResultContent = z.object({
  execution_count: z.number().int(),
  data: MimeBundle,
  metadata: Metadata,
});
export type ExecuteResultContent = z.infer<typeof ExecuteResultContent>;

/** @see https://jupyter-client.readthedocs.io/en/stable/messaging.html#execution-errors */
export const ErrorContent = z.object({
  ename: z.string(),
  evalue: z.string(),
  traceback: z.array(z.string()),
});
export type ErrorContent = z.infer<typeof ErrorContent>;

// Catalog -------------------------------------------------------------------------------------

/**
 * Every message type Assay knows: the channels it travels on (the first is where it is sent) and
 * the schema of its content.
 */
const CATALOG = {
  execute_request: { channels: ['shell'], content: ExecuteRequestContent },
  execute_reply: { channels: ['shell'], content: ExecuteReplyContent },
  kernel_info_request: { channels: ['shell'], content: KernelInfoRequestContent },
  kernel_info_reply: { channels: ['shell'], content: KernelInfoReplyContent },
  interrupt_request: { channels: ['control'], content: InterruptRequestContent },
  interrupt_reply: { channels: ['control'], content: InterruptReplyContent },
  shutdown_request: { channels: ['control'], content: ShutdownRequestContent },
  // ipykernel also broadcasts the shutdown_reply on iopub.
  shutdown_reply: { channels: ['control', 'iopub'], content: ShutdownReplyContent },
  status: { channels: ['iopub'], content: StatusContent },
  stream: { channels: ['iopub'], content: StreamContent },
  display_data: { channels: ['iopub'], content: DisplayDataContent },
  execute_input: { channels: ['iopub'], content: ExecuteInputContent },
  execute_result: { channels: ['iopub'], content: ExecuteResultContent },
  error: { channels: ['iopub'], content: ErrorContent },
} as const satisfies Record<string, { channels: readonly [Channel, ...Channel[]]; content: z.ZodType }>;

type Catalog = typeof CATALOG;

/** A `msg_type` Assay knows. */
export type MessageType = keyof Catalog;

/** The channels a message type travels on. */
export type ChannelOf<T extends MessageType> = Catalog[T]['channels'][number];

/** The content of a message type. */
export type ContentOf<T extends MessageType> = z.infer<Catalog[T]['content']>;

/** Message types Assay sends. */
export type RequestType = Extract<MessageType, `${string}_request`>;

/** The reply type of each request type. */
export const REPLY_TYPE = {
  execute_request: 'execute_reply',
  kernel_info_request: 'kernel_info_reply',
  interrupt_request: 'interrupt_reply',
  shutdown_request: 'shutdown_reply',
} as const satisfies { [T in RequestType]: MessageType };

/** The reply type of a request type. */
export type ReplyTypeOf<T extends RequestType> = (typeof REPLY_TYPE)[T];

/** One Jupyter message, typed by its `msg_type`. */
export interface KernelMessage<T extends MessageType = MessageType> {
  channel: ChannelOf<T>;
  header: Header & { msg_type: T };
  parent_header: ParentHeader;
  metadata: Record<string, unknown>;
  content: ContentOf<T>;
  /** Binary buffers after the content frame (used by widgets; kept, never interpreted). */
  buffers: Buffer[];
}

/** Any message Assay knows, as a union (narrow it with {@link isMessageType}). */
export type AnyKernelMessage = { [T in MessageType]: KernelMessage<T> }[MessageType];

/** True when `msg` has the given `msg_type`, narrowing it to that message. */
export function isMessageType<T extends MessageType>(
  msg: AnyKernelMessage,
  msgType: T,
): msg is AnyKernelMessage & KernelMessage<T> {
  return msg.header.msg_type === msgType;
}

/** The `msg_id` of the request a message answers, if any. */
export function parentMsgId(msg: { parent_header: ParentHeader }): string | undefined {
  return 'msg_id' in msg.parent_header ? msg.parent_header.msg_id : undefined;
}

/** What {@link createMessage} needs; everything else is filled in. */
export interface CreateMessageOptions<T extends RequestType> {
  msgType: T;
  content: ContentOf<T>;
  /** The client session id, one per connection. */
  session: string;
  /** @defaultValue a random UUID */
  msgId?: string;
  /** @defaultValue "assay" */
  username?: string;
}

/**
 * Builds a request with a fresh `msg_id`, the current date and protocol version 5.3, on the
 * channel its type belongs to.
 */
export function createMessage<T extends RequestType>(options: CreateMessageOptions<T>): KernelMessage<T> {
  return {
    channel: CATALOG[options.msgType].channels[0],
    header: {
      msg_id: options.msgId ?? randomUUID(),
      msg_type: options.msgType,
      session: options.session,
      username: options.username ?? 'assay',
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    },
    parent_header: {},
    metadata: {},
    content: options.content,
    buffers: [],
  };
}

/** Why an incoming message was dropped, or the message. */
export type ValidationResult =
  | { ok: true; message: AnyKernelMessage }
  | {
      ok: false;
      reason: string;
      /** True when the message is well-formed but of a type Assay does not use (comm_open, debug_event…). */
      unknownType: boolean;
    };

/**
 * Checks decoded frames against the catalog: a valid header, a known `msg_type` on the channel
 * it belongs to, and content matching its schema. Unknown types are reported, not thrown.
 */
export function validateMessage(
  channel: Channel,
  parts: { header: unknown; parent_header: unknown; metadata: unknown; content: unknown; buffers: Buffer[] },
): ValidationResult {
  const header = Header.safeParse(parts.header);
  if (!header.success) return { ok: false, reason: 'invalid header', unknownType: false };
  const msgType = header.data.msg_type;
  if (!isKnownMessageType(msgType)) return { ok: false, reason: `unknown msg_type ${msgType}`, unknownType: true };
  const entry = CATALOG[msgType];
  if (!(entry.channels as readonly Channel[]).includes(channel)) {
    return { ok: false, reason: `${msgType} is not expected on ${channel}`, unknownType: false };
  }
  const parent = ParentHeader.safeParse(parts.parent_header);
  if (!parent.success) return { ok: false, reason: 'invalid parent_header', unknownType: false };
  const metadata = Metadata.safeParse(parts.metadata);
  if (!metadata.success) return { ok: false, reason: 'invalid metadata', unknownType: false };
  const content = entry.content.safeParse(parts.content);
  if (!content.success) {
    const issues = content.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    return { ok: false, reason: `invalid ${msgType} content: ${issues.join('; ')}`, unknownType: false };
  }
  // The catalog entry and the content schema were chosen by the same msg_type, which the
  // compiler cannot correlate across the union; the object below is well-formed by construction.
  const message = {
    channel,
    header: header.data,
    parent_header: parent.data,
    metadata: metadata.data,
    content: content.data,
    buffers: parts.buffers,
  } as AnyKernelMessage;
  return { ok: true, message };
}

function isKnownMessageType(msgType: string): msgType is MessageType {
  return Object.prototype.hasOwnProperty.call(CATALOG, msgType);
}
