import type { InspectLimits } from './inspect-limits';

/** What every format inspector gets: the file, its user-facing name, limits and a cancel signal. */
export interface InspectContext {
  /** Local path of the file. */
  path: string;
  /** The name the user gave the file, for messages. */
  fileName: string;
  limits: InspectLimits;
  /** Aborted on timeout or when the caller cancels; inspectors stop reading when it fires. */
  signal: AbortSignal;
  /** Tools the XLS reader runs. */
  python: { pythonPath: string; prlimitPath: string };
}
