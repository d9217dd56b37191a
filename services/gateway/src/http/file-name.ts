import { ValidationError } from '@assay/errors';

/**
 * Characters removed from names: C0/C1 controls, line and paragraph separators, and the
 * bidirectional overrides and isolates that can make `evil\u202Ecsv.exe` display as `evilexe.csv`.
 */
const UNSAFE_CHARACTERS = /[\p{Cc}\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/**
 * The name shown to people and used as /mnt/data/<name>: the last path segment of what the
 * client sent (never a path), in Unicode NFC form, without control or text-direction
 * characters. Everything else the user typed is kept (spaces, quotes, accents).
 */
export function displayName(fileName: string): string {
  const lastSegment = fileName.split(/[/\\]/).pop() ?? '';
  const cleaned = lastSegment.normalize('NFC').replace(UNSAFE_CHARACTERS, '').trim();
  if (cleaned === '' || cleaned === '.' || cleaned === '..') {
    throw new ValidationError('The uploaded file has no usable name; send a file name such as sales.csv.');
  }
  if (Buffer.byteLength(cleaned) > 255) throw new ValidationError('The file name is longer than 255 bytes; shorten it.');
  return cleaned;
}
