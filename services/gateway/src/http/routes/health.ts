import type { PrismaClient } from '@assay/db';
import type { BlobStore } from '@assay/storage';
import { Router } from 'express';
import type { Redis } from 'ioredis';

/**
 * `/healthz`: the process is up. `/readyz`: it can serve, i.e. PostgreSQL, Redis and the blob
 * store (where uploads go) answer.
 * Neither needs an API key (load balancers and orchestrators call them).
 */
export function healthRoutes(options: { prisma: PrismaClient; redis: Redis; blobs: Pick<BlobStore, 'ping'> }): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const checks = await Promise.all([
      check('postgres', () => options.prisma.$queryRaw`SELECT 1`),
      check('redis', () => options.redis.ping()),
      check('storage', () => options.blobs.ping()),
    ]);
    const ready = checks.every((result) => result.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks });
  });
  return router;
}

async function check(name: string, probe: () => Promise<unknown>): Promise<{ name: string; ok: boolean; error?: string }> {
  try {
    await probe();
    return { name, ok: true };
  } catch (error) {
    return { name, ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}
