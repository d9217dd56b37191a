import { ValidationError } from '@assay/errors';

/**
 * The name shown to people and used as /mnt/data/<name>: the last path segment of what the
 * client sent (never a path), without control characters.
 */
export function displayName(fileName: string): string {
  const lastSegment = fileName.split(/[/\\]/).pop() ?? '';
  const cleaned = lastSegment.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  if (cleaned === '' || cleaned === '.' || cleaned === '..') {
    throw new ValidationError('The uploaded file has no usable name; send a file name such as sales.csv.');
  }
  if (Buffer.byteLength(cleaned) > 255) throw new ValidationError('The file name is longer than 255 bytes; shorten it.');
  return cleaned;
}
