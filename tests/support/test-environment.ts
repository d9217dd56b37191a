/** Connections and names the jest global setup prepared for this test run. */
export interface TestEnvironment {
  databaseUrl: string;
  redisUrl: string;
  /** Prefix of this run's Redis keys; suites add their own suffix. */
  keyPrefix: string;
}

/**
 * Reads what tests/setup/global-setup.ts exported. Fails with a clear message when a test file
 * is run without it (e.g. by a jest config that skips the global setup).
 */
export function testEnvironment(): TestEnvironment {
  const { DATABASE_URL, REDIS_URL, ASSAY_KEY_PREFIX } = process.env;
  if (!DATABASE_URL || !REDIS_URL || !ASSAY_KEY_PREFIX) {
    throw new Error(
      'DATABASE_URL, REDIS_URL and ASSAY_KEY_PREFIX are not set: run the tests through `npm test` (or jest with the repository config), whose global setup starts Redis and PostgreSQL.',
    );
  }
  return { databaseUrl: DATABASE_URL, redisUrl: REDIS_URL, keyPrefix: ASSAY_KEY_PREFIX };
}
