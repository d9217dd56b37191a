import { formatBytes } from '@assay/storage';
import { artifactTypeOf } from './artifact-types';
import type { ChangedFile } from './workspace-snapshot';

/** Limits of {@link selectArtifacts}. */
export interface ArtifactLimits {
  /** Largest file kept, in bytes. */
  maxBytes: number;
  /** Most files kept from one cell. */
  maxPerCell: number;
}

/** A changed file that will be kept, with the content type it is served with. */
export interface ArtifactCandidate extends ChangedFile {
  mimeType: string;
}

/** What to keep of the files a cell wrote, and a sentence for each file that is not kept. */
export interface ArtifactSelection {
  keep: ArtifactCandidate[];
  /** Shown to the person under the cell: files of a kept kind that were left out, and why. */
  notices: string[];
}

/**
 * Decides which of the files a cell wrote become artifacts: files of the kinds people ask for
 * (see ARTIFACT_TYPES) within the size limit, at most `maxPerCell` of them. Other kinds are
 * silently left in the workspace; a file of a kept kind that is too large, or beyond the count,
 * gets a notice so the person knows why it cannot be downloaded.
 */
export function selectArtifacts(changed: readonly ChangedFile[], limits: ArtifactLimits): ArtifactSelection {
  const keep: ArtifactCandidate[] = [];
  const notices: string[] = [];
  for (const file of changed) {
    const mimeType = artifactTypeOf(file.relativePath);
    if (mimeType === undefined) continue;
    if (file.sizeBytes > limits.maxBytes) {
      notices.push(`${file.relativePath} (${formatBytes(file.sizeBytes)}) was not kept: files larger than ${formatBytes(limits.maxBytes)} cannot be downloaded.`);
      continue;
    }
    if (keep.length >= limits.maxPerCell) {
      notices.push(`${file.relativePath} was not kept: one cell can produce at most ${limits.maxPerCell} files.`);
      continue;
    }
    keep.push({ ...file, mimeType });
  }
  return { keep, notices };
}
