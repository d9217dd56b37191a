import { describe, expect, it } from '@jest/globals';
import { parsePasswdLine } from './system-user';

describe('parsePasswdLine', () => {
  it('reads name, uid and gid', () => {
    expect(parsePasswdLine('postgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash')).toEqual({
      name: 'postgres',
      uid: 101,
      gid: 104,
    });
  });

  it('rejects malformed lines', () => {
    expect(parsePasswdLine('')).toBeUndefined();
    expect(parsePasswdLine('postgres:x:abc:104')).toBeUndefined();
  });
});
