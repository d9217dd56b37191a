import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AssayError, ErrorCode } from '@assay/errors';
import { UploadSniffer, formatFromFileName, inspectFile } from '@assay/ingest';
import { InspectReport } from './inspect-report';

/** Options of {@link inspectCommand}. */
export interface InspectCommandOptions {
  /** Path of the file to inspect. */
  path: string;
  /** Python interpreter of the kernel environment (reads .xls files with its xlrd). */
  pythonPath?: string;
}

/**
 * Inspects a file exactly as an upload is treated: the extension decides the format, the
 * content check of the gateway confirms it, then the ingest worker's `inspectFile` reads the
 * metadata. The file is read twice (check + digest, then metadata), both times streamed.
 *
 * @throws AssayError with the same codes an upload would get: UNSUPPORTED_FILE_TYPE,
 *   FILE_CONTENT_MISMATCH, FILE_UNREADABLE; NOT_FOUND when the path is not a readable file.
 */
export async function inspectCommand(options: InspectCommandOptions): Promise<InspectReport> {
  const fileName = basename(options.path);
  await requireRegularFile(options.path);
  const format = formatFromFileName(fileName);

  const sniffer = new UploadSniffer({ fileName, format });
  const digest = createHash('sha256');
  await pipeline(
    createReadStream(options.path),
    sniffer,
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        digest.update(chunk);
        callback();
      },
    }),
  );
  const verdict = await sniffer.verdict;

  const metadata = await inspectFile({
    path: options.path,
    format,
    name: fileName,
    ...(options.pythonPath === undefined ? {} : { pythonPath: options.pythonPath }),
  });
  return InspectReport.parse({
    format: metadata.format,
    encoding: metadata.encoding ?? null,
    delimiter: metadata.delimiter ?? null,
    sizeBytes: verdict.sizeBytes,
    sha256: digest.digest('hex'),
    sheets: metadata.sheets,
  });
}

async function requireRegularFile(path: string): Promise<void> {
  let kind: 'file' | 'other';
  try {
    kind = (await stat(path)).isFile() ? 'file' : 'other';
  } catch (error) {
    const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : `cannot be read (${code || String(error)})`;
    throw new AssayError(ErrorCode.NOT_FOUND, `${path}: ${why}.`, { status: 404 });
  }
  if (kind !== 'file') throw new AssayError(ErrorCode.NOT_FOUND, `${path} is not a regular file.`, { status: 404 });
}
