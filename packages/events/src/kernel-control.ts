import type { Redis } from 'ioredis';
import { z } from 'zod';

/** A request to a chat's kernel that cannot wait in a queue behind the cell it is about. */
export const KernelSignal = z.object({
  type: z.literal('interrupt'),
  tenantId: z.uuid(),
  chatId: z.uuid(),
});
export type KernelSignal = z.infer<typeof KernelSignal>;

/** Options of {@link KernelControl}. */
export interface KernelControlOptions {
  /** A connection for commands (publishing). */
  redis: Redis;
  /** Prefix of every key (ASSAY_KEY_PREFIX). */
  prefix: string;
}

/**
 * Out-of-band signals to kernels (interrupting a running cell), over Redis pub/sub: a queued job
 * would wait behind the very cell it should stop. Every executor replica listens; the one that
 * holds the chat's kernel acts, the others ignore the signal.
 */
export class KernelControl {
  private readonly channel: string;

  constructor(private readonly options: KernelControlOptions) {
    this.channel = `${options.prefix}:kernel-control`;
  }

  /** Sends a signal; resolves with how many executors received it. */
  send(signal: KernelSignal): Promise<number> {
    return this.options.redis.publish(this.channel, JSON.stringify(KernelSignal.parse(signal)));
  }

  /**
   * Calls `onSignal` for every signal sent from now on, on a dedicated connection (a subscribed
   * connection can do nothing else). Returns a function that unsubscribes and closes it.
   */
  async listen(onSignal: (signal: KernelSignal) => void, onInvalid: (raw: string) => void = () => undefined): Promise<() => Promise<void>> {
    const subscriber = this.options.redis.duplicate();
    subscriber.on('message', (channel: string, raw: string) => {
      if (channel !== this.channel) return;
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        onInvalid(raw);
        return;
      }
      const parsed = KernelSignal.safeParse(json);
      if (parsed.success) onSignal(parsed.data);
      else onInvalid(raw);
    });
    await subscriber.subscribe(this.channel);
    return async () => {
      await subscriber.unsubscribe(this.channel).catch(() => undefined);
      subscriber.disconnect();
    };
  }
}
