import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import * as yauzl from 'yauzl';
import { unreadableError } from '../../errors';

/** One entry of a zip's central directory. */
export type ZipEntry = yauzl.Entry;

/**
 * Compressed bytes per read and inflated bytes per chunk. Large chunks keep the per-chunk cost
 * (stream events, zlib calls, the XML scanner's carried tag) small against the bytes: with
 * yauzl's own streams (16 KiB reads) reading a 570 MB worksheet took twice as long.
 */
const READ_CHUNK_BYTES = 1024 * 1024;
const INFLATE_CHUNK_BYTES = 1024 * 1024;

const STORED = 0;
const DEFLATED = 8;

/** Thrown (as the cause of `FILE_UNREADABLE`) when an entry's data does not match its directory record. */
export class ZipEntryError extends Error {
  override name = 'ZipEntryError';
}

/**
 * A zip file opened for random access (yauzl): the central directory is read once, entries are
 * inflated on demand in any order. Inflating is done here (zlib, large chunks) rather than by
 * yauzl, and the size the central directory declares is enforced on the bytes actually
 * inflated: an entry that inflates to more fails at the first byte beyond it, so a lying
 * header cannot make a small file inflate without bound.
 */
export class ZipArchive {
  private constructor(
    private readonly path: string,
    private readonly fileName: string,
    private readonly zip: yauzl.ZipFile,
    /** Entries by name, in central directory order (a later duplicate name wins, as in Python's zipfile). */
    readonly entries: ReadonlyMap<string, ZipEntry>,
  ) {}

  /**
   * Opens `path` and reads its central directory.
   *
   * @param fileName - the name the user gave the file, for messages
   * @param maxEntries - fail before reading more entries than this
   * @throws the yauzl error for a file that is not a zip; `FILE_UNREADABLE` for too many entries
   */
  static async open(path: string, fileName: string, maxEntries: number): Promise<ZipArchive> {
    const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => {
      yauzl.open(
        path,
        { lazyEntries: true, autoClose: false, decodeStrings: true, validateEntrySizes: true, strictFileNames: false },
        (error, zipFile) => (error === null ? resolve(zipFile) : reject(error)),
      );
    });
    if (zip.entryCount > maxEntries) {
      zip.close();
      throw unreadableError(
        fileName,
        `the workbook's zip has ${zip.entryCount} parts; Assay reads workbooks with at most ${maxEntries}. Remove unused sheets, images or attachments and upload it again.`,
        { details: { limit: 'maxZipEntries', value: zip.entryCount, max: maxEntries } },
      );
    }
    try {
      const entries = await new Promise<Map<string, ZipEntry>>((resolve, reject) => {
        const byName = new Map<string, ZipEntry>();
        zip.on('entry', (entry: ZipEntry) => {
          byName.set(entry.fileName, entry);
          zip.readEntry();
        });
        zip.once('end', () => resolve(byName));
        zip.once('error', reject);
        zip.readEntry();
      });
      return new ZipArchive(path, fileName, zip, entries);
    } catch (error) {
      zip.close();
      throw error;
    }
  }

  /**
   * Streams the inflated content of an entry to `onChunk`, which may return `false` to stop
   * early (the rest is not inflated). Each chunk is valid only during the call.
   *
   * @throws `ZipEntryError` when the data inflates to more or fewer bytes than declared or
   *   uses an unsupported compression method; zlib's error for corrupt data; the signal's
   *   reason when it aborts
   */
  async read(entry: ZipEntry, signal: AbortSignal, onChunk: (chunk: Buffer) => boolean | void): Promise<void> {
    signal.throwIfAborted();
    if (entry.compressionMethod !== STORED && entry.compressionMethod !== DEFLATED) {
      throw new ZipEntryError(`part ${entry.fileName} uses compression method ${entry.compressionMethod}, which Excel never writes`);
    }
    // yauzl checks the local header and that the data lies inside the file.
    const { fileDataStart } = await new Promise<{ fileDataStart: number }>((resolve, reject) => {
      this.zip.readLocalFileHeader(entry, { minimal: true }, (error, header) => (error === null ? resolve(header) : reject(error)));
    });
    if (entry.compressedSize === 0) {
      if (entry.uncompressedSize !== 0) throw new ZipEntryError(`part ${entry.fileName} has no data`);
      return;
    }
    const raw = createReadStream(this.path, { start: fileDataStart, end: fileDataStart + entry.compressedSize - 1, highWaterMark: READ_CHUNK_BYTES });
    const source: Readable = entry.compressionMethod === DEFLATED ? raw.pipe(createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES })) : raw;
    if (source !== raw) raw.once('error', (error) => source.destroy(error));
    const abort = (): void => {
      source.destroy(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    };
    signal.addEventListener('abort', abort, { once: true });
    const declared = entry.uncompressedSize;
    let total = 0;
    try {
      for await (const chunk of source) {
        const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
        total += bytes.length;
        if (total > declared) {
          throw new ZipEntryError(`part ${entry.fileName} inflates to more than the ${declared} bytes its zip directory declares`);
        }
        if (onChunk(bytes) === false) return;
      }
      if (total !== declared) {
        throw new ZipEntryError(`part ${entry.fileName} inflates to ${total} bytes, not the ${declared} its zip directory declares`);
      }
    } finally {
      signal.removeEventListener('abort', abort);
      source.destroy();
      raw.destroy();
    }
  }

  /** Reads an entry as UTF-8 text, failing when it inflates to more than `maxBytes`. */
  async readText(entry: ZipEntry, maxBytes: number, signal: AbortSignal): Promise<string> {
    if (entry.uncompressedSize > maxBytes) throw this.tooLarge(entry, maxBytes);
    const chunks: Buffer[] = [];
    await this.read(entry, signal, (chunk) => {
      chunks.push(Buffer.from(chunk));
    });
    return Buffer.concat(chunks).toString('utf8');
  }

  private tooLarge(entry: ZipEntry, maxBytes: number): Error {
    return unreadableError(this.fileName, `its part ${entry.fileName} is larger than ${maxBytes} bytes, more than Assay reads.`, {
      details: { part: entry.fileName, max: maxBytes },
    });
  }

  /** Closes the file descriptor. */
  close(): void {
    this.zip.close();
  }
}
