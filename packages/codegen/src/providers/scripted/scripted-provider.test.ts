import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '@assay/errors';
import type { CellDraft } from '@assay/contracts';
import { ScriptedCodegenProvider } from './scripted-provider';

const cells: CellDraft[] = [
  { kind: 'markdown', source: '## Totals' },
  { kind: 'code', source: 'print(df_sales["amount"].sum())' },
];

function scripted(question: string) {
  return { question, files: [], history: [] };
}

describe('ScriptedCodegenProvider', () => {
  const provider = new ScriptedCodegenProvider();

  it('returns exactly the cells of the JSON message and one delta per cell', async () => {
    const deltas: string[] = [];
    const result = await provider.generate(scripted(JSON.stringify({ cells })), { onDelta: (text) => deltas.push(text) });

    expect(provider.name).toBe('scripted');
    expect(result).toEqual({ cells });
    expect(deltas).toEqual(cells.map((cell) => cell.source));
  });

  it('drops unknown cell fields', async () => {
    const result = await provider.generate(
      scripted(JSON.stringify({ cells: [{ kind: 'code', source: '1', outputs: [] }] })),
    );
    expect(result.cells).toEqual([{ kind: 'code', source: '1' }]);
  });

  it('rejects text that is not JSON, showing the expected shape', async () => {
    await expect(provider.generate(scripted('print(1)'))).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_INVALID_OUTPUT,
      retryable: false,
      message: expect.stringContaining('{ "cells": [{ "kind": "markdown" | "code", "source": "<text>" }, ...] }'),
    });
  });

  it.each([
    ['an unknown kind', { cells: [{ kind: 'sql', source: 'select 1' }] }, 'cells[0].kind'],
    ['a missing source', { cells: [{ kind: 'code' }] }, 'cells[0].source'],
    ['no cells', { cells: [] }, 'cells'],
  ])('rejects %s with CODEGEN_INVALID_OUTPUT naming the place', async (_case, document, place) => {
    await expect(provider.generate(scripted(JSON.stringify(document)))).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_INVALID_OUTPUT,
      message: expect.stringMatching(new RegExp(`Expected \\{ "cells".*at ${place.replace(/[[\].]/g, '\\$&')}`, 's')),
    });
  });

  it('rejects a document that is not an object', async () => {
    await expect(provider.generate(scripted(JSON.stringify([{ kind: 'code', source: '1' }])))).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_INVALID_OUTPUT,
      message: expect.stringContaining('expected object'),
    });
  });

  it('rejects a cancelled call with CODEGEN_FAILED', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(provider.generate(scripted(JSON.stringify({ cells })), { signal: controller.signal })).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_FAILED,
    });
  });
});
