import type { Logger } from '@assay/logger';
import type { SandboxSlot, SandboxSlots } from './sandbox-slots';

/** Options of {@link WarmPool}. */
export interface WarmPoolOptions {
  slots: SandboxSlots;
  /** Kernels kept started and idle; 0 turns the pool off. */
  size: number;
  logger: Logger;
  /** Wait after a failed start before trying again, so a broken environment does not spin. @defaultValue 5_000 */
  retryDelayMs?: number;
}

/**
 * Kernels started ahead of need (their start-up code has already imported pandas, numpy and
 * matplotlib), so that a new chat's first cell does not pay for kernel start-up. Taking a kernel
 * refills the pool in the background, one kernel at a time so refills do not compete with
 * running cells for the CPU.
 */
export class WarmPool {
  private readonly ready: SandboxSlot[] = [];
  private filling: Promise<void> | undefined;
  private closed = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: WarmPoolOptions) {}

  /** Starts filling the pool. */
  start(): void {
    this.refill();
  }

  /** A started kernel if one is ready (then the pool refills), otherwise undefined. */
  take(): SandboxSlot | undefined {
    while (this.ready.length > 0) {
      const slot = this.ready.shift();
      if (slot === undefined) break;
      this.refill();
      if (slot.sandbox.isAlive) return slot;
      void this.options.slots.close(slot); // died while waiting
    }
    this.refill();
    return undefined;
  }

  /** Kernels ready to be taken. */
  get available(): number {
    return this.ready.length;
  }

  /** Resolves once the pool is full (or stops trying); for start-up and tests. */
  async whenFilled(): Promise<void> {
    while (this.filling !== undefined) await this.filling;
  }

  /** Stops refilling and closes the idle kernels. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.filling?.catch(() => undefined);
    await Promise.all(this.ready.splice(0).map((slot) => this.options.slots.close(slot)));
  }

  private refill(): void {
    if (this.closed || this.filling !== undefined || this.ready.length >= this.options.size) return;
    this.filling = (async () => {
      while (!this.closed && this.ready.length < this.options.size) {
        const started = performance.now();
        let slot: SandboxSlot;
        try {
          slot = await this.options.slots.open();
        } catch (error) {
          this.options.logger.error({ err: error }, 'warm pool could not start a kernel; retrying later');
          this.retryTimer = setTimeout(() => this.refill(), this.options.retryDelayMs ?? 5_000);
          this.retryTimer.unref();
          return;
        }
        if (this.closed) {
          await this.options.slots.close(slot);
          return;
        }
        this.ready.push(slot);
        this.options.logger.debug({ sandboxId: slot.sandbox.id, durationMs: Math.round(performance.now() - started), available: this.ready.length }, 'warm kernel ready');
      }
    })().finally(() => {
      this.filling = undefined;
    });
  }
}
