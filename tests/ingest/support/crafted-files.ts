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
