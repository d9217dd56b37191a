import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';

/** Deterministic pseudo-random bytes, produced chunk by chunk (never held whole). */
export function generatedContent(totalBytes: number, seed: number, chunkBytes = 64 * 1024): { stream: () => Readable; sha256: string } {
  const chunks = function* (): Generator<Buffer> {
    let state = seed >>> 0 || 1;
    for (let offset = 0; offset < totalBytes; offset += chunkBytes) {
      const chunk = Buffer.allocUnsafe(Math.min(chunkBytes, totalBytes - offset));
      for (let i = 0; i < chunk.length; i++) {
        // xorshift32: cheap, and no two parts of the content look alike.
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        chunk[i] = state & 0xff;
      }
      yield chunk;
    }
  };
  const hash = createHash('sha256');
  for (const chunk of chunks()) hash.update(chunk);
  return { stream: () => Readable.from(chunks()), sha256: hash.digest('hex') };
}
