import { z } from 'zod';
import { ResourceId, Timestamp } from './ids';

/**
 * Outputs follow nbformat 4 exactly (https://nbformat.readthedocs.io/en/latest/format_description.html),
 * so a chat exports to .ipynb without translation.
 */

/** MIME type -> representation: strings for text and base64 images, any JSON for application/json. */
export const MimeBundle = z.record(z.string(), z.unknown());
export type MimeBundle = z.infer<typeof MimeBundle>;

export const StreamOutput = z.object({
  output_type: z.literal('stream'),
  name: z.enum(['stdout', 'stderr']),
  text: z.string(),
});
export type StreamOutput = z.infer<typeof StreamOutput>;

export const DisplayDataOutput = z.object({
  output_type: z.literal('display_data'),
  data: MimeBundle,
  metadata: z.record(z.string(), z.unknown()),
});
export type DisplayDataOutput = z.infer<typeof DisplayDataOutput>;

export const ExecuteResultOutput = z.object({
  output_type: z.literal('execute_result'),
  execution_count: z.number().int().nullable(),
  data: MimeBundle,
  metadata: z.record(z.string(), z.unknown()),
});
export type ExecuteResultOutput = z.infer<typeof ExecuteResultOutput>;

/** A Python exception raised by a cell; traceback lines carry no ANSI colour codes. */
export const ErrorOutput = z.object({
  output_type: z.literal('error'),
  ename: z.string(),
  evalue: z.string(),
  traceback: z.array(z.string()),
});
export type ErrorOutput = z.infer<typeof ErrorOutput>;

export const CellOutput = z.discriminatedUnion('output_type', [
  StreamOutput,
  DisplayDataOutput,
  ExecuteResultOutput,
  ErrorOutput,
]);
export type CellOutput = z.infer<typeof CellOutput>;

export const CellKind = z.enum(['markdown', 'code']);
export type CellKind = z.infer<typeof CellKind>;

/**
 * idle: markdown, or code not asked to run; queued -> running -> ok | error;
 * cancelled: not run because an earlier cell of the same run failed.
 */
export const CellStatus = z.enum(['idle', 'queued', 'running', 'ok', 'error', 'cancelled']);
export type CellStatus = z.infer<typeof CellStatus>;

/** A cell as written by a codegen provider, before it is stored. */
export const CellDraft = z.object({
  kind: CellKind,
  source: z.string(),
});
export type CellDraft = z.infer<typeof CellDraft>;

/** A stored notebook cell with its outputs. */
export const Cell = z.object({
  id: ResourceId,
  messageId: ResourceId,
  /** Position in the chat's notebook, from 1. */
  position: z.number().int().positive(),
  kind: CellKind,
  source: z.string(),
  status: CellStatus,
  executionCount: z.number().int().nullable(),
  outputs: z.array(CellOutput),
  startedAt: Timestamp.nullable(),
  completedAt: Timestamp.nullable(),
  /**
   * Set on a failed generated cell that automatic repair replaced: the id of its first
   * replacement. Such a cell is history (the attempt that failed), not part of the working
   * notebook. Absent or null: the cell is current.
   */
  supersededById: ResourceId.nullable().optional(),
});
export type Cell = z.infer<typeof Cell>;
