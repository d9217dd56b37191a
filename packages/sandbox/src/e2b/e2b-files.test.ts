import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createLogger } from '@assay/logger';
import { hostUploads, workspaceTarget } from './e2b-files';

describe('workspaceTarget', () => {
  it('places a relative name under the workspace and refuses names that leave it', () => {
    expect(workspaceTarget('/mnt/data', 'sales.csv')).toBe('/mnt/data/sales.csv');
    expect(workspaceTarget('/mnt/data', 'q1/sales.csv')).toBe('/mnt/data/q1/sales.csv');
    for (const name of ['', '/etc/passwd', '../x', 'a/../../x', './x', 'a//b']) {
      expect(() => workspaceTarget('/mnt/data', name)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });
});

describe('hostUploads', () => {
  let root: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'assay-test-e2b-files-'));
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('lists bind and workspace files with their sandbox paths, following links through the binds', async () => {
    const workspace = join(root, 'data');
    const inputs = join(root, 'inputs');
    await mkdir(join(workspace, 'nested'), { recursive: true });
    await mkdir(join(inputs, 'f1'), { recursive: true });
    await writeFile(join(workspace, 'a.csv'), 'a');
    await writeFile(join(workspace, 'nested', 'b.txt'), 'b');
    await writeFile(join(inputs, 'f1', 'up.csv'), 'up');
    await symlink('/mnt/inputs/f1/up.csv', join(workspace, 'up.csv'));
    await symlink('/mnt/inputs/missing.csv', join(workspace, 'dangling.csv'));

    const uploads = await hostUploads(workspace, '/mnt/data', [{ hostPath: inputs, sandboxPath: '/mnt/inputs' }], createLogger({ name: 'test', level: 'silent' }));
    expect(uploads.sort((x, y) => x.sandboxPath.localeCompare(y.sandboxPath))).toEqual([
      { hostPath: join(workspace, 'a.csv'), sandboxPath: '/mnt/data/a.csv' },
      { hostPath: join(workspace, 'nested', 'b.txt'), sandboxPath: '/mnt/data/nested/b.txt' },
      { hostPath: join(inputs, 'f1', 'up.csv'), sandboxPath: '/mnt/data/up.csv' },
      { hostPath: join(inputs, 'f1', 'up.csv'), sandboxPath: '/mnt/inputs/f1/up.csv' },
    ]);
  });
});
