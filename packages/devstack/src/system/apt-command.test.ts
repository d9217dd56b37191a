import { describe, expect, it } from '@jest/globals';
import { aptInstallArguments, formatAptInstallCommand, normalizePackageList } from './apt-command';

describe('apt command', () => {
  it('sorts and de-duplicates packages', () => {
    expect(normalizePackageList(['redis-server', 'bubblewrap', 'redis-server'])).toEqual(['bubblewrap', 'redis-server']);
  });

  it('installs unattended without recommended packages', () => {
    expect(aptInstallArguments(['python3-xlrd'])).toEqual(['install', '-y', '--no-install-recommends', 'python3-xlrd']);
  });

  it('formats the full command a person can paste', () => {
    expect(formatAptInstallCommand(['python3-pandas', 'bubblewrap'])).toBe(
      'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends bubblewrap python3-pandas',
    );
  });
});
