/**
 * Collects streamed model output and hands it on in pieces at most every `flushMs`, so a
 * generation becomes a few dozen codegen.delta events instead of one per token. Flushes run one
 * after another, in order.
 */
export class DeltaBuffer {
  private pending = '';
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly flushMs: number,
    private readonly publish: (text: string) => Promise<unknown>,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Adds text; never throws (it is called from a provider's stream). */
  push = (text: string): void => {
    this.pending += text;
    this.timer ??= setTimeout(() => this.flushPending(), this.flushMs);
  };

  /** Publishes whatever is buffered and waits for every publish to finish. */
  async flush(): Promise<void> {
    this.flushPending();
    await this.chain;
  }

  private flushPending(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending === '') return;
    const text = this.pending;
    this.pending = '';
    this.chain = this.chain.then(() => this.publish(text)).then(
      () => undefined,
      (error: unknown) => this.onError(error),
    );
  }
}
