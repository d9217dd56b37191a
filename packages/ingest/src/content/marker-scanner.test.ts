import { describe, expect, it } from '@jest/globals';
import { MarkerScanner } from './marker-scanner';

function scan(text: Buffer, chunkSize: number): ReadonlySet<string> {
  const scanner = new MarkerScanner(
    new Map([
      ['workbook', Buffer.from('xl/workbook.xml')],
      ['types', Buffer.from('[Content_Types].xml')],
      ['wide', Buffer.from('Workbook', 'utf16le')],
    ]),
  );
  for (let offset = 0; offset < text.length; offset += chunkSize) scanner.push(text.subarray(offset, offset + chunkSize));
  return scanner.matches;
}

describe('MarkerScanner', () => {
  const text = Buffer.concat([
    Buffer.from('PK\x03\x04....[Content_Types].xml....'),
    Buffer.alloc(100, 0x41),
    Buffer.from('xl/workbook.xml'),
    Buffer.from('Workbook', 'utf16le'),
  ]);

  it.each([1, 2, 3, 7, 15, 16, 64, 1000])('finds patterns split across chunks of %i bytes', (size) => {
    expect([...scan(text, size)].sort()).toEqual(['types', 'wide', 'workbook']);
  });

  it('does not report a pattern that is only partly present', (): void => {
    const partial = Buffer.from('xl/workbook.xm|[Content_Types].xm|Workboo');
    for (const size of [1, 4, 100]) expect(scan(partial, size).size).toBe(0);
  });

  it('does not join bytes that were never adjacent', () => {
    // "xl/work" at the end of one chunk and "book.xml" at the start of the next chunk of a
    // *different* position must not be confused: patterns only match contiguous input.
    const scanner = new MarkerScanner(new Map([['p', Buffer.from('abcdef')]]));
    scanner.push(Buffer.from('xxabc'));
    scanner.push(Buffer.from('Xdef'));
    expect(scanner.matches.size).toBe(0);
    scanner.push(Buffer.from('abcde'));
    scanner.push(Buffer.from('fz'));
    expect(scanner.matches.has('p')).toBe(true);
  });
});
