import { describe, expect, it } from '@jest/globals';
import { latin1ToCp1252 } from './cp1252';

describe('latin1ToCp1252', () => {
  it('maps 0x80-0x9F to their Windows-1252 characters and leaves the rest', () => {
    const bytes = Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x80, 0x93, 0x94, 0x9f, 0x81]);
    expect(latin1ToCp1252(bytes.toString('latin1'))).toBe('café €\u201c\u201d\u0178\u0081');
  });
});
