import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { readFileChunks } from './read-file-chunks';

/** How many file descriptors of this process are open on `path` (Linux /proc). */
async function descriptorsOpenOn(path: string): Promise<number> {
  const fds = await readdir('/proc/self/fd');
  const targets = await Promise.all(fds.map((fd) => readlink(join('/proc/self/fd', fd)).catch(() => '')));
  return targets.filter((target) => target === path).length;
}

describe('readFileChunks', () => {
  let dir = '';
  let path = '';
  const content = randomBytes(10_000);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), `assay-read-chunks-${randomUUID()}-`));
    path = join(dir, 'data.bin');
    await writeFile(path, content);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Copies each chunk as it comes (a chunk's buffer is reused later). */
  async function collect(options: Parameters<typeof readFileChunks>[1]): Promise<Buffer[]> {
    const chunks: Buffer[] = [];
    for await (const chunk of readFileChunks(path, options)) chunks.push(Buffer.from(chunk));
    return chunks;
  }

  it.each([1, 7, 4096, 10_000, 65_536])('gives the whole file in chunks of at most %i bytes', async (chunkBytes) => {
    const chunks = await collect({ chunkBytes });
    expect(Buffer.concat(chunks).equals(content)).toBe(true);
    expect(chunks.every((chunk) => chunk.length > 0 && chunk.length <= chunkBytes)).toBe(true);
  });

  it('reads only the range asked for', async () => {
    expect(Buffer.concat(await collect({ chunkBytes: 300, startByte: 3, endByte: 1_000 })).equals(content.subarray(3, 1_000))).toBe(true);
    expect(await collect({ chunkBytes: 300, startByte: 20_000 })).toEqual([]);
  });

  it('gives nothing for an empty file', async () => {
    await writeFile(path, '');
    expect(await collect({ chunkBytes: 16 })).toEqual([]);
  });

  it('stops with the reason of an aborted signal', async () => {
    const controller = new AbortController();
    const reason = new Error('stop reading');
    let chunks = 0;
    const reading = (async () => {
      for await (const _chunk of readFileChunks(path, { chunkBytes: 100, signal: controller.signal })) {
        chunks += 1;
        if (chunks === 3) controller.abort(reason);
      }
    })();
    await expect(reading).rejects.toBe(reason);
    expect(chunks).toBe(3);
  });

  it('can be left early, closing the file after the read in flight', async () => {
    for await (const chunk of readFileChunks(path, { chunkBytes: 100 })) {
      expect(chunk.equals(content.subarray(0, 100))).toBe(true);
      expect(await descriptorsOpenOn(path)).toBe(1);
      break;
    }
    expect(await descriptorsOpenOn(path)).toBe(0);
  });

  it('fails for a missing file', async () => {
    await expect((async () => {
      for await (const _chunk of readFileChunks(join(dir, 'missing.bin'), { chunkBytes: 10 })) {
        // never reached
      }
    })()).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
