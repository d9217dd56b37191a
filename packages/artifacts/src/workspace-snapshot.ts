import fs from 'node:fs';
import path from 'node:path';

/** What identifies one version of a file: a rewrite changes at least one of these. */
interface FileVersion {
  sizeBytes: number;
  mtimeMs: number;
  inode: number;
}

/** Options of {@link WorkspaceSnapshot.take}. */
export interface SnapshotOptions {
  /**
   * Deepest sub-directory level looked into (0: only files directly in the workspace).
   * @defaultValue 3
   */
  maxDepth?: number;
  /**
   * Most entries looked at; a workspace with more is only partly scanned (generated files are
   * few; this bounds the cost of a cell that writes thousands of small files).
   * @defaultValue 5_000
   */
  maxEntries?: number;
}

/** A regular file that is new or changed since the previous snapshot. */
export interface ChangedFile {
  /** Path relative to the workspace, with `/` separators. */
  relativePath: string;
  absolutePath: string;
  sizeBytes: number;
}

/**
 * The regular files of a workspace directory at one moment. Comparing the snapshots taken
 * before and after a cell tells which files the cell wrote. Symbolic links (how input files
 * appear in the workspace) are never followed or reported.
 */
export class WorkspaceSnapshot {
  private constructor(
    readonly rootDir: string,
    private readonly files: ReadonlyMap<string, FileVersion>,
  ) {}

  /** Reads the workspace; a missing directory is an empty workspace. */
  static async take(rootDir: string, options: SnapshotOptions = {}): Promise<WorkspaceSnapshot> {
    const maxDepth = options.maxDepth ?? 3;
    let budget = options.maxEntries ?? 5_000;
    const files = new Map<string, FileVersion>();
    const walk = async (dir: string, prefix: string, depth: number): Promise<void> => {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw error;
      }
      for (const entry of entries) {
        if (budget <= 0) return;
        budget -= 1;
        const relativePath = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
        const absolutePath = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          if (depth < maxDepth) await walk(absolutePath, relativePath, depth + 1);
        } else if (entry.isFile()) {
          // lstat: the entry may have been replaced by a link since readdir.
          const stats = await fs.promises.lstat(absolutePath).catch(() => undefined);
          if (stats?.isFile()) files.set(relativePath, { sizeBytes: stats.size, mtimeMs: stats.mtimeMs, inode: stats.ino });
        }
      }
    };
    await walk(rootDir, '', 0);
    return new WorkspaceSnapshot(rootDir, files);
  }

  /** Files present in `after` that are absent from this snapshot or differ from their version here. */
  changedIn(after: WorkspaceSnapshot): ChangedFile[] {
    const changed: ChangedFile[] = [];
    for (const [relativePath, version] of after.files) {
      const before = this.files.get(relativePath);
      if (before && before.sizeBytes === version.sizeBytes && before.mtimeMs === version.mtimeMs && before.inode === version.inode) continue;
      changed.push({ relativePath, absolutePath: path.join(after.rootDir, relativePath), sizeBytes: version.sizeBytes });
    }
    return changed.sort((a, b) => a.relativePath.localeCompare(b.relativePath));
  }
}
