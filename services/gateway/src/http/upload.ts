import type { IncomingMessage } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { FileFormat } from '@assay/contracts';
import { PayloadTooLargeError, ValidationError } from '@assay/errors';
import { UploadSniffer, formatFromFileName } from '@assay/ingest';
import { formatBytes, type BlobStore, type StoredBlob } from '@assay/storage';
import busboy from 'busboy';
import { displayName } from './file-name';

/** An upload whose bytes are in the blob store and whose content matched its extension. */
export interface ReceivedUpload {
  name: string;
  format: FileFormat;
  blob: StoredBlob;
}

export interface ReceiveUploadOptions {
  blobs: BlobStore;
  maxBytes: number;
  /** Key prefix in the blob store (the tenant id). */
  keyPrefix: string;
}

/** Room for multipart boundaries and part headers around the file itself. */
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

/**
 * Streams the `file` part of a multipart request through the content check into the blob store,
 * never holding the file in memory. Rejects (and keeps nothing) on a wrong extension, content that
 * does not match it, or a file over the limit. Resolves as soon as the file part is stored; the
 * rest of the request (other parts) is ignored.
 */
export function receiveUpload(req: IncomingMessage, options: ReceiveUploadOptions): Promise<ReceivedUpload> {
  const contentType = req.headers['content-type'] ?? '';
  if (!/^multipart\/form-data/i.test(contentType)) {
    return Promise.reject(
      new ValidationError('Send the file as multipart/form-data in a field named "file", e.g. curl -F file=@data.csv.'),
    );
  }
  const declaredLength = Number(req.headers['content-length']);
  if (Number.isFinite(declaredLength) && declaredLength > options.maxBytes + MULTIPART_OVERHEAD_BYTES) {
    return Promise.reject(tooLarge(options.maxBytes));
  }

  return new Promise<ReceivedUpload>((resolve, reject) => {
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        defParamCharset: 'utf8',
        // One byte over the limit lets the blob store see (and refuse) an oversized file.
        limits: { files: 1, fileSize: options.maxBytes + 1, fields: 10, fieldSize: 1024, parts: 20 },
      });
    } catch (error) {
      reject(new ValidationError(`The multipart request is malformed: ${error instanceof Error ? error.message : String(error)}.`));
      return;
    }
    let sawFile = false;

    parser.on('file', (field, stream, info) => {
      if (field !== 'file' || sawFile) {
        stream.resume();
        return;
      }
      sawFile = true;
      store(stream, info.filename ?? '', options).then(
        (upload) => settle(() => resolve(upload)),
        (error: unknown) => {
          stream.resume(); // keep the parser moving so the request can be drained
          settle(() => reject(error));
        },
      );
    });
    parser.on('error', (error: unknown) => {
      settle(() =>
        reject(new ValidationError(`The multipart request is malformed: ${error instanceof Error ? error.message : String(error)}.`)),
      );
    });
    parser.on('close', () => {
      if (!sawFile) settle(() => reject(new ValidationError('The request has no file: send it in a multipart field named "file".')));
    });
    req.pipe(parser);
  });
}

async function store(stream: NodeJS.ReadableStream, fileName: string, options: ReceiveUploadOptions): Promise<ReceivedUpload> {
  const name = displayName(fileName);
  const format = formatFromFileName(name);
  const sniffer = new UploadSniffer({ format, fileName: name });
  const stored = options.blobs.put(sniffer, { maxBytes: options.maxBytes, keyPrefix: options.keyPrefix });
  try {
    await pipeline(stream, sniffer);
  } catch (error) {
    // put() sees the same error through the sniffer and removes its partial blob.
    await stored.catch(() => undefined);
    throw error;
  }
  const blob = await stored.catch((error: unknown) => {
    throw error instanceof PayloadTooLargeError ? tooLarge(options.maxBytes) : error;
  });
  return { name, format, blob };
}

function tooLarge(maxBytes: number): PayloadTooLargeError {
  return new PayloadTooLargeError(
    `The file is larger than the upload limit of ${formatBytes(maxBytes)}. Split it or ask the operator to raise ASSAY_MAX_UPLOAD_BYTES.`,
    { details: { limitBytes: maxBytes } },
  );
}
