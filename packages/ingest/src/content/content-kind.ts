import type { FileFormat } from '@assay/contracts';

/**
 * What a file's bytes look like, whatever its name says. Used to accept an upload and, when it
 * does not match its extension, to tell the person what they actually sent.
 */
export type ContentKind =
  | 'empty'
  | 'text'
  | 'utf16-text'
  | 'binary'
  // ZIP containers
  | 'xlsx'
  | 'xlsb'
  | 'docx'
  | 'pptx'
  | 'ods'
  | 'zip'
  // OLE2 (Compound File Binary) containers
  | 'xls'
  | 'encrypted-office'
  | 'doc'
  | 'ppt'
  | 'ole2'
  // Everything else recognised by its magic number
  | 'pdf'
  | 'png'
  | 'jpeg'
  | 'gif'
  | 'gzip'
  | 'bzip2'
  | 'xz'
  | '7z'
  | 'rar'
  | 'elf'
  | 'sqlite'
  | 'parquet';

/** What a ZIP container can be, once its entry names are known. */
export type ZipKind = 'xlsx' | 'xlsb' | 'docx' | 'pptx' | 'ods' | 'zip';
/** What an OLE2 container can be, once its directory entry names are known. */
export type Ole2Kind = 'xls' | 'encrypted-office' | 'doc' | 'ppt' | 'ole2';

/**
 * A kind recognised by its first bytes. `zip` and `ole2` are containers whose content is told
 * apart later by {@link refineZip} and {@link refineOle2}.
 */
export type MagicKind = Exclude<ContentKind, 'empty' | 'text' | 'utf16-text' | 'binary' | ZipKind | Ole2Kind> | 'zip' | 'ole2';

/** ZIP local file header: every .xlsx starts with it. */
export const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
/** OLE2 / Compound File Binary header: every .xls (and every encrypted .xlsx) starts with it. */
export const OLE2_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

/** The longest magic number below; a decision on magic needs at most this many bytes. */
export const MAGIC_BYTES_NEEDED = 16;

const MAGIC_TABLE: ReadonlyArray<{ kind: MagicKind; bytes: Buffer }> = [
  { kind: 'zip', bytes: ZIP_MAGIC },
  // An empty archive or a spanned one: still a ZIP, never text.
  { kind: 'zip', bytes: Buffer.from([0x50, 0x4b, 0x05, 0x06]) },
  { kind: 'zip', bytes: Buffer.from([0x50, 0x4b, 0x07, 0x08]) },
  { kind: 'ole2', bytes: OLE2_MAGIC },
  { kind: 'pdf', bytes: Buffer.from('%PDF-', 'latin1') },
  { kind: 'png', bytes: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { kind: 'jpeg', bytes: Buffer.from([0xff, 0xd8, 0xff]) },
  { kind: 'gif', bytes: Buffer.from('GIF87a', 'latin1') },
  { kind: 'gif', bytes: Buffer.from('GIF89a', 'latin1') },
  { kind: 'gzip', bytes: Buffer.from([0x1f, 0x8b]) },
  // "BZh" + block size + the block magic (pi), so that a CSV starting with "BZh" is not taken for bzip2.
  { kind: 'bzip2', bytes: Buffer.from([0x42, 0x5a, 0x68]) },
  { kind: 'xz', bytes: Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) },
  { kind: '7z', bytes: Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]) },
  { kind: 'rar', bytes: Buffer.from('Rar!\x1a\x07', 'latin1') },
  { kind: 'elf', bytes: Buffer.from([0x7f, 0x45, 0x4c, 0x46]) },
  { kind: 'sqlite', bytes: Buffer.from('SQLite format 3\0', 'latin1') },
  { kind: 'parquet', bytes: Buffer.from('PAR1', 'latin1') },
];

const BZIP2_BLOCK_MAGIC = Buffer.from([0x31, 0x41, 0x59, 0x26, 0x53, 0x59]);

/**
 * The kind announced by the first bytes of a file, or `undefined` when no known magic number
 * is there (text, or an unknown binary format).
 *
 * @param head - the first bytes; pass at least {@link MAGIC_BYTES_NEEDED} unless the file is shorter
 */
export function detectMagic(head: Buffer): MagicKind | undefined {
  for (const { kind, bytes } of MAGIC_TABLE) {
    if (head.length < bytes.length || !head.subarray(0, bytes.length).equals(bytes)) continue;
    if (kind === 'bzip2') {
      const level = head[3];
      const isBzip2 =
        level !== undefined && level >= 0x31 && level <= 0x39 && head.subarray(4, 10).equals(BZIP2_BLOCK_MAGIC);
      if (!isBzip2) continue;
    }
    // "PAR1" is printable: only a file that is also binary is taken for Parquet.
    if (kind === 'parquet' && !head.includes(0)) continue;
    return kind;
  }
  return undefined;
}

/** Names that identify what a ZIP container holds (they are stored uncompressed in its headers). */
export const ZIP_MARKERS = {
  contentTypes: '[Content_Types].xml',
  xlsxWorkbook: 'xl/workbook.xml',
  xlsbWorkbook: 'xl/workbook.bin',
  excelFolder: 'xl/',
  wordDocument: 'word/document.xml',
  wordFolder: 'word/',
  powerpoint: 'ppt/presentation.xml',
  powerpointFolder: 'ppt/',
  odsMimetype: 'application/vnd.oasis.opendocument.spreadsheet',
} as const;
export type ZipMarker = keyof typeof ZIP_MARKERS;

/** Directory entry names (UTF-16LE in the file) that identify what an OLE2 container holds. */
export const OLE2_MARKERS = {
  encryptedPackageStream: 'EncryptedPackage',
  workbookStream: 'Workbook',
  workbookStreamUpper: 'WORKBOOK',
  bookStream: 'Book',
  wordStream: 'WordDocument',
  powerpointStream: 'PowerPoint Document',
} as const;
export type Ole2Marker = keyof typeof OLE2_MARKERS;

/** The byte patterns to look for, keyed by marker name (the two tables share no name). */
export function markerPatterns(): Map<ZipMarker | Ole2Marker, Buffer> {
  const patterns = new Map<ZipMarker | Ole2Marker, Buffer>();
  for (const [name, text] of Object.entries(ZIP_MARKERS)) patterns.set(name as ZipMarker, Buffer.from(text, 'latin1'));
  for (const [name, text] of Object.entries(OLE2_MARKERS)) patterns.set(name as Ole2Marker, Buffer.from(text, 'utf16le'));
  return patterns;
}

/**
 * What a ZIP container is, from the entry names seen in it.
 *
 * @param found - markers seen; `complete` says whether the whole file was scanned (only then can
 *   "an .xlsx needs both parts" be decided) or only a leading sample (then a folder name suffices)
 */
export function refineZip(found: ReadonlySet<string>, complete: boolean): ZipKind {
  if (found.has('contentTypes') && found.has('xlsxWorkbook')) return 'xlsx';
  if (found.has('xlsbWorkbook')) return 'xlsb';
  if (found.has('wordDocument') || (!complete && found.has('wordFolder'))) return 'docx';
  if (found.has('powerpoint') || (!complete && found.has('powerpointFolder'))) return 'pptx';
  if (found.has('odsMimetype')) return 'ods';
  if (!complete && (found.has('xlsxWorkbook') || found.has('excelFolder'))) return 'xlsx';
  return 'zip';
}

/** What an OLE2 container is, from the directory entry names seen in it. */
export function refineOle2(found: ReadonlySet<string>): Ole2Kind {
  if (found.has('encryptedPackageStream')) return 'encrypted-office';
  if (found.has('workbookStream') || found.has('workbookStreamUpper') || found.has('bookStream')) return 'xls';
  if (found.has('wordStream')) return 'doc';
  if (found.has('powerpointStream')) return 'ppt';
  return 'ole2';
}

/** Markers present in a buffer (used on a leading sample, where no chunk boundary can hide one). */
export function markersIn(buffer: Buffer): Set<string> {
  const found = new Set<string>();
  for (const [name, pattern] of markerPatterns()) if (buffer.includes(pattern)) found.add(name);
  return found;
}

/** How each kind is described after "it looks like". */
export const CONTENT_DESCRIPTION: Readonly<Record<ContentKind, string>> = Object.freeze({
  empty: 'an empty file',
  text: 'text (CSV or TSV)',
  'utf16-text': 'UTF-16 text (CSV or TSV)',
  binary: 'binary data, not text',
  xlsx: 'an Excel workbook (.xlsx)',
  xlsb: 'an Excel binary workbook (.xlsb)',
  docx: 'a Word document (.docx)',
  pptx: 'a PowerPoint presentation (.pptx)',
  ods: 'an OpenDocument spreadsheet (.ods)',
  zip: 'a ZIP archive',
  xls: 'an Excel 97-2003 workbook (.xls)',
  'encrypted-office': 'a password-protected (encrypted) Office document',
  doc: 'a Word 97-2003 document (.doc)',
  ppt: 'a PowerPoint 97-2003 presentation (.ppt)',
  ole2: 'an Office 97-2003 file (such as an .xls workbook) or a password-protected Office document',
  pdf: 'a PDF document',
  png: 'a PNG image',
  jpeg: 'a JPEG image',
  gif: 'a GIF image',
  gzip: 'a gzip-compressed file',
  bzip2: 'a bzip2-compressed file',
  xz: 'an xz-compressed file',
  '7z': 'a 7-Zip archive',
  rar: 'a RAR archive',
  elf: 'a program (ELF executable)',
  sqlite: 'an SQLite database',
  parquet: 'a Parquet file',
});

/** The accepted format a kind of content would be read as, if any. */
export function formatOfContent(kind: ContentKind): FileFormat | undefined {
  switch (kind) {
    case 'xlsx':
      return 'xlsx';
    case 'xls':
      return 'xls';
    case 'text':
    case 'utf16-text':
      return 'csv';
    default:
      return undefined;
  }
}
