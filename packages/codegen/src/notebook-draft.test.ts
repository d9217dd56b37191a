import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '@assay/errors';
import { NOTEBOOK_DRAFT_JSON_SCHEMA, parseNotebookDraft } from './notebook-draft';

describe('NOTEBOOK_DRAFT_JSON_SCHEMA', () => {
  it('describes { cells: [{ kind, source }] } closed to other keys, as strict tools require', () => {
    expect(NOTEBOOK_DRAFT_JSON_SCHEMA).not.toHaveProperty('$schema');
    expect(NOTEBOOK_DRAFT_JSON_SCHEMA).toMatchObject({
      type: 'object',
      required: ['cells'],
      additionalProperties: false,
      properties: {
        cells: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            required: ['kind', 'source'],
            additionalProperties: false,
            properties: { kind: { type: 'string', enum: ['markdown', 'code'] }, source: { type: 'string' } },
          },
        },
      },
    });
  });
});

describe('parseNotebookDraft()', () => {
  it('returns the cells', () => {
    expect(parseNotebookDraft({ cells: [{ kind: 'code', source: 'x = 1' }] }, 'The input', true)).toEqual([
      { kind: 'code', source: 'x = 1' },
    ]);
  });

  it('throws CODEGEN_INVALID_OUTPUT with the origin, the expected shape and each problem', () => {
    let error: unknown;
    try {
      parseNotebookDraft({ cells: [{ kind: 'python', source: 1 }] }, 'The write_notebook tool input', true);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: ErrorCode.CODEGEN_INVALID_OUTPUT, retryable: true });
    const message = (error as Error).message;
    expect(message).toContain('The write_notebook tool input is not a notebook.');
    expect(message).toContain('"kind": "markdown" | "code"');
    expect(message).toContain('at cells[0].kind');
    expect(message).toContain('at cells[0].source');
  });
});
