import { isUtf8 } from 'node:buffer';

/** Bytes a lead byte announces for its sequence (1 for ASCII and for bytes that cannot lead). */
function sequenceLength(lead: number): number {
  if (lead < 0xc0) return 1;
  if (lead < 0xe0) return 2;
  if (lead < 0xf0) return 3;
  return 4;
}

/**
 * Tells whether a byte stream is valid UTF-8 (as Python's strict `utf-8` codec sees it: no
 * overlong forms, no surrogates, nothing above U+10FFFF), chunk by chunk without decoding.
 *
 * Node's `buffer.isUtf8` (simdutf, several GB/s) does the work; this class only carries a
 * multi-byte sequence cut by a chunk boundary over to the next chunk.
 */
export class Utf8Validator {
  /** The start of a sequence cut at the end of the previous chunk (at most 3 bytes). */
  private carry: Buffer = Buffer.alloc(0);
  private valid = true;

  /** Whether everything pushed so far is valid (a sequence still cut at the end is not counted yet). */
  get isValid(): boolean {
    return this.valid;
  }

  /** Checks the next chunk; returns whether the stream is still valid. */
  push(bytes: Uint8Array): boolean {
    if (!this.valid) return false;
    let start = 0;
    if (this.carry.length > 0) {
      const lead = this.carry[0] ?? 0;
      const missing = sequenceLength(lead) - this.carry.length;
      if (bytes.length < missing) {
        this.carry = Buffer.concat([this.carry, bytes]);
        return true;
      }
      const sequence = Buffer.concat([this.carry, bytes.subarray(0, missing)]);
      this.carry = Buffer.alloc(0);
      if (!isUtf8(sequence)) return this.fail();
      start = missing;
    }
    const cut = incompleteTailStart(bytes, start);
    if (cut > start && !isUtf8(bytes.subarray(start, cut))) return this.fail();
    if (cut < bytes.length) this.carry = Buffer.from(bytes.subarray(cut));
    return true;
  }

  /** Ends the stream: returns whether it was valid, with no sequence left unfinished. */
  end(): boolean {
    if (this.carry.length > 0) this.valid = false;
    return this.valid;
  }

  private fail(): boolean {
    this.valid = false;
    this.carry = Buffer.alloc(0);
    return false;
  }
}

/**
 * Where a multi-byte sequence that the chunk cuts off begins (`bytes.length` when none does).
 * Only the last three bytes can start one; bytes that cannot be valid are left to `isUtf8`.
 */
function incompleteTailStart(bytes: Uint8Array, from: number): number {
  const length = bytes.length;
  for (let index = length - 1; index >= Math.max(from, length - 3); index -= 1) {
    const code = bytes[index] ?? 0;
    if (code < 0x80) return length;
    if (code >= 0xc0) return length - index < sequenceLength(code) ? index : length;
    // A continuation byte: look further back for its lead.
  }
  return length;
}
