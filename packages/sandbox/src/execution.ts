import type { CellOutput, MimeBundle } from '@assay/contracts';

/** Representations with a field of their own on {@link Result}, by MIME type. */
const KNOWN_FORMATS = {
  'text/plain': 'text',
  'text/html': 'html',
  'text/markdown': 'markdown',
  'image/svg+xml': 'svg',
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'application/pdf': 'pdf',
  'text/latex': 'latex',
  'application/json': 'json',
  'application/javascript': 'javascript',
} as const;

/** Name of a representation with its own field on {@link Result}. */
export type ResultFormat = (typeof KNOWN_FORMATS)[keyof typeof KNOWN_FORMATS];

/**
 * One rich output of a cell: the value of its last expression (`isMainResult`) or something it
 * displayed (a figure, `display(df)`). One field per representation, as E2B's `Result`.
 */
export class Result {
  /** text/plain */
  readonly text?: string;
  /** text/html (a DataFrame's table) */
  readonly html?: string;
  /** text/markdown */
  readonly markdown?: string;
  /** image/svg+xml */
  readonly svg?: string;
  /** image/png, base64 */
  readonly png?: string;
  /** image/jpeg, base64 */
  readonly jpeg?: string;
  /** application/pdf, base64 */
  readonly pdf?: string;
  /** text/latex */
  readonly latex?: string;
  /** application/json, as the JSON value the kernel sent */
  readonly json?: unknown;
  /** application/javascript */
  readonly javascript?: string;
  /** Representations without a field of their own (e.g. `application/vnd.plotly.v1+json`), by MIME type. */
  readonly extra: Readonly<Record<string, unknown>>;
  /** True for the cell's `execute_result` (its last expression), false for displayed data. */
  readonly isMainResult: boolean;
  /** The MIME bundle as received. */
  readonly raw: Readonly<MimeBundle>;

  constructor(raw: MimeBundle, isMainResult: boolean) {
    this.raw = raw;
    this.isMainResult = isMainResult;
    const extra: Record<string, unknown> = {};
    const known: Partial<Record<ResultFormat, unknown>> = {};
    for (const [mime, value] of Object.entries(raw)) {
      const format = formatOf(mime);
      if (format === undefined || (format !== 'json' && typeof value !== 'string')) extra[mime] = value;
      else known[format] = value;
    }
    this.extra = extra;
    this.text = stringOrUndefined(known.text);
    this.html = stringOrUndefined(known.html);
    this.markdown = stringOrUndefined(known.markdown);
    this.svg = stringOrUndefined(known.svg);
    this.png = stringOrUndefined(known.png);
    this.jpeg = stringOrUndefined(known.jpeg);
    this.pdf = stringOrUndefined(known.pdf);
    this.latex = stringOrUndefined(known.latex);
    this.json = known.json;
    this.javascript = stringOrUndefined(known.javascript);
  }

  /** Names of the representations present: field names first (`text`, `html`, `png`…), then MIME types in `extra`. */
  formats(): string[] {
    const present = Object.values(KNOWN_FORMATS).filter((format) => this[format] !== undefined);
    return [...present, ...Object.keys(this.extra)];
  }

  /** Plain data: the representations present, `isMainResult` and `extra` when not empty. */
  toJSON(): Record<string, unknown> {
    const json: Record<string, unknown> = {};
    for (const format of Object.values(KNOWN_FORMATS)) {
      if (this[format] !== undefined) json[format] = this[format];
    }
    json.isMainResult = this.isMainResult;
    if (Object.keys(this.extra).length > 0) json.extra = this.extra;
    return json;
  }
}

/**
 * An exception raised by the cell's code, or a failure of the cell as a whole (`TimeoutError`,
 * `KernelDied`): data in the {@link Execution}, never thrown.
 */
export class ExecutionError {
  constructor(
    /** Exception class name, e.g. `ZeroDivisionError`, `TimeoutError`, `KernelDied`. */
    readonly name: string,
    /** Exception message. */
    readonly value: string,
    /** Traceback lines joined with newlines, without ANSI colour codes. */
    readonly traceback: string,
  ) {}

  /** Plain data. */
  toJSON(): { name: string; value: string; traceback: string } {
    return { name: this.name, value: this.value, traceback: this.traceback };
  }
}

/** What the cell printed, chunk by chunk as the kernel sent it. */
export interface Logs {
  stdout: string[];
  stderr: string[];
}

/** The fields of an {@link Execution}. */
/** What the kernel answered for one of `RunCodeOptions.userExpressions`. */
export type UserExpressionResult =
  | { status: 'ok'; data: Readonly<Record<string, unknown>> }
  | { status: 'error'; ename: string; evalue: string };

export interface ExecutionInit {
  results: Result[];
  logs: Logs;
  error?: ExecutionError;
  executionCount?: number;
  outputs: CellOutput[];
  userExpressions?: Readonly<Record<string, UserExpressionResult>>;
}

/**
 * Everything one `runCode` produced. `results`, `logs` and `error` follow E2B's model;
 * `outputs` holds the same content as nbformat 4 outputs in arrival order (consecutive stream
 * chunks of one name merged), ready to store in a notebook cell.
 */
export class Execution {
  /** Rich outputs: displayed data and the main result, in arrival order. */
  readonly results: readonly Result[];
  /** Streamed text. */
  readonly logs: Readonly<Logs>;
  /** Set when the cell failed: its last exception, a timeout or a dead kernel. */
  readonly error: ExecutionError | undefined;
  /** Results of `RunCodeOptions.userExpressions` (empty when the cell failed or none were asked). */
  readonly userExpressions: Readonly<Record<string, UserExpressionResult>>;
  /** The kernel's execution counter for this cell (`In [n]`). */
  readonly executionCount: number | undefined;
  /** nbformat 4 outputs. */
  readonly outputs: readonly CellOutput[];

  constructor(init: ExecutionInit) {
    this.userExpressions = init.userExpressions ?? {};
    this.results = init.results;
    this.logs = init.logs;
    this.error = init.error;
    this.executionCount = init.executionCount;
    this.outputs = init.outputs;
  }

  /** text/plain of the main result (the last expression's value), if the cell had one. */
  get text(): string | undefined {
    return this.results.find((result) => result.isMainResult)?.text;
  }

  /** Plain data for JSON payloads. */
  toJSON(): Record<string, unknown> {
    return {
      results: this.results.map((result) => result.toJSON()),
      logs: this.logs,
      error: this.error?.toJSON(),
      executionCount: this.executionCount,
      outputs: this.outputs,
    };
  }
}

function formatOf(mime: string): ResultFormat | undefined {
  return isKnownMime(mime) ? KNOWN_FORMATS[mime] : undefined;
}

function isKnownMime(mime: string): mime is keyof typeof KNOWN_FORMATS {
  return Object.prototype.hasOwnProperty.call(KNOWN_FORMATS, mime);
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
