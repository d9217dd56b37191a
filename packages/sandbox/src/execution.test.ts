import { describe, expect, it } from '@jest/globals';
import { Execution, ExecutionError, Result } from './execution';

describe('Result', () => {
  it('puts each known MIME type in its field and unknown ones in extra', () => {
    const result = new Result(
      {
        'text/plain': '<Figure>',
        'image/png': 'iVBORw0KGgo=',
        'text/html': '<table></table>',
        'application/json': { a: [1, 2] },
        'application/vnd.plotly.v1+json': { data: [] },
      },
      false,
    );
    expect(result.text).toBe('<Figure>');
    expect(result.png).toBe('iVBORw0KGgo=');
    expect(result.html).toBe('<table></table>');
    expect(result.json).toEqual({ a: [1, 2] });
    expect(result.svg).toBeUndefined();
    expect(result.extra).toEqual({ 'application/vnd.plotly.v1+json': { data: [] } });
    expect(result.isMainResult).toBe(false);
  });

  it('lists formats: own fields in a fixed order, then extra MIME types', () => {
    const result = new Result({ 'image/png': 'x', 'text/plain': 't', 'image/gif': 'g', 'text/latex': '$x$' }, true);
    expect(result.formats()).toEqual(['text', 'png', 'latex', 'image/gif']);
  });

  it('keeps a non-string value of a text type in extra rather than dropping it', () => {
    const result = new Result({ 'text/plain': ['a', 'b'] }, true);
    expect(result.text).toBeUndefined();
    expect(result.extra).toEqual({ 'text/plain': ['a', 'b'] });
  });

  it('serialises the representations present', () => {
    expect(JSON.parse(JSON.stringify(new Result({ 'text/plain': '2' }, true)))).toEqual({ text: '2', isMainResult: true });
  });
});

describe('Execution', () => {
  it('exposes the main result text and serialises to plain data', () => {
    const execution = new Execution({
      results: [new Result({ 'image/png': 'p' }, false), new Result({ 'text/plain': '42' }, true)],
      logs: { stdout: ['a\n'], stderr: [] },
      error: new ExecutionError('ValueError', 'bad', 'Traceback\nValueError: bad'),
      executionCount: 7,
      outputs: [{ output_type: 'stream', name: 'stdout', text: 'a\n' }],
    });
    expect(execution.text).toBe('42');
    expect(JSON.parse(JSON.stringify(execution))).toEqual({
      results: [{ png: 'p', isMainResult: false }, { text: '42', isMainResult: true }],
      logs: { stdout: ['a\n'], stderr: [] },
      error: { name: 'ValueError', value: 'bad', traceback: 'Traceback\nValueError: bad' },
      executionCount: 7,
      outputs: [{ output_type: 'stream', name: 'stdout', text: 'a\n' }],
    });
  });

  it('has no text without a main result', () => {
    const execution = new Execution({ results: [new Result({ 'text/plain': 'shown' }, false)], logs: { stdout: [], stderr: [] }, outputs: [] });
    expect(execution.text).toBeUndefined();
  });
});
