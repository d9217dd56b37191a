import type { ChatEvent } from '@assay/contracts';
import type { Logger } from '@assay/logger';
import type { Redis } from 'ioredis';
import { parseStoredEvent, type ChatEventLog } from './chat-event-log';
import { chatEventKeys } from './keys';

/** Options of {@link ChatEventSubscriber}. */
export interface ChatEventSubscriberOptions {
  /** Where events are read for replay and gap filling. */
  log: ChatEventLog;
  /**
   * A connection dedicated to pub/sub (it is put in subscriber mode); the subscriber owns it
   * and closes it in {@link ChatEventSubscriber.close}.
   */
  subscriberRedis: Redis;
  logger: Logger;
}

/** A live feed of one chat's events; stop it with `close()`. */
export interface ChatEventFeed {
  /** Id of the last event delivered (or `afterId` if none yet). */
  readonly lastDeliveredId: number;
  close(): Promise<void>;
}

type Listener = (event: ChatEvent) => void;

/**
 * Follows chats' event logs for one process (a gateway replica). A feed replays what a client
 * missed from the stream, then follows the chat's channel, and delivers each event exactly once
 * and in id order: live events arriving during the replay are held back, duplicates are
 * dropped, and a gap (an id skipped on the channel) is filled from the stream.
 *
 * One Redis subscription per chat is shared by every feed of that chat in this process.
 */
export class ChatEventSubscriber {
  private readonly subscriptions = new Map<string, { listeners: Set<Listener>; ready: Promise<void> }>();
  private readonly channelToChat = new Map<string, string>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: ChatEventSubscriberOptions) {
    options.subscriberRedis.on('message', (channel: string, message: string) => this.dispatch(channel, message));
  }

  /**
   * Starts a feed of the chat's events with an id greater than `afterId`.
   * `deliver` is called in id order, never twice for one id; it must not throw.
   */
  async follow(chatId: string, afterId: number, deliver: (event: ChatEvent) => void): Promise<ChatEventFeed> {
    const { log, logger } = this.options;
    let lastDeliveredId = afterId;
    let replaying = true;
    const heldBack: ChatEvent[] = [];
    // Every delivery step runs on this chain, so gap fills cannot interleave.
    let chain: Promise<void> = Promise.resolve();

    const deliverInOrder = async (event: ChatEvent): Promise<void> => {
      if (event.id <= lastDeliveredId) return;
      if (event.id > lastDeliveredId + 1) {
        for (const missed of await log.readRange(chatId, lastDeliveredId + 1, event.id - 1)) {
          if (missed.id > lastDeliveredId) {
            lastDeliveredId = missed.id;
            deliver(missed);
          }
        }
      }
      lastDeliveredId = event.id;
      deliver(event);
    };

    const onLive: Listener = (event) => {
      if (replaying) {
        heldBack.push(event);
        return;
      }
      chain = chain.then(() => deliverInOrder(event)).catch((error: unknown) => {
        logger.error({ err: error, chatId }, 'could not deliver a chat event');
      });
    };

    // Listen before reading the backlog, so nothing published meanwhile is lost.
    await this.addListener(chatId, onLive);
    try {
      for (const event of await log.readAfter(chatId, afterId)) await deliverInOrder(event);
      // Events held back during the replay (and any arriving while those are delivered) go
      // first; the switch to live delivery happens synchronously once none are left.
      while (heldBack.length > 0) {
        for (const event of heldBack.splice(0).sort((a, b) => a.id - b.id)) await deliverInOrder(event);
      }
      replaying = false;
    } catch (error) {
      await this.removeListener(chatId, onLive);
      throw error;
    }

    return {
      get lastDeliveredId() {
        return lastDeliveredId;
      },
      close: () => this.removeListener(chatId, onLive),
    };
  }

  /** Stops every feed and closes the subscriber connection. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.subscriptions.clear();
      this.channelToChat.clear();
      await this.options.subscriberRedis.quit().catch(() => this.options.subscriberRedis.disconnect());
    })();
    return this.closing;
  }

  private async addListener(chatId: string, listener: Listener): Promise<void> {
    let subscription = this.subscriptions.get(chatId);
    if (!subscription) {
      const { channel } = chatEventKeys(this.options.log.prefix, chatId);
      this.channelToChat.set(channel, chatId);
      const created = {
        listeners: new Set<Listener>(),
        ready: this.options.subscriberRedis.subscribe(channel).then(() => undefined),
      };
      // A failed SUBSCRIBE must not leave a dead entry that later feeds would wait on.
      created.ready.catch(() => {
        if (this.subscriptions.get(chatId) === created) this.subscriptions.delete(chatId);
      });
      subscription = created;
      this.subscriptions.set(chatId, subscription);
    }
    subscription.listeners.add(listener);
    // A second feed of the chat must also wait until the channel is really subscribed.
    await subscription.ready;
  }

  private async removeListener(chatId: string, listener: Listener): Promise<void> {
    const subscription = this.subscriptions.get(chatId);
    if (!subscription) return;
    subscription.listeners.delete(listener);
    if (subscription.listeners.size > 0) return;
    this.subscriptions.delete(chatId);
    const { channel } = chatEventKeys(this.options.log.prefix, chatId);
    this.channelToChat.delete(channel);
    if (!this.closing) await this.options.subscriberRedis.unsubscribe(channel);
  }

  private dispatch(channel: string, message: string): void {
    const chatId = this.channelToChat.get(channel);
    if (chatId === undefined) return;
    let event: ChatEvent;
    try {
      event = parseStoredEvent(message);
    } catch (error) {
      this.options.logger.error({ err: error, chatId }, 'dropped a malformed chat event');
      return;
    }
    for (const listener of this.subscriptions.get(chatId)?.listeners ?? []) listener(event);
  }
}
