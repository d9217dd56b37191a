import { describe, expect, it } from '@jest/globals';
import type { Result as E2bResult, RawData } from '@e2b/code-interpreter';
import { mimeBundleOf, tracebackLines } from './e2b-results';

/** A result as the SDK builds it from one `result` line of the server (fields, plus the line as `raw`). */
function e2bResult(line: Record<string, unknown>, isMainResult: boolean): E2bResult {
  const field = (name: string): string | undefined => (typeof line[name] === 'string' ? (line[name] as string) : undefined);
  return {
    isMainResult,
    text: field('text'),
    html: field('html'),
    markdown: field('markdown'),
    svg: field('svg'),
    png: field('png'),
    jpeg: field('jpeg'),
    pdf: field('pdf'),
    latex: field('latex'),
    json: line.json as string | undefined,
    javascript: field('javascript'),
    data: line.data as Record<string, unknown> | undefined,
    chart: undefined,
    extra: {},
    // The SDK types raw as strings only; the server's line also holds objects (json, data, extra).
    raw: line as RawData,
    formats: () => [],
    toJSON: () => ({}) as ReturnType<E2bResult['toJSON']>,
  };
}

describe('mimeBundleOf', () => {
  it('puts each field back under the MIME type the server read it from', () => {
    const bundle = mimeBundleOf(e2bResult({ text: '<Figure>', png: 'iVBORw0KGgo=', html: '<table></table>', json: { a: [1] }, extra: {} }, false));
    expect(bundle).toEqual({
      'text/plain': '<Figure>',
      'image/png': 'iVBORw0KGgo=',
      'text/html': '<table></table>',
      'application/json': { a: [1] },
    });
  });

  it("leaves out the formats E2B's template adds (a DataFrame's data, chart data)", () => {
    const bundle = mimeBundleOf(e2bResult({ text: 'df', html: '<table></table>', data: { city: ['Oslo'] }, chart: { type: 'line' }, extra: {} }, true));
    expect(bundle).toEqual({ 'text/plain': 'df', 'text/html': '<table></table>' });
  });

  it("takes MIME types without a field of their own from the server's extra object", () => {
    const bundle = mimeBundleOf(e2bResult({ text: 'fig', extra: { 'application/vnd.plotly.v1+json': { data: [] } } }, true));
    expect(bundle).toEqual({ 'text/plain': 'fig', 'application/vnd.plotly.v1+json': { data: [] } });
  });
});

describe('tracebackLines', () => {
  it('splits the joined traceback into lines and gives none for an empty one', () => {
    expect(tracebackLines('Cell In[1], line 1\n----> 1 1/0\nZeroDivisionError: division by zero')).toEqual([
      'Cell In[1], line 1',
      '----> 1 1/0',
      'ZeroDivisionError: division by zero',
    ]);
    expect(tracebackLines('a\n')).toEqual(['a']);
    expect(tracebackLines('')).toEqual([]);
    expect(tracebackLines(undefined)).toEqual([]);
  });
});
