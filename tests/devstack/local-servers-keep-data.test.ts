import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
import { probePostgres, startPostgres, startRedis } from '@assay/devstack';
import { Redis } from 'ioredis';
import pg from 'pg';

const execFileAsync = promisify(execFile);

/** A temp dir other users can walk into (the postgres user must, when tests run as root). */
function sharedTempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-devstack-'));
  fs.chmodSync(dir, 0o755);
  return dir;
}

async function query(url: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

describe('local Redis and PostgreSQL', () => {
  const root = sharedTempDir();
  const toStop: Array<{ stop(): Promise<void> }> = [];

  afterAll(async () => {
    await Promise.all(toStop.map((server) => server.stop()));
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('Redis keeps its data across a restart on the same directory', async () => {
    const dir = path.join(root, 'redis');
    const key = `kept-${randomUUID()}`;
    const first = await startRedis({ dir });
    toStop.push(first);
    const writer = new Redis(first.url);
    await writer.set(key, 'still here');
    await writer.quit();
    await first.stop();

    const second = await startRedis({ dir });
    toStop.push(second);
    const reader = new Redis(second.url);
    try {
      expect(await reader.get(key)).toBe('still here');
    } finally {
      await reader.quit();
      await second.stop();
    }
  });

  it('Redis listens on the loopback only and requires its password', async () => {
    const server = await startRedis({ dir: path.join(root, 'redis-auth'), ephemeral: true });
    toStop.push(server);
    expect(new URL(server.url).hostname).toBe('127.0.0.1');
    const anonymous = new Redis({
      host: '127.0.0.1',
      port: server.port,
      lazyConnect: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    anonymous.on('error', () => undefined);
    try {
      await anonymous.connect();
      await expect(anonymous.get('anything')).rejects.toThrow(/NOAUTH/);
    } finally {
      anonymous.disconnect();
      await server.stop();
    }
    expect(fs.existsSync(path.join(root, 'redis-auth'))).toBe(false);
  });

  it('uses another port when the preferred one is taken by something else', async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const address = squatter.address();
    const taken = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const server = await startRedis({ dir: path.join(root, 'redis-port'), port: taken, ephemeral: true });
      toStop.push(server);
      expect(server.port).not.toBe(taken);
      expect(new URL(server.url).port).toBe(String(server.port));
      await server.stop();
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('PostgreSQL keeps its data across a restart on the same directory', async () => {
    const dir = path.join(root, 'postgres');
    const table = `kept_${randomUUID().replaceAll('-', '')}`;
    const first = await startPostgres({ dir });
    toStop.push(first);
    await query(first.url, `CREATE TABLE ${table} (note text)`);
    await query(first.url, `INSERT INTO ${table} VALUES ($1)`, ['still here']);
    await first.stop();

    const second = await startPostgres({ dir });
    toStop.push(second);
    try {
      expect(second.dataDir).toBe(first.dataDir);
      const rows = await query(second.url, `SELECT note FROM ${table}`);
      expect(rows.rows).toEqual([{ note: 'still here' }]);
    } finally {
      await second.stop();
    }
  });

  it('PostgreSQL refuses a wrong password', async () => {
    const server = await startPostgres({ dir: path.join(root, 'postgres-auth'), ephemeral: true });
    toStop.push(server);
    try {
      const wrong = new URL(server.url);
      wrong.password = 'not-the-password';
      expect(await probePostgres(wrong.toString())).toEqual({
        reachable: false,
        reason: expect.stringMatching(/password authentication failed/),
      });
      expect((await probePostgres(server.url)).reachable).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('stop() waits for the servers to exit even when nothing else keeps the process alive', async () => {
    // A script that only starts and stops the servers: its event loop has nothing else to wait for.
    // It runs the built package (npm test builds first).
    const devstackDist = path.resolve(__dirname, '../../packages/devstack/dist/index.js');
    const dir = path.join(root, 'lonely');
    const script = `
      const { startPostgres, startRedis } = require(${JSON.stringify(devstackDist)});
      (async () => {
        const redis = await startRedis({ dir: ${JSON.stringify(path.join(dir, 'redis'))} });
        const postgres = await startPostgres({ dir: ${JSON.stringify(path.join(dir, 'postgres'))} });
        console.log(JSON.stringify({ redis: redis.pid, postgres: postgres.pid }));
        await redis.stop();
        await postgres.stop();
        console.log('stopped');
      })();`;
    const { stdout } = await execFileAsync(process.execPath, ['-e', script]);
    const [pidsLine, last] = stdout.trim().split('\n');
    expect(last).toBe('stopped');
    const pids = JSON.parse(pidsLine ?? '{}') as { redis: number; postgres: number };
    for (const pid of [pids.redis, pids.postgres]) {
      expect(() => process.kill(pid, 0)).toThrow();
    }
    expect(fs.existsSync(path.join(dir, 'redis', 'redis.pid'))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'postgres', 'data', 'postmaster.pid'))).toBe(false);
  });

  it('PostgreSQL data goes where its server user can reach it', async () => {
    // A private parent directory, as a repository cloned under /root would have.
    const privateParent = fs.mkdtempSync(path.join(os.tmpdir(), 'assay-private-'));
    const dir = path.join(privateParent, 'postgres');
    const server = await startPostgres({ dir, ephemeral: true });
    toStop.push(server);
    try {
      if (process.getuid?.() === 0) {
        // Run as the postgres user, which cannot enter a root-only directory.
        expect(server.dataDir.startsWith('/var/lib/assay/postgres-')).toBe(true);
      } else {
        expect(server.dataDir).toBe(path.join(dir, 'data'));
      }
      expect((await query(server.url, 'SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await server.stop();
      fs.rmSync(privateParent, { recursive: true, force: true });
    }
    expect(fs.existsSync(server.dataDir)).toBe(false);
  });
});
