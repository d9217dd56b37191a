/**
 * Windows-1252 characters for bytes 0x80-0x9F (the only range where it differs from Latin-1);
 * the five bytes cp1252 leaves undefined keep their Latin-1 (C1 control) meaning here. Written
 * out because Node 20's `TextDecoder('windows-1252')` decodes as plain Latin-1.
 */
const HIGH_CONTROLS = [
  '\u20ac', '\u0081', '\u201a', '\u0192', '\u201e', '\u2026', '\u2020', '\u2021',
  '\u02c6', '\u2030', '\u0160', '\u2039', '\u0152', '\u008d', '\u017d', '\u008f',
  '\u0090', '\u2018', '\u2019', '\u201c', '\u201d', '\u2022', '\u2013', '\u2014',
  '\u02dc', '\u2122', '\u0161', '\u203a', '\u0153', '\u009d', '\u017e', '\u0178',
];

/**
 * Re-reads text that was decoded as Latin-1 (one character per byte) as Windows-1252, as
 * Python's cp1252 codec would have decoded the same bytes.
 */
export function latin1ToCp1252(text: string): string {
  return text.replace(/[\u0080-\u009f]/g, (char) => HIGH_CONTROLS[char.charCodeAt(0) - 0x80] ?? char);
}
