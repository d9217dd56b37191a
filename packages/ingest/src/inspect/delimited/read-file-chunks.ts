import { open } from 'node:fs/promises';

/** Options of {@link readFileChunks}. */
export interface ReadFileChunksOptions {
  /** Bytes per read. */
  chunkBytes: number;
  /** First byte to read. @defaultValue 0 */
  startByte?: number;
  /** Read up to this byte (exclusive). @defaultValue the end of the file */
  endByte?: number;
  /** Stops the reading: the generator then throws the signal's reason. */
  signal?: AbortSignal;
}

/**
 * The bytes of a file in fixed-size chunks, read into two buffers allocated once: while the
 * caller works on one chunk, the next is read into the other buffer. Memory stays at two
 * chunks whatever the file size, and no garbage is made per chunk.
 *
 * Each chunk is valid until the caller asks for the one after the next: a consumer that is
 * done with a chunk when it asks for the next one (a `for await` loop body) is always safe.
 */
export async function* readFileChunks(path: string, options: ReadFileChunksOptions): AsyncGenerator<Buffer, void, undefined> {
  const { chunkBytes, signal } = options;
  const handle = await open(path, 'r');
  const buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)] as const;
  const end = options.endByte ?? Number.POSITIVE_INFINITY;
  let position = options.startByte ?? 0;
  // Reads run one at a time: the next starts only once the previous one has ended.
  const readInto = async (buffer: Buffer): Promise<Buffer> => {
    const length = Math.min(chunkBytes, end - position);
    if (length <= 0) return buffer.subarray(0, 0);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    position += bytesRead;
    return buffer.subarray(0, bytesRead);
  };
  const startRead = (buffer: Buffer): Promise<Buffer> => {
    const read = readInto(buffer);
    // Marked handled: a failure surfaces where the read is awaited, even if that is later.
    read.catch(() => undefined);
    return read;
  };
  let pending = startRead(buffers[0]);
  try {
    let which = 0;
    for (;;) {
      const chunk = await pending;
      signal?.throwIfAborted();
      if (chunk.length === 0) return;
      which = 1 - which;
      pending = startRead(which === 0 ? buffers[0] : buffers[1]);
      yield chunk;
    }
  } finally {
    // A consumer that stops early leaves a read in flight: let it end before closing.
    await pending.catch(() => undefined);
    await handle.close();
  }
}
