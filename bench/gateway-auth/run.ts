/**
 * API key authentication cost: the gateway's ApiKeyCache (a hit after the first request) against
 * a PostgreSQL lookup on every request (the cache off, ASSAY_API_KEY_CACHE_TTL_MS=0), both as the
 * bare lookup and as a whole authenticated HTTP request (`GET /v1/chats/:id` of a small chat) on
 * an in-process gateway. Side by side in one run.
 *
 *   npx tsx bench/gateway-auth/run.ts [--requests 2000]
 *
 * Starts its own Redis and PostgreSQL. Prints a table; nothing is asserted.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { authenticateApiKey, createTenantWithApiKey } from '@assay/db';
import { createConsoleLogger, startTestStack } from '@assay/devstack';
import { ApiKeyCache } from '../../services/gateway/src/http/api-key-cache';
import { startGateway, type InProcessGateway } from '../../tests/gateway/support/in-process-gateway';

const REPO_ROOT = path.resolve(__dirname, '../..');
const REQUESTS = Number(process.argv[process.argv.indexOf('--requests') + 1] ?? 0) || 2000;

function summary(samples: number[]): { p50: number; p95: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p95: at(0.95), mean: sorted.reduce((sum, value) => sum + value, 0) / sorted.length };
}

async function time(count: number, run: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 50; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return samples;
}

async function httpSamples(gateway: InProcessGateway): Promise<number[]> {
  const { apiKey } = await createTenantWithApiKey(gateway.prisma, { tenantName: 'bench' });
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const chat = (await (await fetch(`${gateway.baseUrl}/v1/chats`, { method: 'POST', headers, body: '{}' })).json()) as { id: string };
  return time(REQUESTS, async () => {
    const response = await fetch(`${gateway.baseUrl}/v1/chats/${chat.id}`, { headers });
    await response.arrayBuffer();
  });
}

async function main(): Promise<void> {
  const logger = createConsoleLogger({ name: 'bench', level: 'warn', stream: process.stderr });
  const testStack = await startTestStack({ projectDir: REPO_ROOT, logger });
  Object.assign(process.env, testStack.env);
  const cached = await startGateway({ apiKeyCacheTtlMs: 30_000 });
  const uncached = await startGateway({ apiKeyCacheTtlMs: 0 });
  try {
    const { apiKey } = await createTenantWithApiKey(cached.prisma, { tenantName: 'bench lookup' });
    const cache = new ApiKeyCache({ prisma: cached.prisma, logger: cached.logsLogger, ttlMs: 30_000 });
    const rows = [
      ['lookup: PostgreSQL every time', summary(await time(REQUESTS, () => authenticateApiKey(cached.prisma, apiKey)))],
      ['lookup: ApiKeyCache hit', summary(await time(REQUESTS, () => cache.authenticate(apiKey)))],
      ['GET /v1/chats/:id, cache off (TTL 0)', summary(await httpSamples(uncached))],
      ['GET /v1/chats/:id, cache on', summary(await httpSamples(cached))],
    ] as const;
    const ms = (value: number) => `${value.toFixed(3)} ms`;
    process.stdout.write(`\nAPI key authentication, ${REQUESTS} requests each, ${new Date().toISOString()}\n\n| | p50 | p95 | mean |\n|---|---|---|---|\n`);
    for (const [label, stats] of rows) process.stdout.write(`| ${label} | ${ms(stats.p50)} | ${ms(stats.p95)} | ${ms(stats.mean)} |\n`);
  } finally {
    await cached.close();
    await uncached.close();
    await testStack.stop();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
