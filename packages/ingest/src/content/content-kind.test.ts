import { describe, expect, it } from '@jest/globals';
import { detectMagic, markersIn, refineOle2, refineZip } from './content-kind';
import { checkTextSample } from './text-sample';

describe('content classification', () => {
  it.each([
    ['%PDF-1.7\n', 'pdf'],
    ['PK\x03\x04\x14\x00', 'zip'],
    ['\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00', 'ole2'],
    ['\x89PNG\r\n\x1a\n\x00', 'png'],
    ['\x1f\x8b\x08\x00', 'gzip'],
    ['BZh91AY&SY\x00', 'bzip2'],
    ['SQLite format 3\x00', 'sqlite'],
  ])('recognises %j as %s', (head, kind) => {
    expect(detectMagic(Buffer.from(head, 'latin1'))).toBe(kind);
  });

  it('does not take text that happens to start like a magic number for a binary format', () => {
    expect(detectMagic(Buffer.from('BZh,name\n1,2\n'))).toBeUndefined();
    expect(detectMagic(Buffer.from('PAR1,PAR2\n1,2\n'))).toBeUndefined();
    expect(detectMagic(Buffer.from('id,name\n'))).toBeUndefined();
  });

  it('tells text from binary data', () => {
    expect(checkTextSample(Buffer.from('a,b\r\n1,2\n')).kind).toBe('text');
    expect(checkTextSample(Buffer.from('caf\xe9;\x80\n', 'latin1')).kind).toBe('text');
    expect(checkTextSample(Buffer.from('a,b\x00\n')).kind).toBe('binary');
    expect(checkTextSample(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n', 'utf16le')])).kind).toBe('utf16-text');
    expect(checkTextSample(Buffer.from('\x01\x02\x03abc')).kind).toBe('binary');
  });

  it('names what a ZIP or OLE2 container holds from the part names in it', () => {
    const xlsx = markersIn(Buffer.from('PK\x03\x04..[Content_Types].xml..xl/workbook.xml..'));
    expect(refineZip(xlsx, true)).toBe('xlsx');
    expect(refineZip(markersIn(Buffer.from('PK\x03\x04..xl/theme/theme1.xml')), false)).toBe('xlsx');
    expect(refineZip(markersIn(Buffer.from('PK\x03\x04..xl/theme/theme1.xml')), true)).toBe('zip');
    expect(refineZip(markersIn(Buffer.from('PK\x03\x04..word/document.xml')), true)).toBe('docx');
    expect(refineOle2(markersIn(Buffer.from('EncryptedPackage', 'utf16le')))).toBe('encrypted-office');
    expect(refineOle2(markersIn(Buffer.from('Workbook', 'utf16le')))).toBe('xls');
    expect(refineOle2(new Set())).toBe('ole2');
  });
});
