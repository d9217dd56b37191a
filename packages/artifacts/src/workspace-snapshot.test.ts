import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { WorkspaceSnapshot } from './workspace-snapshot';

describe('WorkspaceSnapshot', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'assay-snapshot-'));
  });
  afterEach(async () => {
    await fs.promises.rm(dir, { recursive: true, force: true });
  });

  const write = (relative: string, content: string) => {
    fs.mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
    fs.writeFileSync(path.join(dir, relative), content);
  };

  it('reports new and rewritten files, not unchanged ones or links', async () => {
    write('kept.csv', 'a\n1\n');
    write('rewritten.csv', 'a\n1\n');
    fs.symlinkSync('/etc/hostname', path.join(dir, 'input.csv'));
    const before = await WorkspaceSnapshot.take(dir);

    write('new.xlsx', 'x');
    write('charts/deep/plot.png', 'png');
    fs.rmSync(path.join(dir, 'rewritten.csv'));
    write('rewritten.csv', 'a\n2\n');
    fs.symlinkSync('/etc/hostname', path.join(dir, 'another-link.csv'));
    const after = await WorkspaceSnapshot.take(dir);

    expect(before.changedIn(after).map((file) => [file.relativePath, file.sizeBytes])).toEqual([
      ['charts/deep/plot.png', 3],
      ['new.xlsx', 1],
      ['rewritten.csv', 4],
    ]);
  });

  it('does not look deeper than maxDepth', async () => {
    const before = await WorkspaceSnapshot.take(dir, { maxDepth: 1 });
    write('a/b.csv', '1');
    write('a/b/c.csv', '1');
    const after = await WorkspaceSnapshot.take(dir, { maxDepth: 1 });
    expect(before.changedIn(after).map((file) => file.relativePath)).toEqual(['a/b.csv']);
  });

  it('treats a missing workspace as empty', async () => {
    const missing = await WorkspaceSnapshot.take(path.join(dir, 'nope'));
    write('x.csv', '1');
    expect(missing.changedIn(await WorkspaceSnapshot.take(dir))).toHaveLength(1);
  });
});
