import { CellValueError } from './openpyxl-cell';
import type { SharedStringIndex } from './worksheet-scan';
import { type XmlScanHandler, XmlScanner } from './xml-scanner';
import { decodeXmlText, TextCapture } from './xml-text';
import type { ZipArchive, ZipEntry } from './zip-archive';

const SI = 0;
const T = 1;
const R = 2;
const ELEMENTS = ['si', 't', 'r'];

/** The most text kept for one header string; Excel's own limit is 32,767 characters. */
const MAX_STRING_BYTES = 1024 * 1024;
/**
 * Texts starting with one of these bytes might consist of `x005F_` only (which openpyxl removes,
 * leaving an empty string), so they are kept and decoded; any other text is not empty.
 */
const MAYBE_ESCAPE_ONLY: ReadonlySet<number> = new Set([0x78, 0x30, 0x35, 0x46, 0x5f, 0x26]);
/** Such a text longer than this is taken as not empty without decoding it. */
const MAX_CANDIDATE_BYTES = 4096;
/** Strings per page of the empty-string bit set. */
const PAGE_STRINGS = 1 << 16;

/**
 * Which shared strings are empty, one bit per string in pages allocated only where an empty
 * string occurs: memory stays small for any table size (a table of only empty strings costs
 * one bit per string).
 */
export class EmptyStrings implements SharedStringIndex {
  private readonly pages = new Map<number, Uint8Array>();
  /** Strings in the table. */
  count = 0;

  /** Records that string `index` is empty. */
  add(index: number): void {
    const pageNumber = Math.floor(index / PAGE_STRINGS);
    let page = this.pages.get(pageNumber);
    if (page === undefined) {
      page = new Uint8Array(PAGE_STRINGS / 8);
      this.pages.set(pageNumber, page);
    }
    const bit = index % PAGE_STRINGS;
    page[bit >> 3] = (page[bit >> 3] ?? 0) | (1 << (bit & 7));
  }

  /** @inheritdoc */
  isEmpty(index: number): boolean {
    const resolved = resolveIndex(index, this.count);
    const page = this.pages.get(Math.floor(resolved / PAGE_STRINGS));
    if (page === undefined) return false;
    const bit = resolved % PAGE_STRINGS;
    return ((page[bit >> 3] ?? 0) & (1 << (bit & 7))) !== 0;
  }
}

/**
 * A shared string index as Python indexes openpyxl's list (negative from the end).
 * @throws CellValueError where Python raises IndexError
 */
export function resolveIndex(index: number, count: number): number {
  const resolved = index < 0 ? index + count : index;
  if (!Number.isSafeInteger(resolved) || resolved < 0 || resolved >= count) {
    throw new CellValueError(`a cell refers to shared string ${index}, but the workbook has ${count}`);
  }
  return resolved;
}

/** What one pass over the shared string table leaves. */
export interface SharedStringsScan {
  empty: EmptyStrings;
  /** Texts of the wanted strings, by index. */
  texts: Map<number, string>;
}

/** Options of {@link scanSharedStrings}. */
export interface SharedStringsScanOptions {
  /** Indexes whose text is kept (header cells). */
  wanted: ReadonlySet<number>;
  /** The most bytes of wanted text kept in all; beyond it `onTooMuchText` is thrown. */
  maxTextBytes: number;
  /** The error for more wanted text than `maxTextBytes`. */
  onTooMuchText: () => Error;
  signal: AbortSignal;
}

/**
 * Streams the shared string table once: records which strings are empty (as one bit each) and
 * keeps the text of the wanted ones only, never the table. Texts are what openpyxl reads
 * (`read_string_table`: `Text.content`, the last plain `<t>` then each rich text run's last
 * `<t>`, phonetic runs left out, then `x005F_` removed).
 */
export async function scanSharedStrings(zip: ZipArchive, entry: ZipEntry, options: SharedStringsScanOptions): Promise<SharedStringsScan> {
  const handler = new SharedStringsHandler(options);
  const scanner = new XmlScanner(ELEMENTS, [], handler);
  await zip.read(entry, options.signal, (chunk) => {
    scanner.write(chunk);
  });
  scanner.end();
  handler.empty.count = handler.count;
  return { empty: handler.empty, texts: handler.texts };
}

/** One `<t>` of a string: how long it is, and whether it may still be `x005F_` only. */
interface Segment {
  length: number;
  /** Decoded text, when kept (wanted strings, and candidates for being escapes only). */
  text: string | undefined;
  /** Known to survive openpyxl's `x005F_` removal. */
  solid: boolean;
}

const NO_SEGMENT: Segment = { length: 0, text: '', solid: false };

class SharedStringsHandler implements XmlScanHandler {
  readonly wantAttributes = false;
  wantText = false;
  readonly empty = new EmptyStrings();
  readonly texts = new Map<number, string>();
  count = 0;

  private stringDepth = 0;
  private wanted = false;
  private runDepth = 0;
  private textDepth = 0;
  private textLength = 0;
  private textFirstByte = -1;
  private textKept = false;
  private readonly capture = new TextCapture(MAX_STRING_BYTES, 'a shared string of a header cell');
  private plain: Segment = NO_SEGMENT;
  private runSegment: Segment = NO_SEGMENT;
  private runsSolid = false;
  private runsText = '';
  private keptBytes = 0;

  constructor(private readonly options: SharedStringsScanOptions) {}

  open(name: number, depth: number): void {
    if (this.stringDepth === 0) {
      if (name === SI) {
        this.stringDepth = depth;
        this.wanted = this.options.wanted.has(this.count);
        this.plain = NO_SEGMENT;
        this.runsSolid = false;
        this.runsText = '';
        this.runDepth = 0;
        this.textDepth = 0;
      }
      return;
    }
    if (this.textDepth !== 0) {
      // ElementTree's `text` is what comes before the first child element.
      this.wantText = false;
    } else if (name === T && (depth === this.stringDepth + 1 || (this.runDepth !== 0 && depth === this.runDepth + 1))) {
      this.textDepth = depth;
      this.textLength = 0;
      this.textFirstByte = -1;
      this.textKept = false;
      this.capture.clear();
      this.wantText = true;
    } else if (name === R && depth === this.stringDepth + 1 && this.runDepth === 0) {
      this.runDepth = depth;
      this.runSegment = NO_SEGMENT;
    }
  }

  close(_name: number, depth: number): void {
    if (this.stringDepth === 0) return;
    if (depth === this.textDepth) {
      const segment = this.segment();
      if (depth === this.stringDepth + 1) this.plain = segment;
      else this.runSegment = segment;
      this.textDepth = 0;
      this.wantText = false;
    } else if (depth === this.runDepth) {
      const run = this.runSegment;
      if (this.wanted || !run.solid) this.runsText += run.text ?? '';
      if (run.solid) this.runsSolid = true;
      this.runDepth = 0;
    } else if (depth === this.stringDepth) {
      this.closeString();
    }
  }

  text(bytes: Buffer, start: number, end: number): void {
    if (end <= start) return;
    if (this.textLength === 0) {
      this.textFirstByte = bytes[start] ?? -1;
      this.textKept = this.wanted || MAYBE_ESCAPE_ONLY.has(this.textFirstByte);
    }
    this.textLength += end - start;
    if (!this.textKept) return;
    if (!this.wanted && this.textLength > MAX_CANDIDATE_BYTES) {
      this.textKept = false;
      return;
    }
    if (this.wanted) {
      this.keptBytes += end - start;
      if (this.keptBytes > this.options.maxTextBytes) throw this.options.onTooMuchText();
    }
    this.capture.append(bytes, start, end);
  }

  private segment(): Segment {
    if (this.textLength === 0) return NO_SEGMENT;
    const solidStart = !MAYBE_ESCAPE_ONLY.has(this.textFirstByte);
    if (this.wanted) return { length: this.textLength, text: this.capture.text(), solid: solidStart };
    if (!this.textKept) return { length: this.textLength, text: undefined, solid: true };
    return { length: this.textLength, text: decodeXmlText(this.capture.view()), solid: false };
  }

  private closeString(): void {
    const index = this.count;
    this.count += 1;
    this.stringDepth = 0;
    this.wantText = false;
    const plain = this.plain;
    if (this.wanted) {
      const text = `${plain.text ?? ''}${this.runsText}`.replace(/x005F_/g, '');
      this.texts.set(index, text);
      if (text === '') this.empty.add(index);
      return;
    }
    if (this.runsSolid || plain.solid) return;
    if (plain.length === 0 && this.runsText === '') {
      this.empty.add(index);
      return;
    }
    if (`${plain.text ?? ''}${this.runsText}`.replace(/x005F_/g, '') === '') this.empty.add(index);
  }
}
