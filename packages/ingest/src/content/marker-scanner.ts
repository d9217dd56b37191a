/**
 * Finds fixed byte patterns in a stream of chunks, including patterns split across two chunks,
 * keeping only `longest pattern - 1` bytes between calls (bounded memory, one pass).
 *
 * Used to see zip entry names and OLE2 directory names while an upload streams through.
 */
export class MarkerScanner<Name extends string> {
  private readonly patterns: ReadonlyArray<readonly [Name, Buffer]>;
  private readonly overlap: number;
  private readonly found = new Set<Name>();
  private tail: Buffer = Buffer.alloc(0);

  constructor(patterns: ReadonlyMap<Name, Buffer>) {
    this.patterns = [...patterns.entries()].filter(([, bytes]) => bytes.length > 0);
    this.overlap = Math.max(0, ...this.patterns.map(([, bytes]) => bytes.length - 1));
  }

  /** Scans the next chunk of the stream. */
  push(chunk: Buffer): void {
    if (chunk.length === 0 || this.found.size === this.patterns.length) return;
    // A pattern split across the boundary lies in (tail + first bytes of chunk); anything else
    // lies wholly in the chunk. Neither search copies the whole chunk.
    const seam = this.tail.length > 0 ? Buffer.concat([this.tail, chunk.subarray(0, this.overlap)]) : undefined;
    for (const [name, bytes] of this.patterns) {
      if (this.found.has(name)) continue;
      if ((seam !== undefined && seam.includes(bytes)) || chunk.includes(bytes)) this.found.add(name);
    }
    if (this.overlap === 0) return;
    const recent = chunk.length >= this.overlap ? chunk : Buffer.concat([this.tail, chunk]);
    // Copy so the caller's (possibly pooled) chunk is not retained.
    this.tail = Buffer.from(recent.subarray(Math.max(0, recent.length - this.overlap)));
  }

  /** The names of the patterns seen so far. */
  get matches(): ReadonlySet<Name> {
    return this.found;
  }
}
