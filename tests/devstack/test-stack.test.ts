import { spawn } from 'node:child_process';
import fs from 'node:fs';
import readline from 'node:readline';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { probePostgres, probeRedis, startTestStack } from '@assay/devstack';
import { Redis } from 'ioredis';
import pg from 'pg';

const projectDir = path.resolve(__dirname, '..', '..');

describe('test stack', () => {
  it("gives this test file the run's environment from the jest global setup", async () => {
    const { DATABASE_URL, REDIS_URL, ASSAY_KEY_PREFIX, ASSAY_TEST_DATA_DIR } = process.env;
    expect(ASSAY_KEY_PREFIX).toMatch(/^assay-test-[0-9a-f]+$/);
    expect(fs.statSync(ASSAY_TEST_DATA_DIR ?? '').isDirectory()).toBe(true);
    expect(await probeRedis(REDIS_URL ?? '')).toEqual({ reachable: true });

    expect(new URL(DATABASE_URL ?? '').pathname).toMatch(/^\/assay_test_[0-9a-f]+$/);
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      const applied = await client.query('SELECT count(*)::int AS n FROM _prisma_migrations WHERE finished_at IS NOT NULL');
      expect(applied.rows[0]).toEqual({ n: fs.readdirSync(path.join(projectDir, 'prisma', 'migrations')).filter((entry) => /^\d/.test(entry)).length });
    } finally {
      await client.end();
    }
  });

  it('on servers that answer, creates its own database and removes it and its keys on stop', async () => {
    const stack = await startTestStack({
      projectDir,
      redisUrl: process.env.REDIS_URL,
      databaseUrl: process.env.DATABASE_URL,
      checkAnalysisEnvironment: false,
    });
    let stopped = false;
    try {
      expect(stack.env.REDIS_URL).toBe(process.env.REDIS_URL);
      expect(stack.env.DATABASE_URL).not.toBe(process.env.DATABASE_URL);
      expect(stack.env.ASSAY_KEY_PREFIX).not.toBe(process.env.ASSAY_KEY_PREFIX);
      expect(await probePostgres(stack.env.DATABASE_URL)).toEqual({ reachable: true, databaseExists: true });

      const redis = new Redis(stack.env.REDIS_URL);
      await redis.set(`${stack.env.ASSAY_KEY_PREFIX}:probe`, '1');
      await redis.set(`${process.env.ASSAY_KEY_PREFIX ?? 'other'}:untouched`, '1');
      await stack.stop();
      stopped = true;
      expect(await redis.exists(`${stack.env.ASSAY_KEY_PREFIX}:probe`)).toBe(0);
      expect(await redis.exists(`${process.env.ASSAY_KEY_PREFIX ?? 'other'}:untouched`)).toBe(1);
      await redis.del(`${process.env.ASSAY_KEY_PREFIX ?? 'other'}:untouched`);
      await redis.quit();
    } finally {
      if (!stopped) await stack.stop();
    }
    expect(await probePostgres(stack.env.DATABASE_URL)).toEqual({ reachable: true, databaseExists: false });
    expect(fs.existsSync(stack.env.ASSAY_TEST_DATA_DIR)).toBe(false);
    expect(fs.existsSync(stack.runDir)).toBe(false);
  });

  it('removes the servers and files of an earlier run that was killed', async () => {
    // An earlier run, killed (SIGKILL) after its stack started: no teardown ran. It uses the
    // built package (npm test builds first).
    const devstackDist = path.resolve(__dirname, '../../packages/devstack/dist/index.js');
    const script = `
      const { startTestStack } = require(${JSON.stringify(devstackDist)});
      startTestStack({ projectDir: ${JSON.stringify(projectDir)}, checkAnalysisEnvironment: false }).then((stack) => {
        console.log(JSON.stringify({ ...stack.env, runDir: stack.runDir }));
        setInterval(() => undefined, 1000);
      });`;
    const killed = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const firstLine = await new Promise<string>((resolve) => readline.createInterface({ input: killed.stdout }).once('line', resolve));
    const earlier = JSON.parse(firstLine) as { REDIS_URL: string; DATABASE_URL: string; ASSAY_TEST_DATA_DIR: string; runDir: string };
    killed.kill('SIGKILL');
    await new Promise((resolve) => killed.once('exit', resolve));
    expect(await probeRedis(earlier.REDIS_URL)).toEqual({ reachable: true });

    const next = await startTestStack({
      projectDir,
      redisUrl: process.env.REDIS_URL,
      databaseUrl: process.env.DATABASE_URL,
      checkAnalysisEnvironment: false,
    });
    await next.stop();
    expect(await probeRedis(earlier.REDIS_URL)).toMatchObject({ reachable: false });
    expect(await probePostgres(earlier.DATABASE_URL)).toMatchObject({ reachable: false });
    expect(fs.existsSync(earlier.runDir)).toBe(false);
    expect(fs.existsSync(earlier.ASSAY_TEST_DATA_DIR)).toBe(false);
  });
});
