import fs from 'node:fs';
import path from 'node:path';

/** The repository root: the nearest directory above `from` whose package.json declares workspaces. */
export function findProjectRoot(from: string): string {
  let dir = path.resolve(from);
  for (;;) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { workspaces?: unknown };
      if (manifest.workspaces !== undefined) return dir;
    } catch {
      // No package.json here.
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`No repository root (package.json with "workspaces") above ${from}.`);
    dir = parent;
  }
}
