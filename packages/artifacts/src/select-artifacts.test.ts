import { describe, expect, it } from '@jest/globals';
import { selectArtifacts } from './select-artifacts';

const file = (relativePath: string, sizeBytes = 10) => ({ relativePath, absolutePath: `/w/${relativePath}`, sizeBytes });

describe('selectArtifacts', () => {
  it('keeps the kinds people download, with their content type, and ignores other files', () => {
    const { keep, notices } = selectArtifacts([file('out.XLSX'), file('plot.png'), file('model.pkl'), file('run.sh'), file('noext')], {
      maxBytes: 100,
      maxPerCell: 10,
    });
    expect(keep.map((candidate) => [candidate.relativePath, candidate.mimeType])).toEqual([
      ['out.XLSX', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
      ['plot.png', 'image/png'],
    ]);
    expect(notices).toEqual([]);
  });

  it('explains files that are too large or beyond the count', () => {
    const { keep, notices } = selectArtifacts([file('a.csv', 5), file('big.csv', 2048), file('b.csv', 5), file('c.csv', 5)], {
      maxBytes: 1024,
      maxPerCell: 2,
    });
    expect(keep.map((candidate) => candidate.relativePath)).toEqual(['a.csv', 'b.csv']);
    expect(notices).toEqual([
      'big.csv (2 KiB) was not kept: files larger than 1 KiB cannot be downloaded.',
      'c.csv was not kept: one cell can produce at most 2 files.',
    ]);
  });
});
