import { Transform, type TransformCallback } from 'node:stream';
import type { FileFormat } from '@assay/contracts';
import { AssayError, ErrorCode } from '@assay/errors';
import { DEFAULT_SAMPLE_BYTES } from '../consts';
import {
  type ContentKind,
  detectMagic,
  markerPatterns,
  markersIn,
  refineOle2,
  refineZip,
} from '../content/content-kind';
import { MarkerScanner } from '../content/marker-scanner';
import { checkTextSample } from '../content/text-sample';
import { contentMismatchError } from '../errors';
import { formatFromFileName } from '../file-format';

/** Options of {@link UploadSniffer}. */
export interface UploadSnifferOptions {
  /** The name the client gave the file; it appears in error messages. */
  fileName: string;
  /**
   * The format the upload claims to be.
   * @defaultValue `formatFromFileName(fileName)` (which throws `UNSUPPORTED_FILE_TYPE` for other extensions)
   */
  format?: FileFormat;
  /**
   * How many leading bytes are buffered to judge the content (magic numbers, NUL bytes,
   * encoding). Memory use of a sniffer is about this much, whatever the upload size.
   * @defaultValue 65_536
   */
  sampleBytes?: number;
}

/** The outcome of a successful content check. */
export interface UploadVerdict {
  fileName: string;
  format: FileFormat;
  /** Bytes that passed through the sniffer (the size of the stored file). */
  sizeBytes: number;
  /** What the content was recognised as: `text` or `utf16-text` (CSV/TSV), `xlsx`, `xls`. */
  content: ContentKind;
}

/**
 * A pass-through stream that checks, while an upload streams to storage, that its bytes are
 * what its extension says: `.xlsx` a ZIP holding `[Content_Types].xml` and `xl/workbook.xml`;
 * `.xls` an OLE2 file holding a workbook stream; `.csv`/`.tsv` text (no binary magic number,
 * no NUL byte in the first 64 KiB unless UTF-16 with a byte order mark). Bytes are passed on
 * unchanged; memory use is bounded by `sampleBytes`.
 *
 * How the caller learns the verdict:
 * - **Rejection aborts the pipeline.** When the content does not match, the sniffer fails with
 *   an `UnsupportedMediaTypeError` (`FILE_CONTENT_MISMATCH`, 415) whose message says what the
 *   file looks like. It does so as soon as it knows: after the first `sampleBytes` bytes for
 *   wrong magic numbers or binary text, at the end of the stream for a ZIP/OLE2 file lacking the
 *   workbook parts. With `stream.pipeline(request, sniffer, storageWrite)` that error rejects
 *   the pipeline and destroys the request and the storage write; the caller discards the
 *   partial object and answers with the error.
 * - **Acceptance settles {@link UploadSniffer.verdict}** once the whole upload went through.
 *   `verdict` rejects with the same error as the stream (or with the error the stream was
 *   destroyed with); it is safe to leave it unobserved.
 *
 * An empty upload is rejected at its end.
 *
 * @example
 * ```ts
 * const sniffer = new UploadSniffer({ fileName: 'sales.xlsx' }); // throws 415 for other extensions
 * await pipeline(request, sniffer, blobStore.createWriteStream(key)); // rejects on a mismatch
 * const { format, sizeBytes } = await sniffer.verdict;
 * ```
 */
export class UploadSniffer extends Transform {
  /** The format the upload claims to be. */
  readonly format: FileFormat;
  /** The name the client gave the file. */
  readonly fileName: string;
  /** Resolves when the upload ended and matched; rejects on a mismatch or a broken stream. */
  readonly verdict: Promise<UploadVerdict>;

  private readonly sampleBytes: number;
  private readonly sampleChunks: Buffer[] = [];
  private sampledBytes = 0;
  private totalBytes = 0;
  private sampleJudged = false;
  private content: ContentKind | undefined;
  /** Scans the whole stream for container part names; only for .xlsx and .xls uploads. */
  private readonly scanner: MarkerScanner<string> | undefined;
  private settled = false;
  private readonly outcome = deferred<UploadVerdict>();

  constructor(options: UploadSnifferOptions) {
    super();
    this.fileName = options.fileName;
    this.format = options.format ?? formatFromFileName(options.fileName);
    this.sampleBytes = options.sampleBytes ?? DEFAULT_SAMPLE_BYTES;
    if (!Number.isInteger(this.sampleBytes) || this.sampleBytes < 16) {
      throw new AssayError(ErrorCode.CONFIG_INVALID, 'UploadSniffer: sampleBytes must be an integer of at least 16.');
    }
    this.scanner = this.format === 'xlsx' || this.format === 'xls' ? new MarkerScanner(markerPatterns()) : undefined;
    this.verdict = this.outcome.promise;
    // The stream's 'error' event is the primary channel; an unobserved verdict must not crash the process.
    this.verdict.catch(() => undefined);
  }

  override _transform(chunk: unknown, _encoding: BufferEncoding, callback: TransformCallback): void {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    this.totalBytes += bytes.length;
    this.scanner?.push(bytes);
    if (!this.sampleJudged) {
      const wanted = this.sampleBytes - this.sampledBytes;
      if (wanted > 0 && bytes.length > 0) {
        const part = Buffer.from(bytes.subarray(0, wanted));
        this.sampleChunks.push(part);
        this.sampledBytes += part.length;
      }
      if (this.sampledBytes >= this.sampleBytes) {
        const error = this.judgeSample(false);
        if (error !== undefined) {
          this.fail(error, callback);
          return;
        }
      }
    }
    callback(null, bytes);
  }

  override _flush(callback: TransformCallback): void {
    if (this.totalBytes === 0) {
      this.fail(contentMismatchError(this.fileName, this.format, 'empty'), callback);
      return;
    }
    const error = this.sampleJudged ? undefined : this.judgeSample(true);
    const finalError = error ?? this.judgeContainer();
    if (finalError !== undefined) {
      this.fail(finalError, callback);
      return;
    }
    this.settled = true;
    this.outcome.resolve({
      fileName: this.fileName,
      format: this.format,
      sizeBytes: this.totalBytes,
      content: this.content ?? 'text',
    });
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.settled) {
      this.settled = true;
      this.outcome.reject(error ?? new Error(`The upload of ${this.fileName} was closed before its content was checked.`));
    }
    callback(error);
  }

  private fail(error: AssayError, callback: TransformCallback): void {
    if (!this.settled) {
      this.settled = true;
      this.outcome.reject(error);
    }
    callback(error);
  }

  /** Judges the leading sample; returns the error to fail with, if any. */
  private judgeSample(complete: boolean): AssayError | undefined {
    this.sampleJudged = true;
    const sample = this.sampleChunks.length === 1 ? this.sampleChunks[0] : Buffer.concat(this.sampleChunks);
    this.sampleChunks.length = 0;
    if (sample === undefined) return undefined;
    const kind = classifySample(sample, complete);
    this.content = kind;
    switch (this.format) {
      case 'xlsx':
        // A ZIP is judged on its part names at the end (they may be anywhere in the file).
        return isZipKind(kind) ? undefined : contentMismatchError(this.fileName, this.format, kind);
      case 'xls':
        return isOle2Kind(kind) ? undefined : contentMismatchError(this.fileName, this.format, kind);
      case 'csv':
      case 'tsv':
        return kind === 'text' || kind === 'utf16-text' ? undefined : contentMismatchError(this.fileName, this.format, kind);
    }
  }

  /** For .xlsx/.xls uploads, checks the container's part names seen over the whole stream. */
  private judgeContainer(): AssayError | undefined {
    if (this.scanner === undefined) return undefined;
    const kind = this.format === 'xlsx' ? refineZip(this.scanner.matches, true) : refineOle2(this.scanner.matches);
    this.content = kind;
    return kind === this.format ? undefined : contentMismatchError(this.fileName, this.format, kind);
  }
}

/** A promise with its settle functions, so a stream callback can settle it later. */
function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (reason: unknown) => void } {
  let resolve: (value: T) => void = () => undefined;
  let reject: (reason: unknown) => void = () => undefined;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const ZIP_KINDS: ReadonlySet<ContentKind> = new Set(['xlsx', 'xlsb', 'docx', 'pptx', 'ods', 'zip']);
const OLE2_KINDS: ReadonlySet<ContentKind> = new Set(['xls', 'encrypted-office', 'doc', 'ppt', 'ole2']);

function isZipKind(kind: ContentKind): boolean {
  return ZIP_KINDS.has(kind);
}

function isOle2Kind(kind: ContentKind): boolean {
  return OLE2_KINDS.has(kind);
}

/** What a leading sample looks like: magic number first, then the text rules. */
function classifySample(sample: Buffer, complete: boolean): ContentKind {
  const magic = detectMagic(sample);
  if (magic === 'zip') return refineZip(markersIn(sample), complete);
  if (magic === 'ole2') return refineOle2(markersIn(sample));
  if (magic !== undefined) return magic;
  return checkTextSample(sample).kind;
}
