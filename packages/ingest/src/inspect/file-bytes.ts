import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { MarkerScanner } from '../content/marker-scanner';

/** The first `length` bytes of a file (fewer if the file is shorter). */
export async function readHead(path: string, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Which of the byte patterns occur in a file, read as a stream with bounded memory. */
export async function scanFileForMarkers<Name extends string>(path: string, patterns: ReadonlyMap<Name, Buffer>): Promise<ReadonlySet<Name>> {
  const scanner = new MarkerScanner(patterns);
  for await (const chunk of createReadStream(path)) scanner.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return scanner.matches;
}
