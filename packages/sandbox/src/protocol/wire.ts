import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Channel, KernelMessage, MessageType, ValidationResult } from './messages';
import { validateMessage } from './messages';

/**
 * The Jupyter wire format: `[...identities, '<IDS|MSG>', signature, header, parent_header,
 * metadata, content, ...buffers]`, the signature being the hex HMAC-SHA256 of the four JSON
 * frames under the connection key.
 *
 * @see https://jupyter-client.readthedocs.io/en/stable/messaging.html#the-wire-protocol
 */

/** Separates routing identities from the message frames. */
export const DELIMITER = '<IDS|MSG>';

/** Hex HMAC-SHA256 of the header, parent_header, metadata and content frames, in that order. */
export function signFrames(key: Buffer, frames: readonly Buffer[]): string {
  const hmac = createHmac('sha256', key);
  for (const frame of frames) hmac.update(frame);
  return hmac.digest('hex');
}

/** Frames to send on a DEALER socket (the kernel's ROUTER adds our identity itself). */
export function encodeMessage<T extends MessageType>(message: KernelMessage<T>, key: Buffer): Buffer[] {
  const signed = [
    Buffer.from(JSON.stringify(message.header)),
    Buffer.from(JSON.stringify(message.parent_header)),
    Buffer.from(JSON.stringify(message.metadata)),
    Buffer.from(JSON.stringify(message.content)),
  ];
  return [Buffer.from(DELIMITER), Buffer.from(signFrames(key, signed)), ...signed, ...message.buffers];
}

/**
 * Verifies and validates received frames. Messages with a missing delimiter, a bad signature,
 * JSON that does not parse or content that does not match its schema come back as
 * `{ ok: false, reason }` so the caller can drop them.
 */
export function decodeMessage(channel: Channel, frames: readonly Buffer[], key: Buffer): ValidationResult {
  const at = frames.findIndex((frame) => frame.length === DELIMITER.length && frame.toString('latin1') === DELIMITER);
  if (at < 0) return { ok: false, reason: 'no <IDS|MSG> delimiter', unknownType: false };
  const signature = frames[at + 1];
  const signed = frames.slice(at + 2, at + 6);
  if (signature === undefined || signed.length !== 4) {
    return { ok: false, reason: 'too few frames', unknownType: false };
  }
  const expected = Buffer.from(signFrames(key, signed));
  if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) {
    return { ok: false, reason: 'bad signature', unknownType: false };
  }
  const [header, parentHeader, metadata, content] = signed.map(parseJson);
  if (header === undefined || parentHeader === undefined || metadata === undefined || content === undefined) {
    return { ok: false, reason: 'frame is not JSON', unknownType: false };
  }
  return validateMessage(channel, {
    header,
    parent_header: parentHeader,
    metadata,
    content,
    buffers: frames.slice(at + 6),
  });
}

/** Parses one JSON frame; undefined when it is not JSON (JSON itself has no `undefined`). */
function parseJson(frame: Buffer): unknown {
  try {
    return JSON.parse(frame.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}
