/**
 * Spine latency: a trivial cell (`1+1`) asked through the whole system — HTTP POST, queues,
 * codegen (scripted), executor, kernel, events back over the WebSocket — against the same cell
 * run directly on a kernel (the floor), side by side in one run.
 *
 *   npx tsx bench/spine/run.ts [--messages 30]
 *
 * Starts its own Redis, PostgreSQL (fresh database) and the four built services (`npm run build`
 * first). Prints a table; nothing is asserted.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createConsoleLogger, startTestStack } from '@assay/devstack';
import { LocalSandboxBackend } from '@assay/sandbox';
import { ApiClient, EventSocket, expectOk } from '../../tests/support/api-client';
import { ServiceStack } from '../../tests/support/service-stack';

const REPO_ROOT = path.resolve(__dirname, '../..');
const MESSAGES = Number(process.argv[process.argv.indexOf('--messages') + 1] ?? 0) || 30;
const WARM_UP = 3;
const TRIVIAL = JSON.stringify({ cells: [{ kind: 'code', source: '1+1' }] });

function summary(samples: number[]): { p50: number; p95: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p95: at(0.95), mean: sorted.reduce((sum, value) => sum + value, 0) / sorted.length };
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

/** Time from POST to the message.completed event, for `count` messages in one chat. */
async function pipelineSamples(api: ApiClient, socket: EventSocket, chatId: string, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const message = expectOk(await api.postMessage(chatId, { content: TRIVIAL }));
    await socket.waitForEvent((event) => event.messageId === message.id && event.type === 'message.completed');
    samples.push(performance.now() - started);
  }
  return samples;
}

async function main(): Promise<void> {
  const logger = createConsoleLogger({ name: 'bench', level: 'warn', stream: process.stderr });
  const testStack = await startTestStack({ projectDir: REPO_ROOT, logger });
  Object.assign(process.env, testStack.env);
  const services = await ServiceStack.start({ env: { CODEGEN_PROVIDER: 'scripted', LOG_LEVEL: 'info' } });
  const kernelDir = path.join(services.dataDir, 'raw-kernel');
  try {
    const { apiKey } = await services.createTenant('bench');
    const api = new ApiClient(services.baseUrl, apiKey);
    const socket = await EventSocket.open(services.baseUrl, apiKey);

    // A new chat's first message pays for its kernel's start.
    const coldChats: number[] = [];
    for (let i = 0; i < 5; i++) {
      const chatId = expectOk(await api.createChat()).id;
      socket.subscribe(chatId);
      coldChats.push(...(await pipelineSamples(api, socket, chatId, 1)));
    }

    const chatId = expectOk(await api.createChat()).id;
    socket.subscribe(chatId);
    await pipelineSamples(api, socket, chatId, WARM_UP);
    const warm = await pipelineSamples(api, socket, chatId, MESSAGES);
    await socket.close();

    // The floor: the same cell on a kernel, no HTTP, queues, database or events.
    const { mkdir, chmod } = await import('node:fs/promises');
    await mkdir(kernelDir, { recursive: true });
    await chmod(kernelDir, 0o755);
    const sandbox = await new LocalSandboxBackend().create({ workspaceDir: kernelDir });
    const raw: number[] = [];
    for (let i = 0; i < WARM_UP + MESSAGES; i++) {
      const started = performance.now();
      await sandbox.runCode('1+1');
      if (i >= WARM_UP) raw.push(performance.now() - started);
    }
    await sandbox.close();

    const pipeline = summary(warm);
    const floor = summary(raw);
    const cold = summary(coldChats);
    const rows = [
      ['trivial cell through the whole system (warm kernel)', pipeline],
      ['same cell, raw kernel round trip (floor)', floor],
      ['first message of a new chat (kernel start included)', cold],
    ] as const;
    process.stdout.write(`\nspine latency, ${MESSAGES} messages (after ${WARM_UP} warm-up), ${new Date().toISOString()}\n\n`);
    process.stdout.write('| | p50 | p95 | mean |\n|---|---|---|---|\n');
    for (const [label, stats] of rows) process.stdout.write(`| ${label} | ${ms(stats.p50)} | ${ms(stats.p95)} | ${ms(stats.mean)} |\n`);
    process.stdout.write(`\noverhead of the pipeline at p50: ${ms(pipeline.p50 - floor.p50)}\n`);
  } finally {
    await services.stop();
    await testStack.stop();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
