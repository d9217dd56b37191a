import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CellOutput, ChatEvent } from '@assay/contracts';
import { ApiClient, EventSocket, expectOk } from '../support/api-client';
import { S3TestServer } from '../support/s3-test-server';
import { ServiceStack } from '../support/service-stack';

/**
 * The whole system with ASSAY_STORAGE=s3: the four built services on a local S3 server. The
 * gateway streams the upload into the bucket, the ingest worker reads it from there, and the
 * executor copies it from the bucket into the chat's workspace, where pandas reads it. Nothing
 * of the upload is kept under the services' data directory except that workspace copy.
 */

const BUCKET = `assay-e2e-${randomUUID().slice(0, 8)}`;
/** S3's smallest part: the larger file below is uploaded in several parts. */
const PART_BYTES = 5 * 1024 * 1024;

/** A CSV of `rows` rows whose column sums are known here. */
function salesCsv(rows: number): { csv: string; units: number; revenueCents: number } {
  const lines = ['region,units,price_cents'];
  let units = 0;
  let revenueCents = 0;
  for (let i = 0; i < rows; i++) {
    const row = { region: ['north', 'south', 'east', 'west'][i % 4], units: (i * 7) % 23, price: 100 + ((i * 13) % 900) };
    lines.push(`${row.region},${row.units},${row.price}`);
    units += row.units;
    revenueCents += row.units * row.price;
  }
  return { csv: `${lines.join('\n')}\n`, units, revenueCents };
}

const SMALL = salesCsv(50);
/** About 12 MB of CSV: three parts. */
const LARGE = salesCsv(1_000_000);

/** Cells that read both files from /mnt/data and print what is checked below. */
const CELLS = {
  cells: [
    {
      kind: 'code',
      source: [
        'import hashlib, pandas as pd',
        'for name in ["small.csv", "large.csv"]:',
        '    frame = pd.read_csv(f"/mnt/data/{name}")',
        '    digest = hashlib.sha256(open(f"/mnt/data/{name}", "rb").read()).hexdigest()',
        '    revenue = int((frame.units * frame.price_cents).sum())',
        '    print(f"{name} rows={len(frame)} units={int(frame.units.sum())} revenue_cents={revenue} sha256={digest}")',
      ].join('\n'),
    },
  ],
};

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let s3: S3TestServer;
let stack: ServiceStack;
let api: ApiClient;
let socket: EventSocket;

beforeAll(async () => {
  s3 = await S3TestServer.start();
  stack = await ServiceStack.start({
    env: { CODEGEN_PROVIDER: 'scripted', ...s3.env(BUCKET), ASSAY_S3_PART_SIZE_BYTES: String(PART_BYTES) },
  });
  const { apiKey } = await stack.createTenant();
  api = new ApiClient(stack.baseUrl, apiKey);
  socket = await EventSocket.open(stack.baseUrl, apiKey);
}, 120_000);

afterAll(async () => {
  await socket?.close();
  await stack?.stop();
  const internalErrors = s3?.internalErrors() ?? [];
  await s3?.stop();
  expect(internalErrors).toEqual([]);
});

/** Every file under `dir`, relative paths (empty when it does not exist). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.promises.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

describe('Assay with S3 blob storage', () => {
  it('stores uploads in the bucket, ingests them from there and runs code on them in the kernel', async () => {
    // The services created the bucket at start-up.
    expect(await s3.objectKeys(BUCKET)).toEqual([]);

    const small = expectOk(await api.uploadFile('small.csv', SMALL.csv, 'text/csv'));
    const large = expectOk(await api.uploadFile('large.csv', LARGE.csv, 'text/csv'));
    expect(large.sizeBytes).toBeGreaterThan(2 * PART_BYTES);

    // In the bucket under the recorded keys, with the recorded digests; nothing on local disk.
    const rows = await stack.prisma.file.findMany({ where: { id: { in: [small.id, large.id] } }, orderBy: { name: 'desc' } });
    expect(rows.map((row) => [row.name, row.sha256])).toEqual([
      ['small.csv', sha256(SMALL.csv)],
      ['large.csv', sha256(LARGE.csv)],
    ]);
    expect(await s3.objectKeys(BUCKET)).toEqual(rows.map((row) => row.blobKey).sort());
    expect(await s3.pendingUploads(BUCKET)).toEqual([]);
    expect(await filesUnder(path.join(stack.dataDir, 'blobs'))).toEqual([]);

    const chatId = expectOk(await api.createChat('s3')).id;
    socket.subscribe(chatId);
    await socket.waitForFrame((frame) => frame.type === 'subscribed');
    const message = expectOk(await api.postMessage(chatId, { content: JSON.stringify(CELLS), fileIds: [small.id, large.id] }));
    const terminal = await socket.waitForEvent(
      (event) => event.messageId === message.id && (event.type === 'message.completed' || event.type === 'message.failed'),
      120_000,
    );
    expect(terminal.type === 'message.failed' ? terminal.data.error : terminal.type).toBe('message.completed');

    // The ingest worker read both files from the bucket.
    const ingested = socket
      .events(chatId)
      .filter((event): event is Extract<ChatEvent, { type: 'file.ingested' }> => event.type === 'file.ingested')
      .map((event) => [event.data.name, event.data.status, event.data.sheets?.[0]?.rowCount]);
    expect(ingested.sort()).toEqual([
      ['large.csv', 'ready', 1_000_000],
      ['small.csv', 'ready', 50],
    ]);

    // The kernel read the same bytes: its digests and sums are the ones computed here.
    const chat = expectOk(await api.getChat(chatId));
    const outputs: CellOutput[] = chat.messages[0]?.cells.flatMap((cell) => cell.outputs) ?? [];
    const printed = outputs.map((output) => (output.output_type === 'stream' ? output.text : '')).join('');
    for (const [name, file] of [
      ['small.csv', SMALL],
      ['large.csv', LARGE],
    ] as const) {
      expect(printed).toContain(`${name} rows=${name === 'small.csv' ? 50 : 1_000_000} units=${file.units} revenue_cents=${file.revenueCents} sha256=${sha256(file.csv)}`);
    }

    // The executor's workspace holds one plain copy of each input (no link into a blob directory).
    const workspaceFiles = await filesUnder(path.join(stack.dataDir, 'workspaces'));
    const inputs = workspaceFiles.filter((file) => file.includes(`${path.sep}inputs${path.sep}`));
    expect(inputs.map((file) => path.basename(file)).sort()).toEqual(['large.csv', 'small.csv']);
    for (const input of inputs) {
      const stat = await fs.promises.stat(path.join(stack.dataDir, 'workspaces', input));
      expect(stat.nlink).toBe(1);
    }
    expect(workspaceFiles.some((file) => file.endsWith('.partial'))).toBe(false);
  });

  it('is ready while the bucket answers, and says storage is the problem once it does not', async () => {
    const ready = await fetch(`${stack.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: expect.arrayContaining([{ name: 'storage', ok: true }]) });

    await s3.stop();
    const unready = await fetch(`${stack.baseUrl}/readyz`);
    expect(unready.status).toBe(503);
    const body = (await unready.json()) as { checks: { name: string; ok: boolean; error?: string }[] };
    expect(body.checks.filter((check) => !check.ok)).toEqual([
      { name: 'storage', ok: false, error: expect.stringContaining(`The S3 endpoint ${s3.endpoint} is not reachable`) },
    ]);
  });
});
