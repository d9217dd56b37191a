import { Transform, type TransformCallback } from 'node:stream';
import { TextDecoder } from 'node:util';

/** How the bytes of a delimited text file are turned into characters. */
export type TextDecoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'latin-1';

/** Bytes that Python's cp1252 codec cannot decode (undefined in Windows-1252). */
const CP1252_UNDEFINED = [0x81, 0x8d, 0x8f, 0x90, 0x9d];

/** The file is not valid in the decoding tried; the caller retries with a single-byte code page. */
export class InvalidEncodingError extends Error {
  constructor(readonly decoding: TextDecoding) {
    super(`not valid ${decoding}`);
    this.name = 'InvalidEncodingError';
  }
}

/**
 * Decodes a byte stream into text chunks (object mode: strings). A byte order mark is dropped.
 *
 * UTF-8 and UTF-16 decode strictly: the stream fails with {@link InvalidEncodingError} on the
 * first invalid sequence. `latin-1` never fails; {@link sawCp1252Undefined} then tells whether
 * the file also decodes as cp1252.
 */
export class TextDecodeStream extends Transform {
  private readonly decoder: TextDecoder | undefined;
  private cp1252Undefined = false;

  constructor(readonly decoding: TextDecoding) {
    super({ readableObjectMode: true });
    this.decoder = decoding === 'latin-1' ? undefined : new TextDecoder(decoding, { fatal: true });
  }

  /** Whether a byte undefined in Windows-1252 occurred (only tracked for `latin-1`). */
  get sawCp1252Undefined(): boolean {
    return this.cp1252Undefined;
  }

  override _transform(chunk: unknown, _encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    let text: string;
    if (this.decoder === undefined) {
      if (!this.cp1252Undefined && CP1252_UNDEFINED.some((byte) => bytes.includes(byte))) this.cp1252Undefined = true;
      text = bytes.toString('latin1');
    } else {
      try {
        text = this.decoder.decode(bytes, { stream: true });
      } catch {
        callback(new InvalidEncodingError(this.decoding));
        return;
      }
    }
    this.pushText(text);
    callback();
  }

  override _flush(callback: TransformCallback): void {
    let rest = '';
    if (this.decoder !== undefined) {
      try {
        rest = this.decoder.decode();
      } catch {
        callback(new InvalidEncodingError(this.decoding));
        return;
      }
    }
    this.pushText(rest);
    callback();
  }

  private pushText(text: string): void {
    if (text.length > 0) this.push(text);
  }
}
