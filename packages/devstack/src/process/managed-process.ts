import type { ChildProcess } from 'node:child_process';

/** How a child process ended. */
export interface ProcessExit {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  /** The signal that ended it, or null when it exited by itself. */
  signal: NodeJS.Signals | null;
}

/** One step of a shutdown: send `signal`, then wait up to `waitMs` for the process to exit. */
export interface StopStep {
  signal: NodeJS.Signals;
  waitMs: number;
}

/** The result of {@link ManagedProcess.stop}. */
export interface StopResult extends ProcessExit {
  /** The signal of the last step that had to be sent (SIGKILL when the process ignored the others). */
  lastSignalSent: NodeJS.Signals | undefined;
  /** True when the process outlived the first step's deadline. */
  forced: boolean;
}

/**
 * A spawned child with a promise of its exit and an escalating stop. When the child leads its
 * own process group (`spawn(..., { detached: true })`), SIGKILL goes to the whole group so that
 * grandchildren do not outlive it.
 */
export class ManagedProcess {
  /** Resolves when the child has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  private exit: ProcessExit | undefined;
  private stopping: Promise<StopResult> | undefined;

  constructor(
    readonly child: ChildProcess,
    private readonly ownsProcessGroup: boolean,
  ) {
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.exit) return;
        this.exit = { code, signal };
        resolve(this.exit);
      };
      child.once('exit', done);
      // A child that could not be spawned emits 'error' and may never emit 'exit'.
      child.once('error', () => {
        if (child.pid === undefined) done(null, null);
      });
    });
  }

  /** Process id (undefined when spawning failed). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** True until the child has exited. */
  get running(): boolean {
    return this.exit === undefined && this.child.pid !== undefined;
  }

  /** True once {@link stop} was called: an exit after that is expected. */
  get isStopping(): boolean {
    return this.stopping !== undefined;
  }

  /**
   * Stops the child: each step sends its signal and waits; a SIGKILL step is added if the last
   * step is not one. Calling it again returns the same promise.
   */
  stop(steps: readonly StopStep[]): Promise<StopResult> {
    this.stopping ??= this.runStop(steps);
    return this.stopping;
  }

  private async runStop(steps: readonly StopStep[]): Promise<StopResult> {
    // A server spawned with unref() must still hold the event loop until it has exited.
    this.child.ref();
    const plan = steps.at(-1)?.signal === 'SIGKILL' ? steps : [...steps, { signal: 'SIGKILL' as const, waitMs: 5_000 }];
    let lastSignalSent: NodeJS.Signals | undefined;
    let stepIndex = 0;
    for (const step of plan) {
      if (!this.running) break;
      this.signal(step.signal);
      lastSignalSent = step.signal;
      stepIndex += 1;
      const timedOut = await Promise.race([
        this.exited.then(() => false),
        new Promise<boolean>((resolve) => setTimeout(resolve, step.waitMs, true).unref()),
      ]);
      if (!timedOut) break;
    }
    const exit = await this.exited;
    return { ...exit, lastSignalSent, forced: stepIndex > 1 };
  }

  private signal(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      if (signal === 'SIGKILL' && this.ownsProcessGroup) process.kill(-pid, signal);
      else process.kill(pid, signal);
    } catch {
      // Exited between the check and the signal.
    }
  }
}
