/**
 * The one place that decides the stack stops, and with which exit code. The first request wins
 * (a crash reported while stopping after Ctrl-C does not turn a clean stop into a failure).
 */
export class StopRequest {
  private exitCode: number | undefined;
  private resolveRequested: (exitCode: number) => void = () => undefined;
  /** Resolves with the exit code once a stop was requested. */
  readonly requested: Promise<number>;

  constructor() {
    this.requested = new Promise((resolve) => {
      this.resolveRequested = resolve;
    });
  }

  /** True once a stop was requested. */
  get isRequested(): boolean {
    return this.exitCode !== undefined;
  }

  /** Requests the stop; returns false when one was already requested. */
  request(exitCode: number): boolean {
    if (this.exitCode !== undefined) return false;
    this.exitCode = exitCode;
    this.resolveRequested(exitCode);
    return true;
  }
}
