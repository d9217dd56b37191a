import { CellDraft, FileFormat, SheetMetadata } from '@assay/contracts';
import { z } from 'zod';
import { DATA_DIR } from './consts';

/*
 * Privacy rule of this package: a CodegenRequest is the only input a provider gets, and it holds
 * metadata only. Every object schema below is strict, so a caller that tries to add anything
 * else (sample rows, cell outputs, previews) is rejected at run time instead of having the extra
 * data silently travel along; the inferred types have no field for values either.
 */

/** One attached file as a model may see it: name, location, size and per-sheet headers. */
export const CodegenFile = z.strictObject({
  /** Original file name, as uploaded. */
  name: z.string().min(1),
  /** Absolute path inside the sandbox: `/mnt/data/<name>`. */
  path: z.string().startsWith(`${DATA_DIR}/`, { error: `path must start with "${DATA_DIR}/"` }),
  format: FileFormat,
  sizeBytes: z.number().int().nonnegative(),
  /** Sheets in workbook order; a CSV/TSV file has exactly one. */
  sheets: z.array(z.strictObject(SheetMetadata.shape)),
  /**
   * Field delimiter of a CSV/TSV file when the ingest worker detected it. Optional: when it is
   * missing, generated code works it out from the header line.
   */
  delimiter: z.string().min(1).optional(),
  /** Text encoding of a CSV/TSV file (Python's name, e.g. "utf-8-sig") when known. */
  encoding: z.string().min(1).optional(),
});
export type CodegenFile = z.infer<typeof CodegenFile>;

/**
 * How much beyond names and counts may reach a model (config `ASSAY_PRIVACY_LEVEL`, per-tenant
 * override). `metadata` (default): file names, headers, counts, earlier cells' code, outputs only
 * by kind and size, error type and message with quoted literals masked. `schema`: adds the column
 * dtypes the kernel reported. `outputs` (opt-in): adds truncated text outputs and unmasked errors.
 * The prompt builder applies the level, so a caller may hand over more and still be safe.
 */
export const PrivacyLevel = z.enum(['metadata', 'schema', 'outputs']);
export type PrivacyLevel = z.infer<typeof PrivacyLevel>;

/** One output of an earlier cell, as the kernel produced it, summarised. */
export const CodegenOutputSummary = z.strictObject({
  /** nbformat output type. */
  kind: z.enum(['stream', 'display_data', 'execute_result', 'error']),
  /** MIME types of a display/result output (e.g. "image/png"), never their data. */
  mimeTypes: z.array(z.string()).optional(),
  /** Size of the output's data in bytes. */
  sizeBytes: z.number().int().nonnegative(),
  /** Its plain text; reaches a model only at privacy level `outputs`, truncated. */
  text: z.string().optional(),
});
export type CodegenOutputSummary = z.infer<typeof CodegenOutputSummary>;

/** A cell of an earlier message: its code, and what came out of it. */
export const CodegenHistoryCell = z.strictObject({
  ...CellDraft.shape,
  /** Absent: not known (the cell's outputs are then not described). */
  outputs: z.array(CodegenOutputSummary).optional(),
});
export type CodegenHistoryCell = z.infer<typeof CodegenHistoryCell>;

/** An earlier message of the same chat: its question and the cells written for it. */
export const CodegenHistoryEntry = z.strictObject({
  question: z.string(),
  /** Cell sources, with outputs summarised (see {@link PrivacyLevel} for what a model sees). */
  cells: z.array(CodegenHistoryCell),
});
export type CodegenHistoryEntry = z.infer<typeof CodegenHistoryEntry>;

/** A variable living in the chat's kernel: name, type and shape, never its value. */
export const CodegenVariable = z.strictObject({
  name: z.string().min(1),
  /** Python type name, e.g. "DataFrame", "int". */
  type: z.string().min(1),
  /** e.g. "(1200, 8)" for a DataFrame, "(12,)" for a Series. */
  shape: z.string().optional(),
  /** Column → dtype of a DataFrame; reaches a model from privacy level `schema` on. */
  dtypes: z.record(z.string(), z.string()).optional(),
});
export type CodegenVariable = z.infer<typeof CodegenVariable>;

/** A Python exception raised by a cell (nbformat `ename`, `evalue`, traceback). */
export const CodegenCellError = z.strictObject({
  /** Exception class, e.g. "KeyError". */
  name: z.string(),
  /** Exception message; at privacy level below `outputs` its quoted literals are masked. */
  value: z.string(),
  /** Traceback lines (ANSI codes removed); trimmed and masked like `value` before sending. */
  traceback: z.array(z.string()),
});
export type CodegenCellError = z.infer<typeof CodegenCellError>;

/**
 * What a repair request asks for: replacement cells for one failing code cell of the notebook
 * that was just written. The provider answers with cells that replace `failingCell` (markdown
 * allowed); the cells before it already ran, the cells after it will run after the fix.
 */
export const CodegenRepair = z.strictObject({
  /** 1 for the first repair of a message, 2 for the next, … */
  attempt: z.number().int().positive(),
  /** The message's notebook as it stands (code of every cell, in order). */
  cells: z.array(z.strictObject(CellDraft.shape)).min(1),
  /** Index in `cells` of the code cell that failed. */
  failingCellIndex: z.number().int().nonnegative(),
  /** What it raised. */
  error: CodegenCellError,
});
export type CodegenRepair = z.infer<typeof CodegenRepair>;

/** Everything a provider needs to write the notebook for one chat message, or to repair it. */
export const CodegenRequest = z
  .strictObject({
    /**
     * `generate` (absent means the same): write the notebook that answers `question`.
     * `repair`: replace the failing cell described by `repair`.
     */
    kind: z.enum(['generate', 'repair']).optional(),
    /** The user's message. */
    question: z.string().refine((text) => text.trim().length > 0, { error: 'question must not be blank' }),
    /** Files attached to the chat. */
    files: z.array(CodegenFile),
    /**
     * Earlier messages of the chat, oldest first. Their code already ran in the chat's kernel,
     * so the new notebook can reuse the variables it defined.
     */
    history: z.array(CodegenHistoryEntry),
    /** Variables in the chat's kernel now (name, type, shape; dtypes from level `schema`). */
    variables: z.array(CodegenVariable).optional(),
    /** The last error the chat's kernel raised, if the previous message ended in one. */
    lastError: CodegenCellError.optional(),
    /** Required when `kind` is `repair`. */
    repair: CodegenRepair.optional(),
    /** What may reach the model; see {@link PrivacyLevel}. @defaultValue "metadata" */
    privacyLevel: PrivacyLevel.optional(),
  })
  .refine((request) => new Set(request.files.map((file) => file.path)).size === request.files.length, {
    error: 'two files have the same path; each file needs its own path under /mnt/data',
    path: ['files'],
  })
  .refine((request) => (request.kind === 'repair') === (request.repair !== undefined), {
    error: 'a repair request (kind "repair") needs "repair", and only a repair request may have it',
    path: ['repair'],
  })
  .refine((request) => request.repair === undefined || request.repair.failingCellIndex < request.repair.cells.length, {
    error: 'repair.failingCellIndex must point into repair.cells',
    path: ['repair', 'failingCellIndex'],
  });
export type CodegenRequest = z.infer<typeof CodegenRequest>;

/** Token counts of one generation, as the model provider reported them. */
export const CodegenUsage = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  /** Input tokens read from the prompt cache. */
  cacheReadTokens: z.number().int().nonnegative().optional(),
  /** Input tokens written to the prompt cache. */
  cacheCreationTokens: z.number().int().nonnegative().optional(),
});
export type CodegenUsage = z.infer<typeof CodegenUsage>;

/** The notebook a provider wrote, with what it cost when a model was involved. */
export const CodegenResult = z.object({
  cells: z.array(CellDraft),
  usage: CodegenUsage.optional(),
  /** Model that wrote the cells, as the API named it. */
  model: z.string().optional(),
});
export type CodegenResult = z.infer<typeof CodegenResult>;

/** Implementations of {@link CodegenProvider}. */
export const CodegenProviderName = z.enum(['anthropic', 'openai', 'offline', 'scripted']);
export type CodegenProviderName = z.infer<typeof CodegenProviderName>;

/** Per-call options of {@link CodegenProvider.generate}. */
export interface GenerateOptions {
  /**
   * Called with each piece of output as it is produced (model text, or partial JSON of the
   * notebook), for live progress. Pieces concatenate; they are not cells. Must not throw.
   */
  onDelta?: (text: string) => void;
  /** Cancels the generation; the returned promise then rejects with `CODEGEN_FAILED`. */
  signal?: AbortSignal;
  /**
   * Called with exactly what is about to be sent to the model, once per request made (a retry
   * after an invalid answer calls it again), for the audit record. Must not throw.
   */
  onPromptSent?: (sent: SentPrompt) => void;
}

/** What a provider sends to its model for one request (see `buildPrompt`). */
export interface SentPrompt {
  provider: CodegenProviderName;
  /** Model id, when a model is involved. */
  model?: string;
  /** `generate` or `repair`. */
  kind: 'generate' | 'repair';
  /** Static instructions. */
  system: string;
  /** The user turn built from metadata. */
  user: string;
}

/**
 * Writes a notebook (markdown and Python code cells) that answers a chat message.
 *
 * Implementations: `anthropic` (Claude through the Messages API), `offline` (a deterministic
 * overview, no model) and `scripted` (replays cells given as JSON, for tests and replays).
 * Failures are `AssayError`s with code `CODEGEN_FAILED` (the provider could not answer;
 * `retryable` says whether trying again may help) or `CODEGEN_INVALID_OUTPUT` (it answered with
 * something that is not a notebook).
 */
export interface CodegenProvider {
  readonly name: CodegenProviderName;
  generate(request: CodegenRequest, options?: GenerateOptions): Promise<CodegenResult>;
}
