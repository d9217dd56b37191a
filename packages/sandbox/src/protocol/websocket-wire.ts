import { z } from 'zod';
import type { KernelMessage, MessageType, ValidationResult } from './messages';
import { Channel, validateMessage } from './messages';

/**
 * The kernel WebSocket of Jupyter Server, Kernel Gateway and Enterprise Gateway
 * (`/api/kernels/<id>/channels`) without a subprotocol: each message is one JSON text frame
 * `{ channel, header, parent_header, metadata, content, buffers }`; a message that carries binary
 * buffers is one binary frame instead: `[n][offset_0]…[offset_n-1]` as big-endian uint32, then
 * the JSON at offset_0 and buffer i at offset_i. The server signs and verifies the ZeroMQ side;
 * the WebSocket side is trusted by its token, so there is no signature here.
 *
 * @see https://jupyter-server.readthedocs.io/en/latest/developers/websocket-protocols.html
 */

/** The JSON part of a WebSocket message, before its fields are validated. */
export const WebSocketEnvelope = z.object({
  channel: z.string(),
  header: z.unknown(),
  parent_header: z.unknown(),
  metadata: z.unknown(),
  content: z.unknown(),
});
export type WebSocketEnvelope = z.infer<typeof WebSocketEnvelope>;

/** A received WebSocket message split into its envelope and binary buffers, not yet validated. */
export interface WebSocketFrame {
  envelope: WebSocketEnvelope;
  buffers: Buffer[];
}

/** Bytes of one uint32 in the binary framing. */
const UINT32_BYTES = 4;

/**
 * Encodes a request for the kernel WebSocket: a JSON text frame, or the binary framing when the
 * message has buffers.
 */
export function encodeWebSocketMessage<T extends MessageType>(message: KernelMessage<T>): string | Buffer {
  const json = JSON.stringify({
    channel: message.channel,
    header: message.header,
    parent_header: message.parent_header,
    metadata: message.metadata,
    content: message.content,
    buffers: [],
  });
  if (message.buffers.length === 0) return json;
  const parts = [Buffer.from(json, 'utf8'), ...message.buffers];
  const table = Buffer.alloc(UINT32_BYTES * (parts.length + 1));
  table.writeUInt32BE(parts.length, 0);
  let offset = table.length;
  parts.forEach((part, index) => {
    table.writeUInt32BE(offset, UINT32_BYTES * (index + 1));
    offset += part.length;
  });
  return Buffer.concat([table, ...parts]);
}

/**
 * Splits a received frame into envelope and buffers; `{ ok: false }` with the reason when it is
 * not JSON, lacks a channel or its binary offset table is inconsistent.
 */
export function parseWebSocketFrame(
  data: Buffer,
  isBinary: boolean,
): { ok: true; frame: WebSocketFrame } | { ok: false; reason: string } {
  let json: string;
  let buffers: Buffer[] = [];
  if (isBinary) {
    const parts = splitBinaryFrame(data);
    if (parts === undefined) return { ok: false, reason: 'malformed binary frame' };
    const [first, ...rest] = parts;
    if (first === undefined) return { ok: false, reason: 'binary frame without a JSON part' };
    json = first.toString('utf8');
    buffers = rest;
  } else {
    json = data.toString('utf8');
  }
  let value: unknown;
  try {
    value = JSON.parse(json) as unknown;
  } catch {
    return { ok: false, reason: 'frame is not JSON' };
  }
  const envelope = WebSocketEnvelope.safeParse(value);
  if (!envelope.success) return { ok: false, reason: 'frame has no channel' };
  return { ok: true, frame: { envelope: envelope.data, buffers } };
}

/**
 * Validates a parsed frame against the message catalog (see {@link validateMessage}). Messages
 * on a channel Assay does not use (stdin) come back as an unknown type, to be ignored.
 */
export function validateWebSocketFrame(frame: WebSocketFrame): ValidationResult {
  const channel = Channel.safeParse(frame.envelope.channel);
  if (!channel.success) {
    return { ok: false, reason: `channel ${frame.envelope.channel} is not used`, unknownType: true };
  }
  return validateMessage(channel.data, {
    header: frame.envelope.header,
    parent_header: frame.envelope.parent_header,
    metadata: frame.envelope.metadata,
    content: frame.envelope.content,
    buffers: frame.buffers,
  });
}

/** Parses then validates one received frame. */
export function decodeWebSocketMessage(data: Buffer, isBinary: boolean): ValidationResult {
  const parsed = parseWebSocketFrame(data, isBinary);
  if (!parsed.ok) return { ok: false, reason: parsed.reason, unknownType: false };
  return validateWebSocketFrame(parsed.frame);
}

/** The parts of a binary frame, or undefined when its offset table does not fit the data. */
function splitBinaryFrame(data: Buffer): Buffer[] | undefined {
  if (data.length < UINT32_BYTES) return undefined;
  const count = data.readUInt32BE(0);
  const tableEnd = UINT32_BYTES * (count + 1);
  if (count === 0 || tableEnd > data.length) return undefined;
  const offsets: number[] = [];
  for (let index = 0; index < count; index += 1) offsets.push(data.readUInt32BE(UINT32_BYTES * (index + 1)));
  const parts: Buffer[] = [];
  for (let index = 0; index < count; index += 1) {
    const start = offsets[index] ?? 0;
    const end = offsets[index + 1] ?? data.length;
    if (start < tableEnd || end < start || end > data.length) return undefined;
    parts.push(data.subarray(start, end));
  }
  return parts;
}
