import type { Readable } from 'node:stream';
import * as yauzl from 'yauzl';
import { unreadableError } from '../../errors';

/** One entry of a zip's central directory. */
export type ZipEntry = yauzl.Entry;

/**
 * A zip file opened for random access (yauzl): the central directory is read once, entries are
 * inflated on demand in any order, and declared sizes are enforced while inflating (a lying
 * header fails instead of inflating without bound: `validateEntrySizes`).
 */
export class ZipArchive {
  private constructor(
    private readonly fileName: string,
    private readonly zip: yauzl.ZipFile,
    /** Entries by name, in central directory order. */
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
      return new ZipArchive(fileName, zip, entries);
    } catch (error) {
      zip.close();
      throw error;
    }
  }

  /** Opens the inflated content of an entry. */
  async openStream(entry: ZipEntry): Promise<Readable> {
    return new Promise<Readable>((resolve, reject) => {
      this.zip.openReadStream(entry, (error, stream) => (error === null ? resolve(stream) : reject(error)));
    });
  }

  /** Reads an entry as UTF-8 text, failing when it inflates to more than `maxBytes`. */
  async readText(entry: ZipEntry, maxBytes: number): Promise<string> {
    if (entry.uncompressedSize > maxBytes) throw this.tooLarge(entry, maxBytes);
    const stream = await this.openStream(entry);
    const chunks: Buffer[] = [];
    let total = 0;
    for await (const chunk of stream) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      total += bytes.length;
      if (total > maxBytes) {
        stream.destroy();
        throw this.tooLarge(entry, maxBytes);
      }
      chunks.push(bytes);
    }
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

