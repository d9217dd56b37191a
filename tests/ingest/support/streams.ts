import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** What came out of a pipeline through a Transform under test. */
export interface PipedResult {
  /** Bytes that reached the end of the pipeline. */
  output: Buffer;
  /** Bytes the source handed out before the pipeline ended (less than the input on an early abort). */
  bytesRead: number;
  /** The pipeline's error, if it failed. */
  error: unknown;
}

/**
 * Streams `input` in chunks of `chunkSize` bytes through `transform` into memory, the way the
 * gateway pipes a request into storage, and reports what arrived and how the pipeline ended.
 */
export async function pipeThrough(input: Buffer, transform: NodeJS.ReadWriteStream, chunkSize: number): Promise<PipedResult> {
  let offset = 0;
  let bytesRead = 0;
  const source = new Readable({
    read() {
      if (offset >= input.length) {
        this.push(null);
        return;
      }
      const chunk = input.subarray(offset, offset + chunkSize);
      offset += chunk.length;
      bytesRead += chunk.length;
      this.push(chunk);
    },
  });
  const chunks: Buffer[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(Buffer.from(chunk));
      callback();
    },
  });
  let error: unknown;
  try {
    await pipeline(source, transform, sink);
  } catch (caught) {
    error = caught;
  }
  return { output: Buffer.concat(chunks), bytesRead, error };
}
