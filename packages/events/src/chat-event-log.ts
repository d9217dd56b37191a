import { ChatEvent, type ChatEventInput } from '@assay/contracts';
import type { Redis } from 'ioredis';
import { chatEventKeys } from './keys';

/** Options of {@link ChatEventLog}. */
export interface ChatEventLogOptions {
  /** A connection for commands (not one in subscriber mode). */
  redis: Redis;
  /** Prefix of every key (ASSAY_KEY_PREFIX). */
  prefix: string;
  /**
   * Events kept per chat for replay; older ones are trimmed (approximately, as Redis trims
   * whole stream nodes).
   * @defaultValue 10_000
   */
  maxEventsPerChat?: number;
  /**
   * Seconds a chat's event stream is kept after its last event.
   * @defaultValue 7 days
   */
  retentionSeconds?: number;
}

/**
 * Appends the event with the chat's next sequence number, stores it in the chat's stream under
 * the id `<seq>-0` (so XRANGE by sequence number works), and publishes it to the chat's
 * channel. One script, so the order on the channel is the order of the sequence numbers.
 * The sequence counter never expires: ids stay increasing even after the stream itself expired.
 */
const PUBLISH_SCRIPT = `
local seq = redis.call('INCR', KEYS[2])
local event = '{"id":' .. seq .. ',' .. string.sub(ARGV[1], 2)
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], seq .. '-0', 'event', event)
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], event)
return seq
`;

/** Reads events per page when replaying. */
const READ_PAGE_SIZE = 500;

/**
 * The ordered, replayable event log of every chat, on Redis Streams, with a pub/sub channel
 * per chat for live delivery. Publishers (workers, gateway) call {@link publish}; gateways
 * read with {@link readAfter} and follow through {@link ChatEventSubscriber}.
 */
export class ChatEventLog {
  readonly prefix: string;
  private readonly redis: Redis;
  private readonly maxEventsPerChat: number;
  private readonly retentionSeconds: number;

  constructor(options: ChatEventLogOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix;
    this.maxEventsPerChat = options.maxEventsPerChat ?? 10_000;
    this.retentionSeconds = options.retentionSeconds ?? 7 * 24 * 3600;
  }

  /** Appends an event to its chat's log and returns it with its id and time. */
  async publish(input: ChatEventInput): Promise<ChatEvent> {
    const at = new Date().toISOString();
    // Validate with a placeholder id: publishers are our own code, but a malformed event would
    // reach every client and stay in the log.
    const { id: _placeholder, ...body } = ChatEvent.parse({ ...input, id: 1, at });
    const keys = chatEventKeys(this.prefix, input.chatId);
    const seq = await this.redis.eval(
      PUBLISH_SCRIPT,
      2,
      keys.stream,
      keys.sequence,
      JSON.stringify(body),
      String(this.maxEventsPerChat),
      String(this.retentionSeconds),
      keys.channel,
    );
    return { ...body, id: Number(seq) } as ChatEvent;
  }

  /**
   * Events of a chat with an id greater than `afterId`, oldest first, up to `limit`.
   * Events trimmed by retention are simply absent.
   */
  async readAfter(chatId: string, afterId: number, limit = Number.POSITIVE_INFINITY): Promise<ChatEvent[]> {
    const { stream } = chatEventKeys(this.prefix, chatId);
    const events: ChatEvent[] = [];
    let start = `${afterId + 1}-0`;
    while (events.length < limit) {
      const count = Math.min(READ_PAGE_SIZE, limit - events.length);
      const entries = await this.redis.xrange(stream, start, '+', 'COUNT', count);
      for (const [, fields] of entries) events.push(parseStoredEvent(fields));
      if (entries.length < count) break;
      const lastId = events[events.length - 1]?.id ?? afterId;
      start = `${lastId + 1}-0`;
    }
    return events;
  }

  /** Events with ids in [fromId, toId], oldest first. */
  async readRange(chatId: string, fromId: number, toId: number): Promise<ChatEvent[]> {
    if (toId < fromId) return [];
    const { stream } = chatEventKeys(this.prefix, chatId);
    const entries = await this.redis.xrange(stream, `${fromId}-0`, `${toId}-0`);
    return entries.map(([, fields]) => parseStoredEvent(fields));
  }

  /** The id of the chat's latest event (0 when it has none). */
  async lastId(chatId: string): Promise<number> {
    const value = await this.redis.get(chatEventKeys(this.prefix, chatId).sequence);
    return value === null ? 0 : Number(value);
  }
}

/** Parses an event as stored (field `event` of a stream entry) or as published on a channel. */
export function parseStoredEvent(fields: string[] | string): ChatEvent {
  const text = typeof fields === 'string' ? fields : fields[fields.indexOf('event') + 1];
  if (text === undefined) throw new Error('A stream entry without an event field was found in a chat event log.');
  return ChatEvent.parse(JSON.parse(text));
}
