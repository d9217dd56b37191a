import fs from 'node:fs';
import { runCommand } from './run-command';

/** A system account to run a server as. */
export interface SystemUser {
  name: string;
  uid: number;
  gid: number;
}

/** Parses one `/etc/passwd` line (`name:x:uid:gid:gecos:home:shell`). */
export function parsePasswdLine(line: string): SystemUser | undefined {
  const [name, , uid, gid] = line.trim().split(':');
  const uidNumber = Number(uid);
  const gidNumber = Number(gid);
  if (!name || uid === undefined || gid === undefined || !Number.isInteger(uidNumber) || !Number.isInteger(gidNumber)) {
    return undefined;
  }
  return { name, uid: uidNumber, gid: gidNumber };
}

/** Looks up a user through NSS (`getent`), falling back to /etc/passwd. */
export async function findSystemUser(name: string): Promise<SystemUser | undefined> {
  try {
    const result = await runCommand('getent', ['passwd', name], { timeoutMs: 10_000 });
    if (result.exitCode === 0) return parsePasswdLine(result.stdout.split('\n')[0] ?? '');
    if (result.exitCode === 2) return undefined;
  } catch {
    // No getent: read the file.
  }
  try {
    const line = fs
      .readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((entry) => entry.startsWith(`${name}:`));
    return line === undefined ? undefined : parsePasswdLine(line);
  } catch {
    return undefined;
  }
}

/** True when `user` can write to `dir` (asked by running `test -w` as that user). */
export async function canUserWrite(user: SystemUser, dir: string): Promise<boolean> {
  try {
    const result = await runCommand('test', ['-w', dir], { uid: user.uid, gid: user.gid, timeoutMs: 10_000 });
    return result.exitCode === 0;
  } catch {
    return false;
  }
}
