/** Tokenizer states, named after pandas's `tokenizer.c` (the subset `read_csv`'s defaults use). */
const enum State {
  StartRecord,
  StartField,
  InField,
  InQuotedField,
  QuoteInQuotedField,
  WhitespaceLine,
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;

/** A record (one table row, possibly spanning lines) as the tokenizer completed it. */
export interface CsvRecord {
  /** Number of fields. */
  fieldCount: number;
  /** Field texts, only while {@link PandasCsvTokenizer.captureFields} is on. */
  fields: string[] | undefined;
  /** 1-based line on which the record starts. */
  line: number;
}

/** Options of {@link PandasCsvTokenizer}. */
export interface PandasCsvTokenizerOptions {
  /** The single-character field delimiter. */
  delimiter: string;
  /** Receives each record; may throw to stop tokenizing (the exception leaves `write`/`end`). */
  onRecord: (record: CsvRecord) => void;
  /**
   * Most characters kept for one captured record; beyond it `write` throws
   * {@link CapturedRecordTooLongError} (an unclosed quote in a header would otherwise buffer the file).
   */
  maxCapturedChars: number;
}

/** A quoted field was still open at the end of the input (pandas: "EOF inside string"). */
export class UnclosedQuoteError extends Error {
  constructor(readonly line: number) {
    super(`EOF inside string starting on line ${line}`);
    this.name = 'UnclosedQuoteError';
  }
}

/** A captured record grew beyond `maxCapturedChars`. */
export class CapturedRecordTooLongError extends Error {
  constructor(readonly line: number) {
    super(`record starting on line ${line} is too long`);
    this.name = 'CapturedRecordTooLongError';
  }
}

/**
 * Splits delimited text into records exactly as pandas 1.5's C tokenizer does with
 * `read_csv`'s defaults (`quotechar='"'`, `doublequote=True`, no escape character, no comment
 * character, `skip_blank_lines=True`, any line terminator):
 *
 * - `\n`, `\r\n` and a lone `\r` end a line, also mixed in one file;
 * - an empty line, or one of only spaces/tabs (other than the delimiter), is skipped;
 * - a quote opens a quoted field only at the start of a field; elsewhere it is an ordinary
 *   character; `""` inside a quoted field is one quote; a closing quote followed by other text
 *   continues the field unquoted (`"5" wide` is `5 wide`);
 * - line breaks inside a quoted field belong to the field;
 * - input ending inside a quoted field is an error.
 *
 * It streams: state survives across `write` calls, memory holds only the captured record.
 */
export class PandasCsvTokenizer {
  /** Whether field texts are collected (turn off once the header is known: counting needs none). */
  captureFields = true;

  private readonly delimiter: number;
  private readonly onRecord: (record: CsvRecord) => void;
  private readonly maxCapturedChars: number;
  private state = State.StartRecord;
  private fieldCount = 0;
  private fields: string[] = [];
  private field = '';
  private capturedChars = 0;
  private whitespace = '';
  private line = 1;
  private recordLine = 1;
  /** The previous character was a `\r` ending a line: a `\n` right after it belongs to it. */
  private afterCarriageReturn = false;

  constructor(options: PandasCsvTokenizerOptions) {
    if (options.delimiter.length !== 1) throw new Error('PandasCsvTokenizer: the delimiter must be one character');
    this.delimiter = options.delimiter.charCodeAt(0);
    this.onRecord = options.onRecord;
    this.maxCapturedChars = options.maxCapturedChars;
  }

  /** Tokenizes the next piece of text. */
  write(text: string): void {
    const delimiter = this.delimiter;
    let index = 0;
    const length = text.length;
    while (index < length) {
      let code = text.charCodeAt(index);
      if (this.afterCarriageReturn) {
        this.afterCarriageReturn = false;
        if (code === NEWLINE) {
          index += 1;
          continue;
        }
      }
      if (code === CARRIAGE_RETURN && this.state !== State.InQuotedField) {
        // A line end like \n; remember it so that a following \n is not a second (blank) line.
        this.afterCarriageReturn = true;
        code = NEWLINE;
      }
      switch (this.state) {
        case State.StartRecord:
          this.recordLine = this.line;
          if (code === NEWLINE) {
            this.line += 1;
            index += 1;
            continue;
          }
          if ((code === SPACE || code === TAB) && code !== delimiter) {
            this.state = State.WhitespaceLine;
            this.whitespace = '';
            continue;
          }
          this.state = State.StartField;
          continue;

        case State.WhitespaceLine:
          if (code === NEWLINE) {
            this.line += 1;
            this.state = State.StartRecord;
          } else if ((code === SPACE || code === TAB) && code !== delimiter) {
            if (this.captureFields) this.whitespace += code === SPACE ? ' ' : '\t';
          } else {
            // Not blank after all: pandas backtracks to the line start and reads it as a record;
            // the whitespace starts an unquoted field, so a quote after it is literal.
            this.state = State.InField;
            this.appendText(this.whitespace);
            this.whitespace = '';
            continue;
          }
          index += 1;
          continue;

        case State.StartField:
          if (code === QUOTE) {
            this.state = State.InQuotedField;
            index += 1;
          } else if (code === delimiter) {
            this.endField();
            index += 1;
          } else if (code === NEWLINE) {
            this.endField();
            this.endRecord();
            this.line += 1;
            index += 1;
          } else {
            this.state = State.InField;
          }
          continue;

        case State.InField: {
          // Copy runs of ordinary characters at once.
          let end = index;
          while (end < length) {
            const c = text.charCodeAt(end);
            if (c === delimiter || c === NEWLINE || c === CARRIAGE_RETURN) break;
            end += 1;
          }
          if (end > index) {
            this.appendText(text.slice(index, end));
            index = end;
            continue;
          }
          this.endField();
          if (code === NEWLINE) {
            this.endRecord();
            this.line += 1;
          }
          index += 1;
          continue;
        }

        case State.InQuotedField: {
          let end = index;
          while (end < length) {
            const c = text.charCodeAt(end);
            if (c === QUOTE) break;
            if (c === NEWLINE) this.line += 1;
            end += 1;
          }
          if (end > index) {
            this.appendText(text.slice(index, end));
            index = end;
            continue;
          }
          this.state = State.QuoteInQuotedField;
          index += 1;
          continue;
        }

        case State.QuoteInQuotedField:
          if (code === QUOTE) {
            this.appendText('"');
            this.state = State.InQuotedField;
            index += 1;
          } else if (code === delimiter) {
            this.endField();
            index += 1;
          } else if (code === NEWLINE) {
            this.endField();
            this.endRecord();
            this.line += 1;
            index += 1;
          } else {
            this.state = State.InField;
          }
          continue;
      }
    }
  }

  /** Ends the input: completes the last record, or throws {@link UnclosedQuoteError}. */
  end(): void {
    switch (this.state) {
      case State.StartRecord:
      case State.WhitespaceLine:
        return;
      case State.InQuotedField:
        throw new UnclosedQuoteError(this.recordLine);
      case State.StartField:
      case State.InField:
      case State.QuoteInQuotedField:
        this.endField();
        this.endRecord();
    }
  }

  private appendText(text: string): void {
    if (!this.captureFields || text.length === 0) return;
    this.capturedChars += text.length;
    if (this.capturedChars > this.maxCapturedChars) throw new CapturedRecordTooLongError(this.recordLine);
    this.field += text;
  }

  private endField(): void {
    this.fieldCount += 1;
    if (this.captureFields) this.fields.push(this.field);
    this.field = '';
    this.state = State.StartField;
  }

  private endRecord(): void {
    const record: CsvRecord = {
      fieldCount: this.fieldCount,
      fields: this.captureFields ? this.fields : undefined,
      line: this.recordLine,
    };
    this.fieldCount = 0;
    this.fields = [];
    this.capturedChars = 0;
    this.state = State.StartRecord;
    this.onRecord(record);
  }
}
