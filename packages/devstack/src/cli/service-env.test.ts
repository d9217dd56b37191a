import { describe, expect, it } from '@jest/globals';
import { serviceEnvironment } from './service-env';

const settings = {
  DATABASE_URL: 'postgresql://assay:pw@127.0.0.1:55432/assay',
  REDIS_URL: 'redis://:pw@127.0.0.1:56379/0',
  ASSAY_DATA_DIR: '/repo/.assay/data',
  LOG_LEVEL: 'info',
};

describe('serviceEnvironment', () => {
  it("passes the user's variables through and sets the stack's", () => {
    const env = serviceEnvironment(
      { ANTHROPIC_API_KEY: 'sk-test', PATH: '/usr/bin', DATABASE_URL: 'postgresql://elsewhere/db', npm_lifecycle_event: 'start' },
      settings,
      8080,
    );
    expect(env).toEqual({ ANTHROPIC_API_KEY: 'sk-test', PATH: '/usr/bin', ...settings, PORT: '8080' });
  });

  it('gives PORT only to the service that listens', () => {
    expect(serviceEnvironment({ PORT: '9999' }, settings, undefined).PORT).toBeUndefined();
  });
});
