import { createReadStream } from 'node:fs';
import { readdir, readlink, stat } from 'node:fs/promises';
import { dirname, join, posix, resolve } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { AssayError, ErrorCode } from '@assay/errors';
import type { Logger } from '@assay/logger';
import { z } from 'zod';
import type { ReadOnlyBind, SandboxInputFile } from '../types';

/** A file to put in an E2B sandbox's workspace with `E2bSandbox.provideFiles` (see `SandboxInputFile`). */
export type E2bInputFile = SandboxInputFile;

/** One host file and where it goes in the sandbox. */
export interface HostUpload {
  hostPath: string;
  sandboxPath: string;
}

/**
 * What `provideFiles` put where, stored in the sandbox (see `E2B_INPUTS_MANIFEST_PATH`): sandbox
 * path -> key. Validated when read, as another replica (or another version) wrote it.
 */
export const InputsManifest = z.object({
  version: z.literal(1),
  files: z.record(z.string(), z.string()),
});
export type InputsManifest = z.infer<typeof InputsManifest>;

/**
 * The host files that `create()` copies into a new sandbox: everything under each read-only
 * bind (to its sandbox path) and under the workspace directory (to the workspace path).
 *
 * A symbolic link in the workspace is copied as the file it points to. Its target is a sandbox
 * path when it was made for the local backend (`/mnt/inputs/…`, inside a read-only bind), so
 * such targets are looked up through the binds first. Links to directories and targets that do
 * not exist are skipped (and logged), as are sockets and devices.
 */
export async function hostUploads(
  workspaceDir: string,
  workspacePath: string,
  readOnlyBinds: readonly ReadOnlyBind[],
  logger: Logger,
): Promise<HostUpload[]> {
  const uploads: HostUpload[] = [];
  for (const bind of readOnlyBinds) {
    const info = await stat(bind.hostPath);
    if (info.isFile()) {
      uploads.push({ hostPath: resolve(bind.hostPath), sandboxPath: bind.sandboxPath });
    } else {
      await walk(resolve(bind.hostPath), bind.sandboxPath, readOnlyBinds, uploads, logger);
    }
  }
  await walk(resolve(workspaceDir), workspacePath, readOnlyBinds, uploads, logger);
  return uploads;
}

async function walk(
  hostDir: string,
  sandboxDir: string,
  binds: readonly ReadOnlyBind[],
  uploads: HostUpload[],
  logger: Logger,
): Promise<void> {
  for (const entry of await readdir(hostDir, { withFileTypes: true })) {
    const hostPath = join(hostDir, entry.name);
    const sandboxPath = posix.join(sandboxDir, entry.name);
    if (entry.isDirectory()) {
      await walk(hostPath, sandboxPath, binds, uploads, logger);
    } else if (entry.isFile()) {
      uploads.push({ hostPath, sandboxPath });
    } else if (entry.isSymbolicLink()) {
      const target = await linkTarget(hostPath, binds);
      const info = await stat(target).catch(() => undefined);
      if (info?.isFile() === true) uploads.push({ hostPath: target, sandboxPath });
      else logger.warn({ path: sandboxPath }, 'not copied to the E2B sandbox: a link to a missing file or a directory');
    }
  }
}

/** The host path a workspace link points to: through a read-only bind when its target is a sandbox path. */
async function linkTarget(link: string, binds: readonly ReadOnlyBind[]): Promise<string> {
  const target = await readlink(link);
  if (posix.isAbsolute(target)) {
    for (const bind of binds) {
      const inside = posix.relative(bind.sandboxPath, target);
      if (inside === '') return resolve(bind.hostPath);
      if (!inside.startsWith('..') && !posix.isAbsolute(inside)) return join(resolve(bind.hostPath), inside);
    }
    return target;
  }
  return resolve(dirname(link), target);
}

/** A host file as the web stream the SDK uploads (streamed, never read into memory whole). */
export function hostFileStream(hostPath: string): NodeReadableStream {
  return Readable.toWeb(createReadStream(hostPath));
}

/** Bytes or a Node stream as something the SDK uploads. */
export function uploadBody(data: Uint8Array | Readable): NodeReadableStream | Blob {
  return data instanceof Readable ? Readable.toWeb(data) : new Blob([data]);
}

/** `workspacePath/name`, refusing names that would leave the workspace. */
export function workspaceTarget(workspacePath: string, name: string): string {
  const normalised = posix.normalize(name);
  if (name === '' || posix.isAbsolute(name) || normalised !== name || normalised.startsWith('../') || normalised === '..') {
    throw new AssayError(
      ErrorCode.VALIDATION_FAILED,
      `An input file name must be a normalised path under the workspace (like "sales.csv"), got "${name}".`,
      { status: 400 },
    );
  }
  return posix.join(workspacePath, name);
}
