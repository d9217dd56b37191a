/**
 * Upload memory and throughput: a large CSV (default 1 GiB, generated on the fly, never held in
 * memory) streamed as multipart/form-data to the gateway, once per blob store (local filesystem,
 * then S3 on a local S3 server), while the gateway's resident memory is sampled from
 * /proc/<pid>/status. A smaller upload in the same run shows whether memory grows with the file.
 * The floor: the same bytes put straight into the same store by this process (no HTTP, no
 * multipart parsing, no content check).
 *
 *   npx tsx bench/upload/run.ts [--mb 1024] [--small-mb 128]
 *
 * Starts its own Redis and PostgreSQL (fresh database), one built gateway per store (`npm run
 * build` first) and, for S3, the S3 test server in a process of its own. Prints a table; nothing is
 * asserted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createPrismaClient, createTenantWithApiKey } from '@assay/db';
import { createConsoleLogger, startTestStack } from '@assay/devstack';
import { LocalBlobStore, S3BlobStore, type BlobStore } from '@assay/storage';
import { freePort } from '../../tests/support/service-stack';

const REPO_ROOT = path.resolve(__dirname, '../..');
const MIB = 1024 * 1024;

function numberArg(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  const value = index >= 0 ? Number(process.argv[index + 1]) : Number.NaN;
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

const LARGE_BYTES = numberArg('--mb', 1024) * MIB;
const SMALL_BYTES = numberArg('--small-mb', 128) * MIB;
const SAMPLE_EVERY_MS = 100;

/** One block of CSV rows (whole lines), sent again and again: the client stays cheap. */
const ROWS_BLOCK = (() => {
  const lines: string[] = [];
  let bytes = 0;
  for (let i = 0; bytes < MIB - 64; i++) {
    const line = `${100_000 + i},${['north', 'south', 'east', 'west'][i % 4]},${(i * 7) % 23},${(100 + ((i * 13) % 900)) / 100}\n`;
    lines.push(line);
    bytes += line.length;
  }
  return Buffer.from(lines.join(''));
})();
const HEADER = Buffer.from('id,region,units,price\n');

/** `totalBytes` of CSV, produced block by block as the reader asks. */
function csvStream(totalBytes: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= totalBytes) {
        this.push(null);
        return;
      }
      const block = sent === 0 ? Buffer.concat([HEADER, ROWS_BLOCK]) : ROWS_BLOCK;
      const chunk = block.subarray(0, Math.min(block.length, totalBytes - sent));
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

/** Resident memory of a process, from /proc: current (VmRSS) and peak since it started (VmHWM). */
function memoryOf(pid: number): { rssBytes: number; hwmBytes: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rssBytes: field('VmRSS'), hwmBytes: field('VmHWM') };
}

/** Samples VmRSS every SAMPLE_EVERY_MS until stopped; returns the largest value seen. */
function sampleRss(pid: number): { stop: () => number } {
  let peak = memoryOf(pid).rssBytes;
  const timer = setInterval(() => {
    peak = Math.max(peak, memoryOf(pid).rssBytes);
  }, SAMPLE_EVERY_MS);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, memoryOf(pid).rssBytes);
    },
  };
}

/** POSTs `bytes` of CSV to /v1/files as multipart/form-data, streamed, with an exact length. */
async function upload(baseUrl: string, apiKey: string, bytes: number): Promise<void> {
  const boundary = `----assay-bench-${randomUUID()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.csv"\r\nContent-Type: text/csv\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const url = new URL('/v1/files', baseUrl);
  const request = http.request(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(head.length + bytes + tail.length),
    },
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    request.once('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.once('error', reject);
    });
    request.once('error', reject);
  });
  const body = Readable.from(
    (async function* () {
      yield head;
      yield* csvStream(bytes);
      yield tail;
    })(),
  );
  await pipeline(body, request);
  const { status, body: text } = await response;
  if (status !== 202) throw new Error(`upload answered ${status}: ${text}`);
  const sizeBytes = (JSON.parse(text) as { sizeBytes?: unknown }).sizeBytes;
  if (sizeBytes !== bytes) throw new Error(`the gateway stored ${String(sizeBytes)} bytes, not ${bytes}`);
}

/** Starts a process and resolves once `ready` shows in a line of its output. */
function startProcess(command: string, args: string[], env: NodeJS.ProcessEnv, ready: (line: string) => boolean): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(command, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    const recent: string[] = [];
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start:\n${recent.join('\n')}`)), 60_000);
    const onData = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line === '') continue;
        recent.push(line);
        if (recent.length > 20) recent.shift();
        if (ready(line)) {
          clearTimeout(timer);
          resolve({ child, line });
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}:\n${recent.join('\n')}`));
    });
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

interface UploadRow {
  store: string;
  path: string;
  sizeMiB: number;
  seconds: number;
  idleRssMiB: number;
  peakRssMiB: number;
  hwmMiB: number;
}

const mib = (bytes: number) => Math.round(bytes / MIB);

/** Uploads through the gateway: warm-up, then the small and the large file, memory sampled. */
async function throughGateway(store: string, pid: number, baseUrl: string, apiKey: string): Promise<UploadRow[]> {
  await upload(baseUrl, apiKey, MIB); // first upload loads the code paths (busboy, the store's client)
  const rows: UploadRow[] = [];
  for (const bytes of [SMALL_BYTES, LARGE_BYTES]) {
    const idle = memoryOf(pid).rssBytes;
    const sampler = sampleRss(pid);
    const started = performance.now();
    await upload(baseUrl, apiKey, bytes);
    const seconds = (performance.now() - started) / 1000;
    const peak = sampler.stop();
    rows.push({
      store,
      path: 'HTTP → gateway',
      sizeMiB: mib(bytes),
      seconds,
      idleRssMiB: mib(idle),
      peakRssMiB: mib(peak),
      hwmMiB: mib(memoryOf(pid).hwmBytes),
    });
  }
  return rows;
}

/** The floor: the large file put straight into `blobs` by this process. */
async function direct(store: string, blobs: BlobStore): Promise<UploadRow> {
  const started = performance.now();
  const blob = await blobs.put(csvStream(LARGE_BYTES), { keyPrefix: 'direct' });
  const seconds = (performance.now() - started) / 1000;
  await blobs.delete(blob.key);
  return { store, path: 'store.put in-process (floor)', sizeMiB: mib(LARGE_BYTES), seconds, idleRssMiB: Number.NaN, peakRssMiB: Number.NaN, hwmMiB: Number.NaN };
}

async function main(): Promise<void> {
  const logger = createConsoleLogger({ name: 'bench', level: 'warn', stream: process.stderr });
  const testStack = await startTestStack({ projectDir: REPO_ROOT, logger, checkAnalysisEnvironment: false });
  const prisma = createPrismaClient(testStack.env.DATABASE_URL, { maxConnections: 2 });
  const rows: UploadRow[] = [];
  try {
    for (const store of ['local', 's3'] as const) {
      const dataDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), `assay-bench-upload-${store}-`));
      let s3Server: ChildProcess | undefined;
      let gateway: ChildProcess | undefined;
      try {
        let storageEnv: Record<string, string> = { ASSAY_STORAGE: 'local' };
        let blobs: BlobStore = new LocalBlobStore({ rootDir: path.join(dataDir, 'direct') });
        if (store === 's3') {
          const started = await startProcess(process.execPath, ['--import', 'tsx', path.join(__dirname, 's3-server.ts')], process.env, (line) =>
            line.startsWith('{'),
          );
          s3Server = started.child;
          const s3 = JSON.parse(started.line) as { endpoint: string; accessKey: string; secretKey: string };
          storageEnv = {
            ASSAY_STORAGE: 's3',
            ASSAY_S3_ENDPOINT: s3.endpoint,
            ASSAY_S3_ACCESS_KEY: s3.accessKey,
            ASSAY_S3_SECRET_KEY: s3.secretKey,
            ASSAY_S3_BUCKET: 'bench-uploads',
          };
          blobs = await S3BlobStore.open({ endpoint: s3.endpoint, accessKey: s3.accessKey, secretKey: s3.secretKey, bucket: 'bench-direct' });
        }
        const port = await freePort();
        const env: NodeJS.ProcessEnv = {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          ...testStack.env,
          ASSAY_KEY_PREFIX: `bench-upload-${randomUUID().slice(0, 8)}`,
          ASSAY_DATA_DIR: dataDir,
          PORT: String(port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'info',
          ASSAY_MAX_UPLOAD_BYTES: String(LARGE_BYTES + MIB),
          ASSAY_STORAGE_QUOTA_BYTES: String(8 * LARGE_BYTES),
          ...storageEnv,
        };
        const started = await startProcess(process.execPath, [path.join(REPO_ROOT, 'services/gateway/dist/main.js')], env, (line) =>
          line.includes('"msg":"gateway listening"'),
        );
        gateway = started.child;
        const pid = gateway.pid ?? 0;
        const { apiKey } = await createTenantWithApiKey(prisma, { tenantName: `bench-upload-${store}` });
        rows.push(...(await throughGateway(store, pid, `http://127.0.0.1:${port}`, apiKey)));
        rows.push(await direct(store, blobs));
      } finally {
        if (gateway) await stopProcess(gateway);
        if (s3Server) await stopProcess(s3Server);
        await fs.promises.rm(dataDir, { recursive: true, force: true });
      }
    }
  } finally {
    await prisma.$disconnect();
    await testStack.stop();
  }

  const cell = (value: number, digits = 0) => (Number.isNaN(value) ? '—' : value.toFixed(digits));
  const lines = [
    `Upload of generated CSV, ${os.cpus().length} cores, Node ${process.version}; RSS of the gateway process (MiB), sampled every ${SAMPLE_EVERY_MS} ms`,
    '',
    '| store | path | size MiB | seconds | MB/s | RSS idle | RSS peak during upload | VmHWM after |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (row) =>
        `| ${row.store} | ${row.path} | ${row.sizeMiB} | ${row.seconds.toFixed(1)} | ${cell((row.sizeMiB * MIB) / 1e6 / row.seconds, 1)} | ${cell(row.idleRssMiB)} | ${cell(row.peakRssMiB)} | ${cell(row.hwmMiB)} |`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
