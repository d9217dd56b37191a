import { z } from 'zod';
import { ResourceId, Timestamp } from './ids';
import { CellKind } from './notebook';

/** One variable of a chat's kernel: what it is, never its value. */
export const Variable = z.object({
  name: z.string(),
  /** Python type name, e.g. `DataFrame`, `int`. */
  type: z.string(),
  /** For arrays and frames (anything with an integer `.shape`), e.g. `[1200, 5]`. */
  shape: z.array(z.number().int().nonnegative()).nullable(),
  /** For strings, bytes and built-in containers. */
  length: z.number().int().nonnegative().nullable(),
  /**
   * For DataFrames: column name → pandas dtype (`int64`, `object`, …), at most 200 columns; types,
   * never values. Null for anything else (and in records written before dtypes were read).
   */
  dtypes: z.record(z.string(), z.string()).nullable().default(null),
});
export type Variable = z.infer<typeof Variable>;

/** `GET /v1/chats/:id/variables`: the kernel's variables after its latest successful cell. */
export const VariablesResource = z.object({
  chatId: ResourceId,
  variables: z.array(Variable),
  /** When they were read; null before any cell succeeded. */
  updatedAt: Timestamp.nullable(),
});
export type VariablesResource = z.infer<typeof VariablesResource>;

/** Body of `POST /v1/chats/:id/cells`: a new cell, after `afterCellId` or at the end. */
export const InsertCellBody = z
  .object({
    kind: CellKind,
    source: z.string().max(100_000),
    /** The cell to insert after; null inserts at the top; absent appends at the end. */
    afterCellId: ResourceId.nullable().optional(),
  })
  .strict();
export type InsertCellBody = z.infer<typeof InsertCellBody>;

/** Body of `PATCH /v1/chats/:id/cells/:cellId`. */
export const UpdateCellBody = z.object({ source: z.string().max(100_000) }).strict();
export type UpdateCellBody = z.infer<typeof UpdateCellBody>;

/** Answer to notebook operations that run later (run cells, restart): follow them on the WebSocket. */
export const NotebookOperationResource = z.object({
  operationId: ResourceId,
  chatId: ResourceId,
  kind: z.enum(['run', 'restart']),
  /** The cells that will run, in order (empty for a restart). */
  cellIds: z.array(ResourceId),
});
export type NotebookOperationResource = z.infer<typeof NotebookOperationResource>;
