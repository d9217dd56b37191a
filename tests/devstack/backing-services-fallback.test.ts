import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { findFreePort, probePostgres, probeRedis, resolveBackingServices } from '@assay/devstack';

describe('backing services', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-backing-'));
  fs.chmodSync(dataDir, 0o755);

  afterAll(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts local servers when the given URLs do not answer', async () => {
    const deadPort = await findFreePort();
    const services = await resolveBackingServices({
      redisUrl: `redis://127.0.0.1:${deadPort}`,
      databaseUrl: `postgresql://someone:secret@127.0.0.1:${deadPort}/somewhere`,
      dataDir,
      ephemeral: true,
      installPackages: false,
    });
    try {
      expect(services.redis).toBeDefined();
      expect(services.postgres).toBeDefined();
      expect(new URL(services.redisUrl).port).not.toBe(String(deadPort));
      expect(await probeRedis(services.redisUrl)).toEqual({ reachable: true });
      // The local server answers; the stack's database is created later by its user.
      expect(await probePostgres(services.databaseUrl)).toEqual({ reachable: true, databaseExists: false });
    } finally {
      await services.stop();
    }
    expect(await probeRedis(services.redisUrl)).toMatchObject({ reachable: false });
  });

  it('uses the given URLs when they answer', async () => {
    // The run's own servers, exported by the jest global setup.
    const redisUrl = process.env.REDIS_URL;
    const databaseUrl = process.env.DATABASE_URL;
    expect(redisUrl).toBeDefined();
    expect(databaseUrl).toBeDefined();
    const services = await resolveBackingServices({ redisUrl, databaseUrl, dataDir, installPackages: false });
    try {
      expect(services.redis).toBeUndefined();
      expect(services.postgres).toBeUndefined();
      expect(services.redisUrl).toBe(redisUrl);
      expect(services.databaseUrl).toBe(databaseUrl);
    } finally {
      await services.stop();
    }
    // Stopping does not touch servers it did not start.
    expect(await probeRedis(redisUrl ?? '')).toEqual({ reachable: true });
  });
});
