/** A file attached to a chat, in attachment order (message seq, then position). */
export interface AttachedFile {
  id: string;
  /** The name the user gave the file (already free of path separators and control characters). */
  name: string;
}

/**
 * The name each of a chat's files has under /mnt/data. The first file to use a name keeps it;
 * a later, different file with the same name gets the first free `stem (2).ext`, `stem (3).ext`
 * and so on. Attaching the same file again keeps its name.
 *
 * Derived from the attachment order alone, so the code generator (which tells the model the
 * paths) and every executor replica (which creates them) agree without storing anything.
 */
export function assignWorkspaceNames(files: readonly AttachedFile[]): Map<string, string> {
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const file of files) {
    if (names.has(file.id)) continue;
    let candidate = file.name;
    for (let copy = 2; taken.has(candidate); copy += 1) candidate = numbered(file.name, copy);
    taken.add(candidate);
    names.set(file.id, candidate);
  }
  return names;
}

/** `sales.csv` -> `sales (2).csv`; a leading dot is part of the stem (`.csv` -> `.csv (2)`). */
function numbered(name: string, copy: number): string {
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return `${name} (${copy})`;
  return `${name.slice(0, dot)} (${copy})${name.slice(dot)}`;
}
