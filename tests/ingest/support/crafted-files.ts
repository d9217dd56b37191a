import { readFile } from 'node:fs/promises';

const OLE2_DIRECTORY_NAME_BYTES = 64;

/**
 * Turns an .xls (an OLE2 container whose stream is named "Workbook") into a container shaped
 * like a password-protected .xlsx, whose encrypted package Office stores in a stream named
 * "EncryptedPackage". Debian 12 has no tool that encrypts OOXML, so the stream is renamed in
 * place: the directory entry's UTF-16 name and its length field are rewritten.
 */
export async function craftEncryptedOoxml(xlsPath: string): Promise<Buffer> {
  const bytes = Buffer.from(await readFile(xlsPath));
  const name = Buffer.from('Workbook\0', 'utf16le');
  const at = bytes.indexOf(name);
  if (at < 0) throw new Error('no Workbook directory entry found');
  const replacement = Buffer.alloc(OLE2_DIRECTORY_NAME_BYTES);
  const encryptedName = Buffer.from('EncryptedPackage\0', 'utf16le');
  encryptedName.copy(replacement);
  replacement.copy(bytes, at);
  bytes.writeUInt16LE(encryptedName.length, at + OLE2_DIRECTORY_NAME_BYTES);
  return bytes;
}

/**
 * Marks an .xls as encrypted the way Excel does, with a FILEPASS record (0x002F) in the
 * workbook globals: the first CODEPAGE record (0x0042, length 2) gets FILEPASS's record type.
 * The stream keeps its size, so the OLE2 container stays valid; xlrd then reports
 * "Workbook is encrypted", as it does for a real password-protected file.
 */
export async function markXlsEncrypted(xlsPath: string): Promise<Buffer> {
  const bytes = Buffer.from(await readFile(xlsPath));
  const codepage = Buffer.from([0x42, 0x00, 0x02, 0x00]);
  const at = bytes.indexOf(codepage);
  if (at < 0) throw new Error('no CODEPAGE record found');
  bytes.writeUInt16LE(0x002f, at);
  return bytes;
}

const LOCAL_HEADER = 0x04034b50;
const CENTRAL_HEADER = 0x02014b50;

/**
 * Rewrites the uncompressed size a zip declares for one entry (central directory and local
 * header) without touching its data: a "lying header", as in zip bombs that pass size checks.
 */
export function lieAboutZipEntrySize(zip: Buffer, entryName: string, declaredSize: number): Buffer {
  const bytes = Buffer.from(zip);
  const name = Buffer.from(entryName);
  let patched = 0;
  for (let at = bytes.indexOf('PK'); at !== -1; at = bytes.indexOf('PK', at + 1)) {
    const signature = at + 4 <= bytes.length ? bytes.readUInt32LE(at) : 0;
    if (signature === CENTRAL_HEADER) {
      const nameLength = bytes.readUInt16LE(at + 28);
      if (bytes.subarray(at + 46, at + 46 + nameLength).equals(name)) {
        bytes.writeUInt32LE(declaredSize, at + 24);
        patched += 1;
      }
    } else if (signature === LOCAL_HEADER) {
      const nameLength = bytes.readUInt16LE(at + 26);
      if (bytes.subarray(at + 30, at + 30 + nameLength).equals(name)) {
        bytes.writeUInt32LE(declaredSize, at + 22);
        patched += 1;
      }
    }
  }
  if (patched !== 2) throw new Error(`expected a local and a central header for ${entryName}, patched ${patched}`);
  return bytes;
}

/** An XML part whose DTD defines an entity that expands 10^9 times ("billion laughs"), used once in a cell. */
export function billionLaughs(rootOpen: string, rootClose: string, use: string): string {
  const entities = ['<!ENTITY lol0 "lol">'];
  for (let level = 1; level <= 9; level += 1) entities.push(`<!ENTITY lol${level} "${`&lol${level - 1};`.repeat(10)}">`);
  return `<?xml version="1.0"?>\n<!DOCTYPE lolz [${entities.join('')}]>\n${rootOpen}${use.replace('ENTITY', '&lol9;')}${rootClose}`;
}

/** A minimal PDF: what a user may upload by mistake under a spreadsheet's name. */
export const MINIMAL_PDF = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
);
