import { describe, expect, it } from '@jest/globals';
import { encodeRespCommand, probeRedis } from './redis-client';

describe('redis client helpers', () => {
  it('encodes commands as RESP arrays of bulk strings (lengths in bytes)', () => {
    expect(encodeRespCommand(['AUTH', 'pä'])).toBe('*2\r\n$4\r\nAUTH\r\n$3\r\npä\r\n');
  });

  it('rejects URLs that are not Redis URLs without connecting', async () => {
    await expect(probeRedis('postgresql://localhost:5432/x')).resolves.toEqual({ reachable: false, reason: 'unsupported scheme postgresql:' });
    await expect(probeRedis('not a url')).resolves.toEqual({ reachable: false, reason: 'not a URL' });
  });
});
