/** A byte order mark at the start of a text file, and the encoding it announces. */
export type Bom = 'utf-8' | 'utf-16le' | 'utf-16be';

/** What the leading sample of a supposed text file shows. */
export interface TextSampleVerdict {
  /** `text`: plausible CSV/TSV text; `utf16-text`: UTF-16 with a byte order mark; `binary`: not text. */
  kind: 'text' | 'utf16-text' | 'binary';
  /** Why it is binary, for logs: the first NUL byte or the share of control bytes. */
  reason?: string;
}

/**
 * Control bytes that never occur in CSV text (all C0 controls except TAB, LF, VT, FF, CR, and
 * SUB, which old DOS tools append as an end-of-file mark; plus DEL).
 */
function isControlByte(byte: number): boolean {
  return (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0b && byte !== 0x0c && byte !== 0x0d && byte !== 0x1a) || byte === 0x7f;
}

/** More than this share of control bytes in the sample means binary data, even without NUL bytes. */
const MAX_CONTROL_BYTE_SHARE = 0.01;

/** The byte order mark at the start of `head`, if any. */
export function detectBom(head: Buffer): Bom | undefined {
  if (head.length >= 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  if (head.length >= 2 && head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head.length >= 2 && head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return undefined;
}

/**
 * Whether a leading sample of a file is text a CSV reader can take.
 *
 * Rules: a UTF-16 byte order mark makes it UTF-16 text (NUL bytes are then expected); otherwise
 * any NUL byte, or more than 1 % control bytes, makes it binary. Whether the text is UTF-8 does
 * not matter here: text that is not is read as Windows-1252 / Latin-1 (see `inspectFile`).
 *
 * @param sample - the first bytes of the file
 */
export function checkTextSample(sample: Buffer): TextSampleVerdict {
  const bom = detectBom(sample);
  if (bom === 'utf-16le' || bom === 'utf-16be') return { kind: 'utf16-text' };
  const nul = sample.indexOf(0);
  if (nul !== -1) return { kind: 'binary', reason: `NUL byte at offset ${nul}` };
  let controls = 0;
  for (const byte of sample) if (isControlByte(byte)) controls += 1;
  if (sample.length > 0 && controls / sample.length > MAX_CONTROL_BYTE_SHARE) {
    return { kind: 'binary', reason: `${controls} control bytes in ${sample.length}` };
  }
  return { kind: 'text' };
}
