import { describe, expect, it } from '@jest/globals';
import { DeltaBuffer } from './delta-buffer';

describe('DeltaBuffer', () => {
  it('joins pieces pushed within the flush interval into one publish, in order', async () => {
    const published: string[] = [];
    const buffer = new DeltaBuffer(50, async (text) => void published.push(text), () => undefined);
    buffer.push('a');
    buffer.push('b');
    await new Promise((resolve) => setTimeout(resolve, 120));
    buffer.push('c');
    await buffer.flush();
    expect(published).toEqual(['ab', 'c']);
  });

  it('keeps publishing after a failed publish, and reports the failure', async () => {
    const published: string[] = [];
    const failures: unknown[] = [];
    let first = true;
    const buffer = new DeltaBuffer(
      10_000,
      async (text) => {
        if (first) {
          first = false;
          throw new Error('redis down');
        }
        published.push(text);
      },
      (error) => failures.push(error),
    );
    buffer.push('lost');
    await buffer.flush();
    buffer.push('kept');
    await buffer.flush();
    expect(published).toEqual(['kept']);
    expect(failures).toHaveLength(1);
  });

  it('publishes nothing when nothing was pushed', async () => {
    const published: string[] = [];
    const buffer = new DeltaBuffer(10, async (text) => void published.push(text), () => undefined);
    await buffer.flush();
    expect(published).toEqual([]);
  });
});
