import { describe, expect, it } from '@jest/globals';
import { ErrorCode } from '@assay/errors';
import { explainCellFailure } from './explain-cell-failure';

describe('explainCellFailure', () => {
  it('names the exception as Python did, then says what it means', () => {
    expect(explainCellFailure(3, { name: 'KeyError', value: "'revenue'" })).toEqual({
      code: ErrorCode.CELL_ERROR,
      message:
        "Cell 3 raised KeyError: 'revenue'. In plain words: the code asked for a column or key that does not exist in the data (check the spelling and case of column names).",
    });
    expect(explainCellFailure(1, { name: 'NameError', value: "name 'x' is not defined" }).message).toContain(
      "raised NameError: name 'x' is not defined. In plain words: the code used a variable or function that was never defined",
    );
  });

  it('keeps the codes of timeouts and kernel deaths', () => {
    expect(explainCellFailure(2, { name: 'TimeoutError', value: 'the cell ran longer than 30 s.' })).toEqual({
      code: ErrorCode.CELL_TIMEOUT,
      message: 'Cell 2 timed out: the cell ran longer than 30 s. In plain words: the cell ran longer than the time a cell may take.',
    });
    expect(explainCellFailure(4, { name: 'KernelDied', value: 'exit code 137' }).code).toBe(ErrorCode.KERNEL_DIED);
  });

  it('quotes an unknown exception without inventing a meaning, and cuts a huge message', () => {
    const failure = explainCellFailure(5, { name: 'CustomError', value: 'x'.repeat(2000) });
    expect(failure.message).toMatch(/^Cell 5 raised CustomError: x{500}…$/);
    expect(explainCellFailure(6, { name: 'CustomError', value: '' }).message).toBe('Cell 6 raised CustomError.');
    expect(explainCellFailure(7, undefined)).toEqual({ code: ErrorCode.INTERNAL, message: 'Cell 7 failed.' });
  });
});
