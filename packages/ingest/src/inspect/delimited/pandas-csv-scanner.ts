import { CsvRowKernel, type CsvRowState } from './csv-row-kernel';

/** Scanner states, named after pandas's `tokenizer.c` (the subset `read_csv`'s defaults use). */
const enum State {
  StartRecord,
  StartField,
  InField,
  InQuotedField,
  QuoteInQuotedField,
  WhitespaceLine,
}

/** What a `\r` line end takes with it when the next byte arrives in a later chunk. */
const enum AfterCarriageReturn {
  Nothing,
  /** A `\r` ended a record: a `\n` right after it belongs to it. */
  Newline,
  /** A `\r` ended a blank line: a `\n`, or a delimiter, right after it is swallowed (pandas's EAT_CRNL_NOP). */
  NewlineOrDelimiter,
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;

/** The header record: its fields as raw bytes (decoded by the caller once the encoding is known). */
export interface CsvHeaderRecord {
  /** Number of fields. */
  fieldCount: number;
  /** The bytes of each field (quotes removed, `""` made one quote), at most `maxHeaderFields` of them. */
  fields: Buffer[];
  /** 1-based line on which the header starts. */
  line: number;
}

/** How header text is counted against `maxHeaderChars`. */
export type HeaderCharCount = 'utf-16-units-of-utf-8' | 'bytes';

/** Options of {@link PandasCsvScanner}. */
export interface PandasCsvScannerOptions {
  /** The field delimiter, one ASCII byte other than `"`, `\n` and `\r`. */
  delimiter: number;
  /**
   * Most characters kept for the header record; beyond it `scan` throws
   * {@link HeaderTooLongError} (an unclosed quote in a header would otherwise buffer the file).
   * Characters are JavaScript string units, as the header is later decoded.
   */
  maxHeaderChars: number;
  /** Most header fields whose bytes are kept (the rest are only counted: the caller rejects such a file anyway). */
  maxHeaderFields: number;
  /**
   * Receives the header record as soon as it is complete; may throw to stop scanning (the
   * exception leaves `scan`/`end`).
   */
  onHeader: (header: CsvHeaderRecord) => void;
  /**
   * Whether data rows go through the WebAssembly kernel ({@link CsvRowKernel}) where it runs;
   * `false` keeps every byte in the JavaScript loop (the kernel's reference in tests).
   * @defaultValue true
   */
  useKernel?: boolean;
}

/** A quoted field was still open at the end of the input (pandas: "EOF inside string"). */
export class UnclosedQuoteError extends Error {
  constructor(readonly line: number) {
    super(`EOF inside string starting on line ${line}`);
    this.name = 'UnclosedQuoteError';
  }
}

/** The header record grew beyond `maxHeaderChars`. */
export class HeaderTooLongError extends Error {
  constructor(readonly line: number) {
    super(`header record starting on line ${line} is too long`);
    this.name = 'HeaderTooLongError';
  }
}

/**
 * A data row has more fields than the rows before it (pandas: "Expected 2 fields in line 3,
 * saw 3"); the first data row is exempt, as pandas turns its extra leading fields into the index.
 */
export class ExtraFieldsError extends Error {
  constructor(
    readonly line: number,
    readonly fields: number,
    readonly expected: number,
  ) {
    super(`Expected ${expected} fields in line ${line}, saw ${fields}`);
    this.name = 'ExtraFieldsError';
  }
}

/**
 * Splits delimited text into records exactly as pandas 1.5's C tokenizer does with
 * `read_csv`'s defaults (`quotechar='"'`, `doublequote=True`, no escape character, no comment
 * character, `skip_blank_lines=True`, any line terminator), working on bytes:
 *
 * - `\n`, `\r\n` and a lone `\r` end a line, also mixed in one file;
 * - an empty line, or one of only spaces/tabs (other than the delimiter), is skipped; when such
 *   a line ends in a lone `\r`, a delimiter right after it is dropped (pandas's EAT_CRNL_NOP
 *   state swallows it: `a,b\r\r,x` has the data row `x`);
 * - a quote opens a quoted field only at the start of a field; elsewhere it is an ordinary
 *   character; `""` inside a quoted field is one quote; a closing quote followed by other text
 *   continues the field unquoted (`"5" wide` is `5 wide`);
 * - line breaks inside a quoted field belong to the field;
 * - input ending inside a quoted field is an error;
 * - the first record is the header; a later record with more fields than the ones before it
 *   fails ({@link ExtraFieldsError}), except the first data record, which may be longer.
 *
 * Bytes rather than characters: pandas tokenizes UTF-8 bytes (it re-encodes other encodings
 * to UTF-8 first), and every byte it treats specially is ASCII, which never occurs inside a
 * multi-byte UTF-8 sequence nor means anything else in a single-byte code page. So the same
 * scan serves UTF-8, Windows-1252 and Latin-1 text undecoded; only the header's bytes are kept,
 * for the caller to decode once the encoding is settled. Only counts are kept for data rows,
 * which is what makes the scan fast (runs of ordinary bytes are skipped in tight loops).
 *
 * Not followed: after a lone `\r` line end, pandas mis-reads a line that starts with a space or
 * tab (it backtracks to the previous `\n` only and reads earlier lines again, depending on its
 * 256 KiB buffer). That is a pandas bug with no stable result; this scanner reads such a line
 * as pandas does after `\n`.
 *
 * Speed: once the header is complete, later chunks go to {@link CsvRowKernel}, the same data-row
 * pass compiled to WebAssembly with SIMD (about four times as fast); the JavaScript loop here
 * stays the specification, runs the header and the chunk it ends in, and runs everything where
 * WebAssembly SIMD is unavailable. A randomised test holds the two to the same results.
 *
 * It streams: state survives across `scan` calls (a `\r\n`, a `""` or a field may be split
 * between chunks), and memory holds only the header.
 */
export class PandasCsvScanner {
  private readonly delimiter: number;
  private readonly maxHeaderChars: number;
  private readonly maxHeaderFields: number;
  private readonly onHeader: (header: CsvHeaderRecord) => void;
  /** 1 for the bytes that end an unquoted field: the delimiter, `\n` and `\r`. */
  private readonly fieldEnds = new Uint8Array(256);
  /** 1 for the bytes that matter inside quotes: the quote and `\n` (counted as a line). */
  private readonly quotedStops = new Uint8Array(256);

  /** Everything the data-row pass carries from chunk to chunk (shared with the WebAssembly kernel). */
  private readonly row: CsvRowState = {
    state: State.StartRecord,
    afterCarriageReturn: AfterCarriageReturn.Nothing,
    fieldCount: 0,
    expectedFields: 0,
    line: 1,
    recordLine: 1,
    dataRows: 0,
  };
  private readonly useKernel: boolean;
  /** Created when the first chunk after the header arrives; `undefined` also where it cannot run. */
  private kernel: CsvRowKernel | undefined;

  /** Whether the header is still being read (its bytes are kept). */
  private capturing = true;
  private headerFields: Buffer[] = [];
  private fieldPieces: Buffer[] = [];
  /** Spaces/tabs at the start of a line, kept until the line turns out not to be blank. */
  private pendingWhitespace: Buffer[] = [];
  private pendingWhitespaceBytes = 0;
  /** More leading whitespace than a header may hold: the line must be blank, or the header is too long. */
  private pendingWhitespaceOverflow = false;
  private headerBytes = 0;
  /** UTF-16 units the header's bytes decode to as UTF-8 (bytes minus continuation bytes, plus one per 4-byte lead). */
  private headerUnits = 0;
  /** How header characters are counted; `bytes` once the text turns out single-byte. */
  private headerCharCount: HeaderCharCount = 'utf-16-units-of-utf-8';

  constructor(options: PandasCsvScannerOptions) {
    const { delimiter } = options;
    if (!Number.isInteger(delimiter) || delimiter < 0 || delimiter > 0x7f || delimiter === QUOTE || delimiter === NEWLINE || delimiter === CARRIAGE_RETURN) {
      throw new Error('PandasCsvScanner: the delimiter must be one ASCII byte other than a quote or a line break');
    }
    this.delimiter = delimiter;
    this.maxHeaderChars = options.maxHeaderChars;
    this.maxHeaderFields = options.maxHeaderFields;
    this.onHeader = options.onHeader;
    this.useKernel = options.useKernel ?? true;
    this.fieldEnds[delimiter] = 1;
    this.fieldEnds[NEWLINE] = 1;
    this.fieldEnds[CARRIAGE_RETURN] = 1;
    this.quotedStops[QUOTE] = 1;
    this.quotedStops[NEWLINE] = 1;
  }

  /** Data records so far (the header not included). */
  get rowCount(): number {
    return this.row.dataRows;
  }

  /**
   * Scans the next bytes. The scanner keeps no reference to `bytes` after returning, so the
   * caller may reuse the buffer.
   */
  scan(bytes: Uint8Array): void {
    // Once the header is complete, the WebAssembly kernel does the same work, faster. (The chunk in
    // which the header ends stays in the JavaScript loop below.)
    if (!this.capturing && this.useKernel) {
      this.kernel ??= CsvRowKernel.create();
      if (this.kernel !== undefined) {
        const row = this.row;
        if (this.kernel.scan(bytes, this.delimiter, row)) throw new ExtraFieldsError(row.recordLine, row.fieldCount, row.expectedFields);
        return;
      }
    }
    this.scanInJavaScript(bytes);
  }

  /** The specification of the scan; also the path for the header and where the kernel cannot run. */
  private scanInJavaScript(bytes: Uint8Array): void {
    const length = bytes.length;
    const delimiter = this.delimiter;
    const fieldEnds = this.fieldEnds;
    const quotedStops = this.quotedStops;
    let state = this.row.state;
    let line = this.row.line;
    let recordLine = this.row.recordLine;
    let fieldCount = this.row.fieldCount;
    let capturing = this.capturing;
    let index = 0;
    if (this.row.afterCarriageReturn !== AfterCarriageReturn.Nothing && length > 0) {
      const first = bytes[0];
      if (first === NEWLINE || (first === delimiter && this.row.afterCarriageReturn === AfterCarriageReturn.NewlineOrDelimiter)) index = 1;
      this.row.afterCarriageReturn = AfterCarriageReturn.Nothing;
    }

    // The hot cases loop over consecutive fields themselves and return to the switch only for
    // rarer transitions (empty fields, blank lines, quotes after text): per-field dispatch is
    // what costs most with short fields.
    while (index < length) {
      switch (state) {
        case State.InField:
          for (;;) {
            const start = index;
            let code = 0;
            while (index < length) {
              code = bytes[index] as number;
              if (fieldEnds[code] !== 0) break;
              index += 1;
            }
            if (capturing && index > start) this.capture(bytes, start, index);
            if (index === length) break;
            index += 1;
            fieldCount += 1;
            if (capturing) this.captureEndField();
            if (code === delimiter) {
              state = State.StartField;
              if (index === length) break;
              const next = bytes[index] as number;
              if (fieldEnds[next] === 0 && next !== QUOTE) {
                state = State.InField;
                continue;
              }
              break;
            }
            this.endRecord(fieldCount, recordLine);
            capturing = this.capturing;
            fieldCount = 0;
            line += 1;
            state = State.StartRecord;
            if (code === CARRIAGE_RETURN) {
              if (index === length) this.row.afterCarriageReturn = AfterCarriageReturn.Newline;
              else if (bytes[index] === NEWLINE) index += 1;
            }
            break;
          }
          break;

        case State.InQuotedField:
          for (;;) {
            const start = index;
            while (index < length) {
              const code = bytes[index] as number;
              if (quotedStops[code] !== 0) {
                if (code === QUOTE) break;
                line += 1;
              }
              index += 1;
            }
            if (capturing && index > start) this.capture(bytes, start, index);
            if (index === length) break;
            // The quote ends the field's quoted part, or starts a "" pair.
            index += 1;
            state = State.QuoteInQuotedField;
            if (index === length) break;
            const code = bytes[index] as number;
            if (code === QUOTE) {
              if (capturing) this.capture(bytes, index, index + 1);
              index += 1;
              state = State.InQuotedField;
              continue;
            }
            if (code !== delimiter) break;
            index += 1;
            fieldCount += 1;
            if (capturing) this.captureEndField();
            state = State.StartField;
            if (index === length || bytes[index] !== QUOTE) break;
            index += 1;
            state = State.InQuotedField;
          }
          break;

        case State.StartRecord: {
          const code = bytes[index] as number;
          recordLine = line;
          // Kept for errors thrown while the header is read (the loop's copy is saved at the end).
          if (capturing) this.row.recordLine = line;
          if (code === QUOTE) {
            index += 1;
            state = State.InQuotedField;
          } else if (code === NEWLINE || code === CARRIAGE_RETURN) {
            // A blank line.
            index += 1;
            line += 1;
            if (code === CARRIAGE_RETURN) {
              // A blank line's \r also swallows a delimiter right after it (pandas's EAT_CRNL_NOP).
              if (index === length) this.row.afterCarriageReturn = AfterCarriageReturn.NewlineOrDelimiter;
              else if (bytes[index] === NEWLINE || bytes[index] === delimiter) index += 1;
            }
          } else if ((code === SPACE || code === TAB) && code !== delimiter) {
            state = State.WhitespaceLine;
          } else {
            state = code === delimiter ? State.StartField : State.InField;
          }
          break;
        }

        case State.StartField: {
          const code = bytes[index] as number;
          if (code === QUOTE) {
            index += 1;
            state = State.InQuotedField;
          } else if (fieldEnds[code] === 0) {
            state = State.InField;
          } else {
            // An empty field.
            index += 1;
            fieldCount += 1;
            if (capturing) this.captureEndField();
            if (code !== delimiter) {
              this.endRecord(fieldCount, recordLine);
              capturing = this.capturing;
              fieldCount = 0;
              line += 1;
              state = State.StartRecord;
              if (code === CARRIAGE_RETURN) {
                if (index === length) this.row.afterCarriageReturn = AfterCarriageReturn.Newline;
                else if (bytes[index] === NEWLINE) index += 1;
              }
            }
          }
          break;
        }

        case State.QuoteInQuotedField: {
          const code = bytes[index] as number;
          if (code === QUOTE) {
            if (capturing) this.capture(bytes, index, index + 1);
            index += 1;
            state = State.InQuotedField;
          } else if (fieldEnds[code] === 0) {
            // Text after the closing quote continues the field unquoted.
            state = State.InField;
          } else {
            index += 1;
            fieldCount += 1;
            if (capturing) this.captureEndField();
            if (code === delimiter) {
              state = State.StartField;
            } else {
              this.endRecord(fieldCount, recordLine);
              capturing = this.capturing;
              fieldCount = 0;
              line += 1;
              state = State.StartRecord;
              if (code === CARRIAGE_RETURN) {
                if (index === length) this.row.afterCarriageReturn = AfterCarriageReturn.Newline;
                else if (bytes[index] === NEWLINE) index += 1;
              }
            }
          }
          break;
        }

        case State.WhitespaceLine: {
          const start = index;
          let code = 0;
          while (index < length) {
            code = bytes[index] as number;
            if ((code !== SPACE && code !== TAB) || code === delimiter) break;
            index += 1;
          }
          if (capturing && index > start) this.keepWhitespace(bytes, start, index);
          if (index === length) break;
          if (code === NEWLINE || code === CARRIAGE_RETURN) {
            index += 1;
            line += 1;
            state = State.StartRecord;
            this.dropWhitespace();
            if (code === CARRIAGE_RETURN) {
              // A blank line's \r also swallows a delimiter right after it (pandas's EAT_CRNL_NOP).
              if (index === length) this.row.afterCarriageReturn = AfterCarriageReturn.NewlineOrDelimiter;
              else if (bytes[index] === NEWLINE || bytes[index] === delimiter) index += 1;
            }
          } else {
            // Not blank after all: pandas backtracks to the line start and reads it as a record;
            // the whitespace starts an unquoted field, so a quote after it is literal.
            state = State.InField;
            if (capturing) {
              if (this.pendingWhitespaceOverflow) throw new HeaderTooLongError(this.row.recordLine);
              for (const piece of this.pendingWhitespace) this.capture(piece, 0, piece.length);
            }
            this.dropWhitespace();
          }
          break;
        }
      }
    }

    this.row.state = state;
    this.row.line = line;
    this.row.recordLine = recordLine;
    this.row.fieldCount = fieldCount;
  }

  /** Ends the input: completes the last record, or throws {@link UnclosedQuoteError}. */
  end(): void {
    switch (this.row.state) {
      case State.StartRecord:
      case State.WhitespaceLine:
        return;
      case State.InQuotedField:
        throw new UnclosedQuoteError(this.row.recordLine);
      case State.StartField:
      case State.InField:
      case State.QuoteInQuotedField:
        if (this.capturing) this.captureEndField();
        this.endRecord(this.row.fieldCount + 1, this.row.recordLine);
        this.row.fieldCount = 0;
        this.row.state = State.StartRecord;
    }
  }

  /**
   * Switches header character counting (for the part of the header still to come, and what is
   * kept so far) and checks the limit again under the new count.
   */
  countHeaderCharsAs(count: HeaderCharCount): void {
    this.headerCharCount = count;
    if (this.capturing) this.checkHeaderLength();
  }

  private endRecord(fieldCount: number, recordLine: number): void {
    if (this.capturing) {
      this.capturing = false;
      this.row.expectedFields = fieldCount;
      const fields = this.headerFields;
      this.headerFields = [];
      this.onHeader({ fieldCount, fields, line: recordLine });
      return;
    }
    const rows = this.row.dataRows + 1;
    this.row.dataRows = rows;
    if (fieldCount <= this.row.expectedFields) return;
    if (rows === 1) {
      this.row.expectedFields = fieldCount;
      return;
    }
    throw new ExtraFieldsError(recordLine, fieldCount, this.row.expectedFields);
  }

  /** Keeps `bytes[start, end)` as part of the current header field (copied: the buffer is reused). */
  private capture(bytes: Uint8Array, start: number, end: number): void {
    if (this.headerFields.length >= this.maxHeaderFields) return;
    let units = 0;
    for (let index = start; index < end; index += 1) {
      const code = bytes[index] as number;
      if ((code & 0xc0) !== 0x80) units += 1;
      if (code >= 0xf0) units += 1;
    }
    this.headerBytes += end - start;
    this.headerUnits += units;
    this.checkHeaderLength();
    this.fieldPieces.push(Buffer.from(bytes.subarray(start, end)));
  }

  /** Keeps leading spaces/tabs of a line while the header is read, up to `maxHeaderChars` of them. */
  private keepWhitespace(bytes: Uint8Array, start: number, end: number): void {
    this.pendingWhitespaceBytes += end - start;
    if (this.pendingWhitespaceBytes > this.maxHeaderChars) {
      // Too long for a header; harmless if the line turns out blank.
      this.pendingWhitespaceOverflow = true;
      this.pendingWhitespace = [];
      return;
    }
    this.pendingWhitespace.push(Buffer.from(bytes.subarray(start, end)));
  }

  private dropWhitespace(): void {
    this.pendingWhitespace = [];
    this.pendingWhitespaceBytes = 0;
    this.pendingWhitespaceOverflow = false;
  }

  private checkHeaderLength(): void {
    const chars = this.headerCharCount === 'bytes' ? this.headerBytes : this.headerUnits;
    if (chars > this.maxHeaderChars) throw new HeaderTooLongError(this.row.recordLine);
  }

  private captureEndField(): void {
    if (this.headerFields.length < this.maxHeaderFields) {
      const pieces = this.fieldPieces;
      this.headerFields.push(pieces.length === 1 && pieces[0] !== undefined ? pieces[0] : Buffer.concat(pieces));
    }
    this.fieldPieces = [];
  }
}
