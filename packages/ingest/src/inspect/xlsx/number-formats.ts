import { XmlScanError } from './xml-scanner';

/**
 * openpyxl's built-in number formats (`openpyxl.styles.numbers.BUILTIN_FORMATS`); ids it does
 * not list (such as the CJK date formats 27-36) are not dates for openpyxl, so not for pandas.
 */
const BUILTIN_FORMATS: Readonly<Record<number, string>> = {
  0: 'General', 1: '0', 2: '0.00', 3: '#,##0', 4: '#,##0.00',
  5: '"$"#,##0_);("$"#,##0)', 6: '"$"#,##0_);[Red]("$"#,##0)', 7: '"$"#,##0.00_);("$"#,##0.00)',
  8: '"$"#,##0.00_);[Red]("$"#,##0.00)', 9: '0%', 10: '0.00%', 11: '0.00E+00', 12: '# ?/?', 13: '# ??/??',
  14: 'mm-dd-yy', 15: 'd-mmm-yy', 16: 'd-mmm', 17: 'mmm-yy', 18: 'h:mm AM/PM', 19: 'h:mm:ss AM/PM',
  20: 'h:mm', 21: 'h:mm:ss', 22: 'm/d/yy h:mm',
  37: '#,##0_);(#,##0)', 38: '#,##0_);[Red](#,##0)', 39: '#,##0.00_);(#,##0.00)', 40: '#,##0.00_);[Red](#,##0.00)',
  41: '_(* #,##0_);_(* \\(#,##0\\);_(* "-"_);_(@_)', 42: '_("$"* #,##0_);_("$"* \\(#,##0\\);_("$"* "-"_);_(@_)',
  43: '_(* #,##0.00_);_(* \\(#,##0.00\\);_(* "-"??_);_(@_)', 44: '_("$"* #,##0.00_)_("$"* \\(#,##0.00\\)_("$"* "-"??_)_(@_)',
  45: 'mm:ss', 46: '[h]:mm:ss', 47: 'mmss.0', 48: '##0.0E+0', 49: '@',
};

/** Quoted literals and bracketed parts other than elapsed-time units, which openpyxl ignores. */
const STRIP = /".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]/g;
const DATE_PART = /[^\\][dmhysDMHYS]/;

/** openpyxl's `is_date_format`: does the first section of a number format show a date or time? */
export function isDateFormat(format: string | undefined): boolean {
  if (format === undefined) return false;
  const first = format.split(';')[0] ?? '';
  return DATE_PART.test(first.replace(STRIP, ''));
}

/** Which cell styles (`s` of a cell) format dates. */
export interface DateStyles {
  has(style: number): boolean;
}

/**
 * Most cell styles and custom number formats read. Excel allows 64,000 cell styles and a few
 * hundred formats; far more is a hostile file, refused rather than held in memory.
 */
const MAX_CELL_STYLES = 4_000_000;
const MAX_CUSTOM_FORMATS = 100_000;

/**
 * Accumulates `xl/styles.xml` events into the set of cell style indexes (`s` attribute of a
 * cell) whose number format is a date, as openpyxl's `Stylesheet._normalise_numbers` does.
 */
export class DateStyleCollector {
  private readonly custom = new Map<number, string>();
  private styleFormats = new Int32Array(1024);
  private styleCount = 0;
  private inCellXfs = false;

  /**
   * Feeds one opening tag.
   * @throws XmlScanError beyond 4,000,000 cell styles or 100,000 number formats
   */
  open(name: string, attributes: Readonly<Record<string, string>>): void {
    if (name === 'numFmt') {
      const id = Number(attributes.numFmtId);
      if (Number.isInteger(id) && attributes.formatCode !== undefined) this.custom.set(id, attributes.formatCode);
      if (this.custom.size > MAX_CUSTOM_FORMATS) throw new XmlScanError(`the styles part has more than ${MAX_CUSTOM_FORMATS} number formats`, 'too-large');
    } else if (name === 'cellXfs') {
      this.inCellXfs = true;
    } else if (name === 'xf' && this.inCellXfs) {
      if (this.styleCount === this.styleFormats.length) {
        if (this.styleCount >= MAX_CELL_STYLES) throw new XmlScanError(`the styles part has more than ${MAX_CELL_STYLES} cell styles`, 'too-large');
        const grown = new Int32Array(this.styleCount * 2);
        grown.set(this.styleFormats);
        this.styleFormats = grown;
      }
      const id = Number(attributes.numFmtId ?? '0');
      this.styleFormats[this.styleCount] = Number.isInteger(id) ? id : -1;
      this.styleCount += 1;
    }
  }

  /** Feeds one closing tag. */
  close(name: string): void {
    if (name === 'cellXfs') this.inCellXfs = false;
  }

  /** Style indexes that format dates (one byte per style). */
  dateStyles(): DateStyles {
    const dates = new Uint8Array(this.styleCount);
    const known = new Map<number, boolean>();
    for (let index = 0; index < this.styleCount; index += 1) {
      const formatId = this.styleFormats[index] ?? -1;
      let isDate = known.get(formatId);
      if (isDate === undefined) {
        isDate = isDateFormat(this.custom.get(formatId) ?? BUILTIN_FORMATS[formatId]);
        known.set(formatId, isDate);
      }
      if (isDate) dates[index] = 1;
    }
    return { has: (style) => dates[style] === 1 };
  }
}
