/**
 * Executor benchmarks, each against its floor in the same run:
 *
 *  (a) a warm trivial cell re-run through the whole system (HTTP POST /cells/:id/run → notebook
 *      queue → executor → kernel → cell.completed on the WebSocket), vs the same cell on a raw
 *      kernel (the local sandbox, no HTTP, queue, database or events);
 *  (b) first output of a new chat (POST message → first cell.output) with the warm pool, vs with
 *      the pool off (a kernel started for the chat);
 *  (c) memory per idle session (RSS and PSS of each chat's kernel processes);
 *  (d) sessions held at once, and cells per second across many concurrent chats.
 *
 *   npx tsx bench/executor/run.ts [--runs 40] [--chats 50] [--cells 4] [--only a]
 *
 * Starts its own Redis, PostgreSQL and the four built services (`npm run build` first). Prints
 * tables; nothing is asserted.
 */
import { mkdir, chmod, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { type Cell, NotebookOperationResource } from '@assay/contracts';
import { createConsoleLogger, startTestStack } from '@assay/devstack';
import { LocalSandboxBackend } from '@assay/sandbox';
import { z } from 'zod';
import { ApiClient, EventSocket, expectOk } from '../../tests/support/api-client';
import { ServiceStack } from '../../tests/support/service-stack';

const REPO_ROOT = path.resolve(__dirname, '../..');
const arg = (name: string, fallback: number): number => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) || fallback : fallback;
};
const RUNS = arg('runs', 40);
const CHATS = arg('chats', 50);
const CELLS_PER_CHAT = arg('cells', 4);
const WARM_UP = 5;
const ONLY_A = process.argv.includes('--only') && process.argv[process.argv.indexOf('--only') + 1] === 'a';

interface Stats {
  p50: number;
  p95: number;
  mean: number;
}

function summary(samples: readonly number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p95: at(0.95), mean: sorted.reduce((sum, value) => sum + value, 0) / sorted.length };
}
const ms = (value: number) => `${value.toFixed(1)} ms`;
const sleep = (delayMs: number) => new Promise((resolve) => setTimeout(resolve, delayMs));

interface Client {
  api: ApiClient;
  socket: EventSocket;
}

async function client(services: ServiceStack): Promise<Client> {
  const { apiKey } = await services.createTenant(`bench-${Date.now()}`);
  return { api: new ApiClient(services.baseUrl, apiKey), socket: await EventSocket.open(services.baseUrl, apiKey) };
}

/** A chat whose first message holds one code cell `source`; resolves once it completed. */
async function chatWithCell({ api, socket }: Client, source: string): Promise<{ chatId: string; cell: Cell }> {
  const chatId = expectOk(await api.createChat()).id;
  socket.subscribe(chatId);
  await socket.waitForFrame((frame) => frame.type === 'subscribed' && frame.payload.chatId === chatId);
  const message = expectOk(await api.postMessage(chatId, { content: JSON.stringify({ cells: [{ kind: 'code', source }] }) }));
  await socket.waitForEvent((event) => event.messageId === message.id && event.type === 'message.completed', 120_000);
  const cell = expectOk(await api.getChat(chatId)).messages[0]?.cells[0];
  if (!cell) throw new Error('no cell');
  return { chatId, cell };
}

/** Re-runs a cell through the API and waits for its cell.completed event. */
async function rerun({ api, socket }: Client, chatId: string, cellId: string): Promise<void> {
  const after = socket.events(chatId).at(-1)?.id ?? 0;
  NotebookOperationResource.parse(expectOk(await api.request('POST', `/v1/chats/${chatId}/cells/${cellId}/run`, z.unknown())));
  await socket.waitForEvent((event) => event.chatId === chatId && event.id > after && event.type === 'cell.completed' && event.data.cellId === cellId, 120_000);
}

/** (a): whole-system re-run of `1+1` vs the same cell on a raw kernel. */
async function warmCell(services: ServiceStack): Promise<{ pipeline: Stats; floor: Stats }> {
  const c = await client(services);
  const { chatId, cell } = await chatWithCell(c, '1+1');
  const pipeline: number[] = [];
  for (let i = 0; i < WARM_UP + RUNS; i++) {
    const started = performance.now();
    await rerun(c, chatId, cell.id);
    if (i >= WARM_UP) pipeline.push(performance.now() - started);
  }
  await c.socket.close();

  const kernelDir = path.join(services.dataDir, 'raw-kernel');
  await mkdir(kernelDir, { recursive: true });
  await chmod(kernelDir, 0o755);
  const sandbox = await new LocalSandboxBackend().create({ workspaceDir: kernelDir });
  const floor: number[] = [];
  try {
    for (let i = 0; i < WARM_UP + RUNS; i++) {
      const started = performance.now();
      await sandbox.runCode('1+1');
      if (i >= WARM_UP) floor.push(performance.now() - started);
    }
  } finally {
    await sandbox.close();
  }
  return { pipeline: summary(pipeline), floor: summary(floor) };
}

/** (b): POST of a new chat's first message until its first output arrives. */
async function firstOutputs(services: ServiceStack, samples: number, pauseMs: number): Promise<Stats> {
  const c = await client(services);
  const durations: number[] = [];
  for (let i = 0; i < samples; i++) {
    await sleep(pauseMs); // lets the pool refill, as between two people opening chats
    const chatId = expectOk(await c.api.createChat()).id;
    c.socket.subscribe(chatId);
    await c.socket.waitForFrame((frame) => frame.type === 'subscribed' && frame.payload.chatId === chatId);
    const started = performance.now();
    expectOk(await c.api.postMessage(chatId, { content: JSON.stringify({ cells: [{ kind: 'code', source: 'import pandas as pd\nprint(pd.__version__)' }] }) }));
    await c.socket.waitForEvent((event) => event.chatId === chatId && event.type === 'cell.output', 120_000);
    durations.push(performance.now() - started);
  }
  await c.socket.close();
  return summary(durations);
}

/** Kernel processes (python3 under bwrap) whose command line mentions the data directory, with RSS and PSS in KiB. */
async function kernelMemory(dataDir: string): Promise<{ kernels: number; rssKiB: number; pssKiB: number }> {
  let kernels = 0;
  let rssKiB = 0;
  let pssKiB = 0;
  for (const name of (await readdir('/proc')).filter((entry) => /^\d+$/.test(entry))) {
    try {
      const cmdline = (await readFile(`/proc/${name}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      if (!cmdline.includes('ipykernel_launcher') || cmdline.includes('bwrap')) continue;
      const mounts = await readFile(`/proc/${name}/mountinfo`, 'utf8').catch(() => '');
      if (!mounts.includes(dataDir)) continue;
      const rollup = await readFile(`/proc/${name}/smaps_rollup`, 'utf8');
      rssKiB += Number(/^Rss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      pssKiB += Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      kernels += 1;
    } catch {
      // gone meanwhile
    }
  }
  return { kernels, rssKiB, pssKiB };
}

async function main(): Promise<void> {
  const logger = createConsoleLogger({ name: 'bench', level: 'warn', stream: process.stderr });
  const testStack = await startTestStack({ projectDir: REPO_ROOT, logger });
  Object.assign(process.env, testStack.env);
  const out = (line = '') => process.stdout.write(`${line}\n`);
  try {
    // (a) and (b) with the warm pool on.
    const pooled = await ServiceStack.start({ env: { CODEGEN_PROVIDER: 'scripted', LOG_LEVEL: 'info', ASSAY_WARM_POOL_SIZE: '2', ASSAY_MAX_SESSIONS_PER_TENANT: '1000' } });
    let warm: { pipeline: Stats; floor: Stats };
    let withPool: Stats;
    try {
      warm = await warmCell(pooled);
      if (ONLY_A) {
        out(`(a) p50 ${ms(warm.pipeline.p50)} vs floor ${ms(warm.floor.p50)}: overhead ${ms(warm.pipeline.p50 - warm.floor.p50)} (logs: ${pooled.logDir})`);
        return;
      }
      withPool = await firstOutputs(pooled, Math.min(RUNS, 15), 2_000);
    } finally {
      await pooled.stop();
    }
    const cold = await ServiceStack.start({ env: { CODEGEN_PROVIDER: 'scripted', LOG_LEVEL: 'info', ASSAY_WARM_POOL_SIZE: '0', ASSAY_MAX_SESSIONS_PER_TENANT: '1000' } });
    let withoutPool: Stats;
    try {
      withoutPool = await firstOutputs(cold, Math.min(RUNS, 15), 200);
    } finally {
      await cold.stop();
    }

    // (c) and (d): many chats on one executor.
    const many = await ServiceStack.start({
      env: {
        CODEGEN_PROVIDER: 'scripted',
        LOG_LEVEL: 'info',
        ASSAY_WARM_POOL_SIZE: '0',
        ASSAY_EXECUTOR_CONCURRENCY: '8',
        ASSAY_MAX_SESSIONS_PER_TENANT: '1000',
        ASSAY_MAX_SESSIONS: String(CHATS + 10),
      },
      startTimeoutMs: 60_000,
    });
    let sessions: { kernels: number; rssKiB: number; pssKiB: number; openSeconds: number };
    let throughput: { cells: number; seconds: number };
    try {
      const c = await client(many);
      const started = performance.now();
      const chats: Array<{ chatId: string; cell: Cell }> = [];
      // Opened a few at a time: each new kernel costs ~0.5 s of one core.
      for (let i = 0; i < CHATS; i += 4) {
        chats.push(...(await Promise.all(Array.from({ length: Math.min(4, CHATS - i) }, () => chatWithCell(c, 'import pandas as pd\nframe = pd.DataFrame({"x": range(1000)})\nframe.x.sum()')))));
      }
      const openSeconds = (performance.now() - started) / 1000;
      await sleep(2_000);
      sessions = { ...(await kernelMemory(many.dataDir)), openSeconds };

      const runStarted = performance.now();
      await Promise.all(
        chats.map(async ({ chatId, cell }) => {
          for (let i = 0; i < CELLS_PER_CHAT; i++) await rerun(c, chatId, cell.id);
        }),
      );
      throughput = { cells: chats.length * CELLS_PER_CHAT, seconds: (performance.now() - runStarted) / 1000 };
      await c.socket.close();
    } finally {
      await many.stop();
    }

    out(`\nexecutor benchmarks, ${new Date().toISOString()}, ${RUNS} runs (after ${WARM_UP} warm-up)\n`);
    out('| | p50 | p95 | mean |');
    out('|---|---|---|---|');
    out(`| (a) warm \`1+1\` re-run through HTTP → queue → executor → kernel → WebSocket | ${ms(warm.pipeline.p50)} | ${ms(warm.pipeline.p95)} | ${ms(warm.pipeline.mean)} |`);
    out(`| (a) same cell on a raw kernel (floor) | ${ms(warm.floor.p50)} | ${ms(warm.floor.p95)} | ${ms(warm.floor.mean)} |`);
    out(`| (b) first output of a new chat, warm pool on | ${ms(withPool.p50)} | ${ms(withPool.p95)} | ${ms(withPool.mean)} |`);
    out(`| (b) first output of a new chat, pool off (kernel started for it) | ${ms(withoutPool.p50)} | ${ms(withoutPool.p95)} | ${ms(withoutPool.mean)} |`);
    out();
    out(`(a) pipeline overhead at p50: ${ms(warm.pipeline.p50 - warm.floor.p50)}`);
    out(`(b) pool saves at p50: ${ms(withoutPool.p50 - withPool.p50)}`);
    out(
      `(c) ${sessions.kernels} idle sessions (pandas imported, a 1000-row frame): ${(sessions.rssKiB / 1024 / Math.max(1, sessions.kernels)).toFixed(1)} MiB RSS, ` +
        `${(sessions.pssKiB / 1024 / Math.max(1, sessions.kernels)).toFixed(1)} MiB PSS per session; opened in ${sessions.openSeconds.toFixed(1)} s`,
    );
    out(`(d) ${CHATS} chats held at once; ${throughput.cells} cell runs across them in ${throughput.seconds.toFixed(1)} s = ${(throughput.cells / throughput.seconds).toFixed(1)} cells/s`);
  } finally {
    await testStack.stop();
  }
}

void main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
