import { describe, expect, it } from '@jest/globals';
import { scanWorksheetChunks, type SharedStringIndex } from './worksheet-scan';

/** Shared strings 0..9, of which 3 is empty. */
const STRINGS: SharedStringIndex = {
  isEmpty(index) {
    if (index < 0 || index > 9) throw new Error(`no shared string ${index}`);
    return index === 3;
  },
};

const OPTIONS = { maxColumns: 2048, fileName: 'book.xlsx', sheetName: 'Sheet1', signal: new AbortController().signal };

// Cells the fast path reads (plain references, <f> formulas) between cells it leaves to the full
// scanner (no reference, inline strings, prefixes, pretty-printing, entities).
const SHEET = Buffer.from(
  '<worksheet xmlns="urn:main" xmlns:x="urn:main"><dimension ref="A1:Z9"/><sheetData>' +
    '<row r="1" spans="1:5"><c r="A1" t="s"><v>1</v></c><c r="B1" s="1"><v>2.5</v></c><c t="inlineStr"><is><t>h</t></is></c><c r="E1" t="s"><v>3</v></c></row>' +
    '<row r="2"><c r="A2"><f>SUM(B2:C2)</f><v>3</v></c><c r="B2" t="s"><v>3</v></c><c r="C2" s="2"/><c r="D2"><f t="shared" si="0"/><v>1</v></c></row>' +
    '<row r="3">\n  <c r="A3">\n    <v>1</v>\n  </c>\n</row>' +
    '<x:row r="5"><x:c r="F5"><x:v>1</x:v></x:c></x:row>' +
    '<row r="6"><c r="G6" t="s"><v>&#51;</v></c><c r="B6"><v>1</v></c></row>' +
    '<row r="7"><c r="C7" t="s"><v>3</v></c><c r="H7" s="1"/></row>' +
    '<row r="4"><c r="Z4"><v>1</v></c></row>' +
    '<row r="8"><c r="A8"><v></v></c><c r="B8" t="inlineStr"><is><t></t></is></c></row>' +
    '</sheetData></worksheet>',
);

describe('scanWorksheetChunks', () => {
  const whole = scanWorksheetChunks([SHEET], STRINGS, OPTIONS);

  it('finds the last row and the widest column holding a value, as openpyxl and pandas read them', () => {
    // Row 6's last cell is B6: G6 before it falls outside the row; row 4 comes after row 7 and is skipped.
    expect({ lastRowWithValue: whole.lastRowWithValue, width: whole.width }).toEqual({ lastRowWithValue: 6, width: 6 });
    expect([...whole.firstRow.keys()]).toEqual([1, 2, 3, 5]);
    expect(whole.firstRow.get(3)).toEqual({ column: 3, type: 'inlineStr', style: 0, value: undefined, inline: 'h' });
  });

  it('gives the same result wherever the chunks end', () => {
    for (let cut = 1; cut < SHEET.length; cut += 1) {
      expect(scanWorksheetChunks([SHEET.subarray(0, cut), SHEET.subarray(cut)], STRINGS, OPTIONS)).toEqual(whole);
    }
    expect(scanWorksheetChunks(Array.from(SHEET, (byte) => Buffer.from([byte])), STRINGS, OPTIONS)).toEqual(whole);
  });

  it('gives the same result when chunks are longer than the join of a carried tag', () => {
    const body = SHEET.toString().replace(/^.*<sheetData>|<\/sheetData>.*$/g, '');
    const rows = Array.from({ length: 400 }, (_, block) => body.replace(/(<(?:x:)?row r=")(\d+)"/g, (_match, open: string, row: string) => `${open}${block * 10 + Number(row)}"`));
    const big = Buffer.from(`<worksheet xmlns="urn:main" xmlns:x="urn:main"><sheetData>${rows.join('')}</sheetData></worksheet>`);
    const reference = scanWorksheetChunks([big], STRINGS, OPTIONS);
    expect(reference.lastRowWithValue).toBe(3996);
    for (let cut = 70_000; cut < 70_400; cut += 1) {
      expect(scanWorksheetChunks([big.subarray(0, cut), big.subarray(cut)], STRINGS, OPTIONS)).toEqual(reference);
    }
  });

  it('fails on a shared string the table does not have', () => {
    const sheet = Buffer.from('<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>10</v></c></row></sheetData></worksheet>');
    expect(() => scanWorksheetChunks([sheet], STRINGS, OPTIONS)).toThrow('no shared string 10');
  });

  it('fails as soon as a row holds a value beyond maxColumns', () => {
    const sheet = Buffer.from('<worksheet><sheetData><row r="1"><c r="A1"><v>1</v></c><c r="D1"><v>1</v></c></row></sheetData></worksheet>');
    expect(() => scanWorksheetChunks([sheet], STRINGS, { ...OPTIONS, maxColumns: 3 })).toThrow('at most 3');
  });
});
