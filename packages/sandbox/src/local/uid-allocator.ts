import { randomInt } from 'node:crypto';
import { AssayError, ErrorCode } from '@assay/errors';

/**
 * Hands out host uids from a range, one per sandbox, and takes them back when the sandbox
 * closes. Uids are drawn at random within the range, so that several executor processes on one
 * host (which do not know each other's choices) are very unlikely to pick the same one.
 */
export class UidAllocator {
  private readonly taken = new Set<number>();

  constructor(
    private readonly first: number,
    private readonly size: number,
  ) {}

  /** A uid no sandbox of this process holds. */
  acquire(): number {
    if (this.taken.size >= this.size) {
      throw new AssayError(ErrorCode.SANDBOX_UNAVAILABLE, `All ${this.size} kernel uids are in use; raise the uid range.`);
    }
    for (;;) {
      const uid = this.first + randomInt(this.size);
      if (!this.taken.has(uid)) {
        this.taken.add(uid);
        return uid;
      }
    }
  }

  release(uid: number): void {
    this.taken.delete(uid);
  }
}
