import { AssayError, ErrorCode } from '@assay/errors';

/** Options of {@link EnvironmentMissingError}. */
export interface EnvironmentMissingErrorOptions {
  /** Debian packages that would fix the problem, when packages can. */
  packages?: readonly string[];
  /** The command line a person should run, when one exists. */
  installCommand?: string;
  /** The lower-level error this one explains. */
  cause?: unknown;
}

/**
 * Something the machine must provide is missing or broken (a Debian package, a system user,
 * a kernel feature), and this process cannot fix it. The message says what to run.
 */
export class EnvironmentMissingError extends AssayError {
  /** Debian packages that would fix the problem (empty when packages cannot). */
  readonly packages: readonly string[];
  /** The command line to run, when one exists. */
  readonly installCommand: string | undefined;

  constructor(message: string, options: EnvironmentMissingErrorOptions = {}) {
    super(ErrorCode.ENVIRONMENT_MISSING, message, {
      cause: options.cause,
      details: { packages: options.packages ?? [], installCommand: options.installCommand },
    });
    this.packages = options.packages ?? [];
    this.installCommand = options.installCommand;
  }
}
