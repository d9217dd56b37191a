import { describe, expect, it } from '@jest/globals';
import { formatEnvFile, parseEnvFile } from './env-file';

describe('env files', () => {
  it('round-trips values under a comment', () => {
    const text = formatEnvFile({ ASSAY_URL: 'http://localhost:8080', ASSAY_API_KEY: 'assay_abc' }, 'Written by npm start.');
    expect(text).toBe('# Written by npm start.\nASSAY_URL=http://localhost:8080\nASSAY_API_KEY=assay_abc\n');
    expect(parseEnvFile(text)).toEqual({ ASSAY_URL: 'http://localhost:8080', ASSAY_API_KEY: 'assay_abc' });
  });

  it('accepts export, quotes and blank lines', () => {
    expect(parseEnvFile('\nexport A="x y"\nB=\'z\'\n  # c\nnot a line\nC=\n')).toEqual({ A: 'x y', B: 'z', C: '' });
  });

  it('refuses values with line breaks', () => {
    expect(() => formatEnvFile({ A: 'x\ny' }, 'c')).toThrow('A contains a line break');
  });
});
