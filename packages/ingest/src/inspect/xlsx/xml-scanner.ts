/** A part's XML is not well-formed, or uses something Assay does not read; the message says which. */
export class XmlScanError extends Error {
  constructor(
    message: string,
    /** `doctype`: the part declares a DTD (entity expansion and external fetches are refused). */
    readonly reason: 'malformed' | 'doctype' | 'too-large' = 'malformed',
  ) {
    super(message);
    this.name = 'XmlScanError';
  }
}

/**
 * What {@link XmlScanner} reports to. The scanner reads `wantAttributes` and `wantText` before
 * each tag and text run, so a handler switches them on only where it needs them: a worksheet
 * handler reads no attribute inside a cell and no text outside `<v>` and `<is>`.
 */
export interface XmlScanHandler {
  /** Parse the attributes of the next start tag (else they are skipped without being read). */
  wantAttributes: boolean;
  /** Report character data (text and CDATA sections) from now on. */
  wantText: boolean;
  /**
   * An element opened. `name` is the index of its local name (prefix dropped) in the scanner's
   * `elementNames`, or -1; `depth` is 1 for the root. Attributes are readable through the
   * scanner until the next call, when `wantAttributes` was on.
   */
  open(name: number, depth: number): void;
  /** The element opened at `depth` closed (also right after `open` for `<empty/>`). */
  close(name: number, depth: number): void;
  /** Raw UTF-8 bytes of character data (undecoded: entities and line ends as in the file). */
  text(bytes: Buffer, start: number, end: number): void;
  /**
   * When set, the scanner offers each `<` to {@link skipAhead} first (a handler's fast path
   * for the bulk of a part).
   */
  fastPath?: boolean;
  /**
   * Consumes complete, balanced elements from `at` (a `<`) on, and returns where scanning goes
   * on: `at` itself when it takes nothing (the scanner then reads the tag as usual). What it
   * consumes must be well-formed and leave the nesting as it was.
   */
  skipAhead?(bytes: Buffer, at: number): number;
}

const LT = 0x3c;
const GT = 0x3e;
const SLASH = 0x2f;
const BANG = 0x21;
const QUESTION = 0x3f;
const COLON = 0x3a;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const SQUOTE = 0x27;
const SPACE = 0x20;
const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;

/** Longest start or end tag (name and attributes) held across read chunks. */
const MAX_TAG_BYTES = 4 * 1024 * 1024;
/** Bytes of a new chunk joined to a carried tag to finish it (longer tags take a full join). */
const JOIN_BYTES = 4 * 1024;
/** Deepest element nesting; spreadsheet parts nest fewer than 10 levels. */
const MAX_DEPTH = 1024;

const COMMENT_OPEN = Buffer.from('<!--');
const COMMENT_CLOSE = Buffer.from('-->');
const CDATA_OPEN = Buffer.from('<![CDATA[');
const CDATA_CLOSE = Buffer.from(']]>');
const PI_CLOSE = Buffer.from('?>');
const DOCTYPE_OPEN = Buffer.from('<!DOCTYPE');
const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

const enum Mode {
  Content,
  Comment,
  Cdata,
  Instruction,
}

function isSpace(byte: number): boolean {
  return byte === SPACE || byte === TAB || byte === LF || byte === CR;
}

/**
 * A streaming XML tokenizer over UTF-8 bytes, written for speed and bounded memory on
 * spreadsheet parts of any size: it walks the bytes once, allocates nothing per tag, never
 * decodes text it is not asked for, and holds at most one tag (up to 4 MiB) across chunks.
 *
 * It checks what the results depend on: tags are well-formed and properly nested (end tag names
 * match), there is one root element, comments, CDATA and processing instructions are closed,
 * and the document is complete at `end()`. It refuses any document type declaration: no DTD is
 * read, so no entity is ever expanded or fetched (billion laughs, external entities). Character
 * references and the five predefined entities are decoded by the caller (`decodeXmlText`) in the
 * text it keeps; text it skips is not validated character by character.
 */
export class XmlScanner {
  /** The buffer the current tag's attribute positions point into. */
  bytes: Buffer = Buffer.alloc(0);
  private readonly attributeStart: Int32Array;
  private readonly attributeEnd: Int32Array;
  /** Which start tag set each attribute position: positions of older tags are stale. */
  private readonly attributeGeneration: Int32Array;
  private generation = 0;

  private readonly names: Buffer[];
  private readonly nameHashes: Int32Array;
  private readonly attributeNames: Buffer[];
  private readonly attributeHashes: Int32Array;
  private nameHash = 0;
  private localHash = 0;
  private localStart = 0;
  private readonly stack = new Int32Array(MAX_DEPTH + 1);
  private readonly nameIds = new Int32Array(MAX_DEPTH + 1);
  private depth = 0;
  private sawRoot = false;
  private mode = Mode.Content;
  private carry: Buffer | undefined;
  private started = false;
  private stopped = false;

  /**
   * @param elementNames - local names the handler tells apart (reported by index)
   * @param attributeNames - unprefixed attribute names whose values the handler reads
   */
  constructor(
    elementNames: readonly string[],
    attributeNames: readonly string[],
    private readonly handler: XmlScanHandler,
  ) {
    this.names = elementNames.map((name) => Buffer.from(name));
    this.nameHashes = Int32Array.from(this.names, hashOf);
    this.attributeNames = attributeNames.map((name) => Buffer.from(name));
    this.attributeHashes = Int32Array.from(this.attributeNames, hashOf);
    this.attributeStart = new Int32Array(attributeNames.length);
    this.attributeEnd = new Int32Array(attributeNames.length);
    this.attributeGeneration = new Int32Array(attributeNames.length).fill(-1);
  }

  /**
   * Where the value of attribute `index` (of the constructor's list) starts in `bytes`, when the
   * last start tag whose attributes were read has it; else -1. It ends at {@link attributeValueEnd}.
   */
  attributeValueStart(index: number): number {
    return this.attributeGeneration[index] === this.generation ? (this.attributeStart[index] ?? -1) : -1;
  }

  /** Where the value of attribute `index` ends (see {@link attributeValueStart}). */
  attributeValueEnd(index: number): number {
    return this.attributeEnd[index] ?? -1;
  }

  /** The raw (undecoded) value of attribute `index` of the last start tag, or undefined. */
  rawAttribute(index: number): Buffer | undefined {
    const start = this.attributeValueStart(index);
    return start < 0 ? undefined : this.bytes.subarray(start, this.attributeEnd[index] ?? start);
  }

  /** Ends the scan early: the handler has what it needs; later bytes are ignored, unchecked. */
  stop(): void {
    this.stopped = true;
  }

  /** Whether {@link stop} was called. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Feeds the next chunk of the part. */
  write(chunk: Buffer): void {
    if (this.stopped) return;
    let bytes = chunk;
    const carry = this.carry;
    if (carry !== undefined) {
      this.carry = undefined;
      // Only for a carried start or end tag: it either completes in the join or fires nothing.
      if (this.started && this.mode === Mode.Content && chunk.length > JOIN_BYTES && carry[1] !== BANG && carry[1] !== QUESTION) {
        // Finish the carried tag on a short join of the two, then go on in the chunk itself:
        // joining whole chunks would copy every byte of the part once more.
        const joined = Buffer.concat([carry, chunk.subarray(0, JOIN_BYTES)]);
        this.bytes = joined;
        const stop = this.scan(joined, carry.length);
        if (this.stopped) return;
        if (this.carry === undefined && this.mode === Mode.Content && stop >= carry.length) {
          this.bytes = chunk;
          this.scan(chunk, chunk.length, stop - carry.length);
          return;
        }
        // The carried construct runs past the join: read it from a full join instead.
        this.carry = undefined;
        bytes = Buffer.concat([carry, chunk]);
        this.bytes = bytes;
        this.scan(bytes, bytes.length);
        return;
      }
      bytes = Buffer.concat([carry, chunk]);
    }
    if (!this.started) {
      if (bytes.length < UTF8_BOM.length && UTF8_BOM.subarray(0, bytes.length).equals(bytes)) {
        this.carry = bytes;
        return;
      }
      this.started = true;
      if (bytes.subarray(0, UTF8_BOM.length).equals(UTF8_BOM)) bytes = bytes.subarray(UTF8_BOM.length);
      else if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
        throw new XmlScanError('it is encoded as UTF-16, which Assay does not read');
      }
    }
    this.bytes = bytes;
    this.scan(bytes, bytes.length);
  }

  /** Checks that the document ended complete (unless stopped early). */
  end(): void {
    if (this.stopped) return;
    if (this.mode !== Mode.Content || this.carry !== undefined) throw new XmlScanError('it ends inside a tag, comment or CDATA section');
    if (this.depth !== 0) throw new XmlScanError('it ends before its elements are closed');
    if (!this.sawRoot) throw new XmlScanError('it has no root element');
  }

  /**
   * Scans `bytes` from `from`, token by token, until the first token boundary at or after
   * `stopAt`, or the end (where an incomplete construct is carried). Returns where it stopped.
   */
  private scan(bytes: Buffer, stopAt: number, from = 0): number {
    const handler = this.handler;
    const n = bytes.length;
    let i = from;
    if (this.mode !== Mode.Content) {
      i = this.resumeSpecial(bytes, i);
      if (i < 0) return n;
    }
    while (i < n && !this.stopped) {
      if (i >= stopAt) return i;
      let j = i;
      while (j < n && bytes[j] !== LT) j += 1;
      if (j > i) {
        if (this.depth === 0) this.checkOutsideText(bytes, i, j);
        else if (handler.wantText) handler.text(bytes, i, j);
      }
      if (j >= n) return n;
      if (handler.fastPath === true && handler.skipAhead !== undefined) {
        const after = handler.skipAhead(bytes, j);
        if (after !== j) {
          i = after;
          continue;
        }
      }
      const next = j + 1 < n ? bytes[j + 1] : -1;
      let after: number;
      if (next === SLASH) after = this.endTag(bytes, j);
      else if (next === BANG) after = this.markup(bytes, j);
      else if (next === QUESTION) after = this.instruction(bytes, j);
      else if (next === -1) after = -1;
      else after = this.startTag(bytes, j);
      if (after < 0) {
        // Incomplete (or the rest of the chunk is a comment/CDATA section handled in a mode).
        if (this.mode === Mode.Content) this.keep(bytes, j);
        return n;
      }
      i = after;
    }
    return i;
  }

  /** Continues a comment, CDATA section or processing instruction; returns where content resumes, or -1. */
  private resumeSpecial(bytes: Buffer, from: number): number {
    const close = this.mode === Mode.Comment ? COMMENT_CLOSE : this.mode === Mode.Cdata ? CDATA_CLOSE : PI_CLOSE;
    const at = bytes.indexOf(close, from);
    if (at < 0) {
      // Keep the bytes that could begin the closing sequence.
      const keepFrom = Math.max(from, bytes.length - (close.length - 1));
      if (this.mode === Mode.Cdata && keepFrom > from && this.handler.wantText) this.handler.text(bytes, from, keepFrom);
      this.carry = Buffer.from(bytes.subarray(keepFrom));
      return -1;
    }
    if (this.mode === Mode.Cdata && at > from && this.handler.wantText) this.handler.text(bytes, from, at);
    this.mode = Mode.Content;
    return at + close.length;
  }

  private keep(bytes: Buffer, from: number): void {
    if (bytes.length - from > MAX_TAG_BYTES) throw new XmlScanError(`a tag is longer than ${MAX_TAG_BYTES} bytes`, 'too-large');
    this.carry = bytes.subarray(from);
  }

  private checkOutsideText(bytes: Buffer, start: number, end: number): void {
    for (let k = start; k < end; k += 1) {
      const byte = bytes[k] ?? SPACE;
      if (!isSpace(byte)) throw new XmlScanError('it has text outside its root element');
    }
  }

  /** `<!--`, `<![CDATA[`, `<!DOCTYPE`: returns the index after it, or -1 (carried or in a mode). */
  private markup(bytes: Buffer, at: number): number {
    const n = bytes.length;
    if (startsWithAt(bytes, at, COMMENT_OPEN)) {
      this.mode = Mode.Comment;
      return this.resumeSpecial(bytes, at + COMMENT_OPEN.length);
    }
    if (startsWithAt(bytes, at, CDATA_OPEN)) {
      if (this.depth === 0) throw new XmlScanError('it has a CDATA section outside its root element');
      this.mode = Mode.Cdata;
      return this.resumeSpecial(bytes, at + CDATA_OPEN.length);
    }
    if (startsWithAt(bytes, at, DOCTYPE_OPEN)) {
      throw new XmlScanError('it declares a document type (DTD), which spreadsheet files never do', 'doctype');
    }
    const available = n - at;
    if (available < CDATA_OPEN.length && (isPrefix(bytes, at, COMMENT_OPEN) || isPrefix(bytes, at, CDATA_OPEN) || isPrefix(bytes, at, DOCTYPE_OPEN))) return -1;
    throw new XmlScanError('it has a malformed <! declaration');
  }

  private instruction(bytes: Buffer, at: number): number {
    this.mode = Mode.Instruction;
    return this.resumeSpecial(bytes, at + 2);
  }

  /**
   * Reads a tag name from `from`: sets `nameHash` (of the qualified name, to match end tags),
   * `localHash` and `localStart` (after the prefix); returns its end, or -1 when the chunk ends
   * first.
   */
  private readName(bytes: Buffer, from: number): number {
    const n = bytes.length;
    let hash = 0;
    let localHash = 0;
    let localStart = from;
    for (let k = from; k < n; k += 1) {
      const byte = bytes[k] ?? GT;
      if (byte <= GT) {
        if (byte === GT || byte === SLASH || byte === SPACE || byte === TAB || byte === LF || byte === CR) {
          this.nameHash = hash;
          this.localHash = localHash;
          this.localStart = localStart;
          return k;
        }
        if (byte === COLON) {
          localStart = k + 1;
          localHash = 0;
          hash = (Math.imul(hash, 31) + byte) | 0;
          continue;
        }
        if (byte === LT || byte === EQUALS || byte === DQUOTE || byte === SQUOTE || byte === BANG) {
          throw new XmlScanError('it has a malformed tag name');
        }
      }
      hash = (Math.imul(hash, 31) + byte) | 0;
      localHash = (Math.imul(localHash, 31) + byte) | 0;
    }
    return -1;
  }

  private endTag(bytes: Buffer, at: number): number {
    const nameStart = at + 2;
    const nameEnd = this.readName(bytes, nameStart);
    if (nameEnd < 0) return -1;
    let k = nameEnd;
    const n = bytes.length;
    while (k < n && isSpace(bytes[k] ?? GT)) k += 1;
    if (k >= n) return -1;
    if (bytes[k] !== GT || nameEnd === nameStart) throw new XmlScanError('it has a malformed end tag');
    const depth = this.depth;
    if (depth === 0) throw new XmlScanError('it closes an element it never opened');
    if (this.nameHash !== this.stack[depth]) throw new XmlScanError('it has an end tag that does not match its start tag');
    this.depth = depth - 1;
    this.handler.close(this.nameIds[depth] ?? -1, depth);
    return k + 1;
  }

  private startTag(bytes: Buffer, at: number): number {
    const nameStart = at + 1;
    const nameEnd = this.readName(bytes, nameStart);
    if (nameEnd < 0) return -1;
    if (nameEnd === nameStart) throw new XmlScanError('it has a malformed start tag');
    const nameHash = this.nameHash;
    const id = this.lookupName(bytes, this.localStart, nameEnd, this.localHash);
    this.generation = (this.generation + 1) | 0;
    const tagEnd = this.handler.wantAttributes ? this.readAttributes(bytes, nameEnd) : skipAttributes(bytes, nameEnd);
    if (tagEnd < 0) return -1;
    if (this.depth === 0 && this.sawRoot) throw new XmlScanError('it has more than one root element');
    if (this.depth >= MAX_DEPTH) throw new XmlScanError(`it nests elements more than ${MAX_DEPTH} levels deep`, 'too-large');
    this.sawRoot = true;
    const depth = this.depth + 1;
    this.depth = depth;
    this.stack[depth] = nameHash;
    this.nameIds[depth] = id;
    this.handler.open(id, depth);
    if (bytes[tagEnd - 1] === SLASH) {
      this.depth = depth - 1;
      this.handler.close(id, depth);
    }
    return tagEnd + 1;
  }

  /** The index of the local name in `names`, or -1. */
  private lookupName(bytes: Buffer, start: number, end: number, hash: number): number {
    const hashes = this.nameHashes;
    for (let index = 0; index < hashes.length; index += 1) {
      if (hashes[index] === hash && sameBytes(bytes, start, end, this.names[index])) return index;
    }
    return -1;
  }

  /**
   * Parses attributes from `from` to the tag's `>`, recording the values of known names.
   * Returns the index of `>` (the byte before it is `/` for an empty element), or -1.
   */
  private readAttributes(bytes: Buffer, from: number): number {
    const n = bytes.length;
    let k = from;
    for (;;) {
      const spaceStart = k;
      while (k < n && isSpace(bytes[k] ?? GT)) k += 1;
      if (k >= n) return -1;
      const byte = bytes[k];
      if (byte === GT) return k;
      if (byte === SLASH) {
        if (k + 1 >= n) return -1;
        if (bytes[k + 1] !== GT) throw new XmlScanError('it has a malformed empty-element tag');
        return k + 1;
      }
      if (k === spaceStart) throw new XmlScanError('it has attributes without space between them');
      const nameStart = k;
      let hash = 0;
      while (k < n) {
        const b = bytes[k] ?? GT;
        if (b <= GT) {
          if (b === EQUALS || b === SPACE || b === TAB || b === LF || b === CR) break;
          if (b === GT || b === SLASH || b === LT || b === DQUOTE || b === SQUOTE) throw new XmlScanError('it has a malformed attribute');
        }
        hash = (Math.imul(hash, 31) + b) | 0;
        k += 1;
      }
      const nameEnd = k;
      while (k < n && isSpace(bytes[k] ?? GT)) k += 1;
      if (k >= n) return -1;
      if (bytes[k] !== EQUALS || nameEnd === nameStart) throw new XmlScanError('it has an attribute without a value');
      k += 1;
      while (k < n && isSpace(bytes[k] ?? GT)) k += 1;
      if (k >= n) return -1;
      const quote = bytes[k];
      if (quote !== DQUOTE && quote !== SQUOTE) throw new XmlScanError('it has an unquoted attribute value');
      const valueStart = k + 1;
      k = valueStart;
      while (k < n) {
        const b = bytes[k];
        if (b === quote) break;
        if (b === LT) throw new XmlScanError('it has < in an attribute value');
        k += 1;
      }
      if (k >= n) return -1;
      const hashes = this.attributeHashes;
      for (let index = 0; index < hashes.length; index += 1) {
        if (hashes[index] === hash && sameBytes(bytes, nameStart, nameEnd, this.attributeNames[index])) {
          this.attributeStart[index] = valueStart;
          this.attributeEnd[index] = k;
          this.attributeGeneration[index] = this.generation;
          break;
        }
      }
      k += 1;
    }
  }
}

function sameBytes(bytes: Buffer, start: number, end: number, name: Buffer | undefined): boolean {
  if (name === undefined || name.length !== end - start) return false;
  for (let k = 0; k < name.length; k += 1) if (bytes[start + k] !== name[k]) return false;
  return true;
}

/** The same hash `readName` computes, for registered names. */
function hashOf(name: Buffer): number {
  let hash = 0;
  for (const byte of name) hash = (Math.imul(hash, 31) + byte) | 0;
  return hash;
}

/** Skips attributes (quote-aware: `>` may appear in values) to the tag's `>`; -1 when the chunk ends first. */
function skipAttributes(bytes: Buffer, from: number): number {
  const n = bytes.length;
  let k = from;
  let quote = 0;
  while (k < n) {
    const byte = bytes[k];
    if (quote !== 0) {
      if (byte === quote) quote = 0;
      else if (byte === LT) throw new XmlScanError('it has < in an attribute value');
    } else if (byte === GT) {
      return k;
    } else if (byte === DQUOTE || byte === SQUOTE) {
      quote = byte;
    } else if (byte === LT) {
      throw new XmlScanError('it has a malformed tag');
    }
    k += 1;
  }
  return -1;
}

function startsWithAt(bytes: Buffer, at: number, prefix: Buffer): boolean {
  if (bytes.length - at < prefix.length) return false;
  for (let k = 0; k < prefix.length; k += 1) if (bytes[at + k] !== prefix[k]) return false;
  return true;
}

/** Whether the bytes from `at` to the end of the chunk are the beginning of `prefix`. */
function isPrefix(bytes: Buffer, at: number, prefix: Buffer): boolean {
  const length = Math.min(prefix.length, bytes.length - at);
  for (let k = 0; k < length; k += 1) if (bytes[at + k] !== prefix[k]) return false;
  return true;
}
