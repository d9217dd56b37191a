import { describe, expect, it } from '@jest/globals';
import { isAssayError } from '@assay/errors';
import { z } from 'zod';
import { CoreEnv } from './core-env';
import { BoolEnv, ByteSizeEnv, parseByteSize, parseEnv } from './env-helpers';

describe('BoolEnv', () => {
  it.each([
    ['true', true],
    ['1', true],
    ['YES', true],
    ['on', true],
    ['false', false],
    ['0', false],
    ['no', false],
    ['', false],
  ])('reads %j as %s', (text, expected) => {
    expect(BoolEnv.parse(text)).toBe(expected);
  });

  it('rejects other words', () => {
    expect(BoolEnv.safeParse('maybe').success).toBe(false);
  });
});

describe('parseByteSize', () => {
  it.each([
    ['52428800', 52_428_800],
    ['50MB', 50_000_000],
    ['50 MiB', 52_428_800],
    ['1.5gb', 1_500_000_000],
    ['10kib', 10_240],
  ])('reads %j as %d bytes', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it('returns undefined for text that is not a size', () => {
    expect(parseByteSize('fifty')).toBeUndefined();
    expect(parseByteSize('50 parsecs')).toBeUndefined();
  });

  it('ByteSizeEnv refuses zero and nonsense with a message', () => {
    const result = ByteSizeEnv.safeParse('0');
    expect(result.success).toBe(false);
    expect(ByteSizeEnv.safeParse('lots').error?.issues[0]?.message).toContain('expected a positive size');
  });
});

describe('parseEnv', () => {
  const minimal = { DATABASE_URL: 'postgresql://u:p@localhost:5432/db', REDIS_URL: 'redis://localhost:6379' };

  it('applies defaults', () => {
    const env = parseEnv(CoreEnv, minimal);
    expect(env.ASSAY_KEY_PREFIX).toBe('assay');
    expect(env.LOG_LEVEL).toBe('info');
    expect(env.ASSAY_DATA_DIR.startsWith('/')).toBe(true);
  });

  it('names every wrong variable in one CONFIG_INVALID error', () => {
    let caught: unknown;
    try {
      parseEnv(CoreEnv, { DATABASE_URL: 'mysql://x', LOG_LEVEL: 'loud' });
    } catch (error) {
      caught = error;
    }
    expect(isAssayError(caught) && caught.code).toBe('CONFIG_INVALID');
    const message = (caught as Error).message;
    expect(message).toContain('DATABASE_URL');
    expect(message).toContain('REDIS_URL');
    expect(message).toContain('LOG_LEVEL');
  });

  it('works with any schema', () => {
    expect(parseEnv(z.object({ N: z.coerce.number() }), { N: '3' })).toEqual({ N: 3 });
  });
});
