import { parseXmlEntry } from './xml-entry';
import type { ZipArchive, ZipEntry } from './zip-archive';

/**
 * Streams the shared string table, calling `onString(index, text)` for each `<si>` with its
 * text as openpyxl reads it (`Text.content`: the plain `<t>` plus the rich text runs, phonetic
 * runs left out, then `x005F_` removed). Nothing is kept between strings.
 *
 * @returns the number of strings
 */
export async function scanSharedStrings(
  zip: ZipArchive,
  entry: ZipEntry,
  signal: AbortSignal,
  onString: (index: number, text: string) => void,
): Promise<number> {
  let index = 0;
  let text = '';
  let inString = false;
  let inText = false;
  let phoneticDepth = 0;
  await parseXmlEntry(
    zip,
    entry,
    {
      open(name) {
        if (name === 'si') {
          inString = true;
          text = '';
        } else if (name === 'rPh') phoneticDepth += 1;
        else if (name === 't' && inString && phoneticDepth === 0) inText = true;
      },
      text(chunk) {
        if (inText) text += chunk;
      },
      close(name) {
        if (name === 't') inText = false;
        else if (name === 'rPh') phoneticDepth -= 1;
        else if (name === 'si') {
          inString = false;
          onString(index, text.replace(/x005F_/g, ''));
          index += 1;
        }
      },
    },
    signal,
  );
  return index;
}

/** One bit of knowledge per shared string, kept compactly: is it the empty string? */
export class EmptyStringFlags {
  private flags = new Uint8Array(1024);
  private count = 0;

  /** Records whether string `index` (given in order) is empty. */
  set(index: number, empty: boolean): void {
    if (index >= this.flags.length) {
      const grown = new Uint8Array(Math.max(this.flags.length * 2, index + 1));
      grown.set(this.flags);
      this.flags = grown;
    }
    this.flags[index] = empty ? 1 : 0;
    this.count = Math.max(this.count, index + 1);
  }

  /** Whether string `index` is empty; an index beyond the table counts as not empty. */
  isEmpty(index: number): boolean {
    return Number.isInteger(index) && index >= 0 && index < this.count && this.flags[index] === 1;
  }
}
