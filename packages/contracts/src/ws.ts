import { z } from 'zod';
import { ChatEvent } from './events';
import { ResourceId } from './ids';

/**
 * WebSocket frames of `GET /v1/ws`. Every frame is a JSON text message
 * `{ version: "v1", type, payload }`; the envelope is parsed first, then the payload.
 */
export const WS_PROTOCOL_VERSION = 'v1';

const frame = <const T extends string, P extends z.ZodType>(type: T, payload: P) =>
  z.object({ version: z.literal(WS_PROTOCOL_VERSION), type: z.literal(type), payload });

// Client -> server

/**
 * Start receiving a chat's events. Events with an id greater than `after` are replayed first
 * (all retained events when `after` is absent or 0), then live events follow, in order.
 */
export const SubscribeFrame = frame(
  'subscribe',
  z.object({ chatId: ResourceId, after: z.number().int().nonnegative().optional() }),
);
export const UnsubscribeFrame = frame('unsubscribe', z.object({ chatId: ResourceId }));
export const PingFrame = frame('ping', z.object({}).optional());

export const ClientFrame = z.discriminatedUnion('type', [SubscribeFrame, UnsubscribeFrame, PingFrame]);
export type ClientFrame = z.infer<typeof ClientFrame>;

// Server -> client

export const SubscribedFrame = frame(
  'subscribed',
  z.object({ chatId: ResourceId, lastEventId: z.number().int().nonnegative() }),
);
export const UnsubscribedFrame = frame('unsubscribed', z.object({ chatId: ResourceId }));
export const EventFrame = frame('event', ChatEvent);
export const ErrorFrame = frame(
  'error',
  z.object({ code: z.string(), message: z.string(), chatId: ResourceId.optional() }),
);
export const PongFrame = frame('pong', z.object({}));

export const ServerFrame = z.discriminatedUnion('type', [
  SubscribedFrame,
  UnsubscribedFrame,
  EventFrame,
  ErrorFrame,
  PongFrame,
]);
export type ServerFrame = z.infer<typeof ServerFrame>;

const Envelope = z.object({ version: z.string(), type: z.string(), payload: z.unknown().optional() });

export type FrameParseResult<F> =
  | { success: true; frame: F }
  | { success: false; error: { code: 'VALIDATION_FAILED'; message: string } };

/**
 * Parses a client frame without throwing: the envelope first (so an unknown type or version
 * gets a precise answer), then the payload.
 */
export function parseClientFrame(text: string): FrameParseResult<ClientFrame> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return fail('Frames must be JSON text: {"version":"v1","type":...,"payload":...}.');
  }
  const envelope = Envelope.safeParse(json);
  if (!envelope.success) return fail('A frame needs "version", "type" and "payload" fields.');
  if (envelope.data.version !== WS_PROTOCOL_VERSION) {
    return fail(`Unsupported protocol version "${envelope.data.version}"; this server speaks "${WS_PROTOCOL_VERSION}".`);
  }
  const parsed = ClientFrame.safeParse(json);
  if (parsed.success) return { success: true, frame: parsed.data };
  const known = ClientFrame.options.map((option) => option.shape.type.value);
  if (!known.includes(envelope.data.type as (typeof known)[number])) {
    return fail(`Unknown frame type "${envelope.data.type}"; expected one of ${known.join(', ')}.`);
  }
  return fail(`Invalid "${envelope.data.type}" frame: ${z.prettifyError(parsed.error)}`);
}

function fail(message: string): { success: false; error: { code: 'VALIDATION_FAILED'; message: string } } {
  return { success: false, error: { code: 'VALIDATION_FAILED', message } };
}
