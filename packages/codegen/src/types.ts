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

/** An earlier message of the same chat: its question and the cells written for it. */
export const CodegenHistoryEntry = z.strictObject({
  question: z.string(),
  /** Cell sources only: outputs carry data values and never reach a model. */
  cells: z.array(z.strictObject(CellDraft.shape)),
});
export type CodegenHistoryEntry = z.infer<typeof CodegenHistoryEntry>;

/** Everything a provider needs to write the notebook for one chat message. */
export const CodegenRequest = z
  .strictObject({
    /** The user's message. */
    question: z.string().refine((text) => text.trim().length > 0, { error: 'question must not be blank' }),
    /** Files attached to the chat. */
    files: z.array(CodegenFile),
    /**
     * Earlier messages of the chat, oldest first. Their code already ran in the chat's kernel,
     * so the new notebook can reuse the variables it defined.
     */
    history: z.array(CodegenHistoryEntry),
  })
  .refine((request) => new Set(request.files.map((file) => file.path)).size === request.files.length, {
    error: 'two files have the same path; each file needs its own path under /mnt/data',
    path: ['files'],
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
export const CodegenProviderName = z.enum(['anthropic', 'offline', 'scripted']);
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
