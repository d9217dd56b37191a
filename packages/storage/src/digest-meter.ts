import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { PayloadTooLargeError } from '@assay/errors';
import { formatBytes } from './format-bytes';

/**
 * Counts and hashes bytes as they pass, and stops the stream past a size limit. Every store puts
 * its content through one, so size, digest and the limit mean the same whatever the backend.
 */
export class DigestMeter extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');

  constructor(private readonly maxBytes: number | undefined) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.maxBytes !== undefined && this.bytes > this.maxBytes) {
      callback(
        new PayloadTooLargeError(`The file is larger than the limit of ${formatBytes(this.maxBytes)}.`, {
          details: { limitBytes: this.maxBytes },
        }),
      );
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  /** Hex SHA-256 of everything that passed; call once, after the stream ended. */
  digest(): string {
    return this.hash.digest('hex');
  }
}
