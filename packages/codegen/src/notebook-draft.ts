import type { CellDraft } from '@assay/contracts';
import { CellKind } from '@assay/contracts';
import { z } from 'zod';
import { CodegenInvalidOutputError } from './errors';

/** Name of the tool through which a model hands over its notebook. */
export const WRITE_NOTEBOOK_TOOL_NAME = 'write_notebook';

/**
 * The notebook as a provider returns it: the `write_notebook` tool's input for a model, the
 * whole question for the scripted provider. Cells are `@assay/contracts` `CellDraft`s; the
 * descriptions end up in the JSON schema the model sees.
 */
export const NotebookDraft = z.object({
  cells: z
    .array(
      z
        .object({
          kind: CellKind.describe('"markdown" for explanations, "code" for Python run in the kernel.'),
          source: z.string().describe('The cell text: Markdown, or Python code.'),
        })
        .describe('One notebook cell.'),
    )
    .min(1)
    .describe('The cells, in the order they run.'),
});
export type NotebookDraft = z.infer<typeof NotebookDraft>;

/** A human-readable picture of {@link NotebookDraft}, used in error messages. */
export const NOTEBOOK_DRAFT_SHAPE =
  '{ "cells": [{ "kind": "markdown" | "code", "source": "<text>" }, ...] } with at least one cell';

/** {@link NotebookDraft} as JSON Schema (draft 2020-12, no `$schema` key), for tool definitions. */
export const NOTEBOOK_DRAFT_JSON_SCHEMA: { type: 'object'; [key: string]: unknown } = (() => {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(NotebookDraft, { io: 'output' });
  return { ...schema, type: 'object' };
})();

/**
 * Validates a provider's notebook and returns its cells.
 *
 * @param value - the parsed JSON the provider produced
 * @param origin - who produced it, for the message (e.g. "the write_notebook tool input")
 * @param retryable - whether asking the provider again may give a valid answer
 * @throws CodegenInvalidOutputError when the value does not have the {@link NotebookDraft} shape
 */
export function parseNotebookDraft(value: unknown, origin: string, retryable: boolean): CellDraft[] {
  const parsed = NotebookDraft.safeParse(value);
  if (!parsed.success) {
    throw new CodegenInvalidOutputError(
      `${origin} is not a notebook. Expected ${NOTEBOOK_DRAFT_SHAPE}. Problems:\n${z.prettifyError(parsed.error)}`,
      { retryable, details: { issues: parsed.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })) } },
    );
  }
  return parsed.data.cells.map((cell) => ({ kind: cell.kind, source: cell.source }));
}
