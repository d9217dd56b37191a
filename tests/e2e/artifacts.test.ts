import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ArtifactResource, CellOutput, ChatEvent } from '@assay/contracts';
import { ApiClient, EventSocket, expectError, expectOk } from '../support/api-client';
import { ServiceStack } from '../support/service-stack';

/**
 * Files the analysis code writes under /mnt/data are kept after each cell, announced with
 * artifact.created, listed on the message, and downloadable with the right content type —
 * by their own tenant only.
 */

const MAX_ARTIFACT_BYTES = 64 * 1024;
const run = promisify(execFile);

let stack: ServiceStack;
let api: ApiClient;
let socket: EventSocket;
let apiKey: string;

beforeAll(async () => {
  stack = await ServiceStack.start({ env: { CODEGEN_PROVIDER: 'scripted', ASSAY_MAX_ARTIFACT_BYTES: String(MAX_ARTIFACT_BYTES) } });
  ({ apiKey } = await stack.createTenant());
  api = new ApiClient(stack.baseUrl, apiKey);
  socket = await EventSocket.open(stack.baseUrl, apiKey);
});

afterAll(async () => {
  await socket?.close();
  await stack?.stop();
});

async function download(id: string, key = apiKey): Promise<Response> {
  return fetch(`${stack.baseUrl}/v1/artifacts/${id}`, { headers: { authorization: `Bearer ${key}` } });
}

describe('artifacts', () => {
  let chatId: string;
  let events: ChatEvent[];
  let artifacts: ArtifactResource[];

  beforeAll(async () => {
    const file = expectOk(await api.uploadFile('sales.csv', 'region,units\nnorth,3\nsouth,5\nnorth,4\n'));
    chatId = expectOk(await api.createChat()).id;
    socket.subscribe(chatId);
    await socket.waitForFrame((frame) => frame.type === 'subscribed' && frame.payload.chatId === chatId);
    const cells = [
      [
        'import pandas as pd, matplotlib.pyplot as plt',
        "sales = pd.read_csv('/mnt/data/sales.csv')",
        "totals = sales.groupby('region').units.sum()",
        "totals.to_frame().to_excel('/mnt/data/totals.xlsx')",
        "totals.to_csv('/mnt/data/exports/totals.csv') if __import__('os').makedirs('/mnt/data/exports', exist_ok=True) is None else None",
        "totals.plot.bar(); plt.savefig('/mnt/data/totals.png'); plt.close()",
        "open('/mnt/data/notes.md', 'w').write('kinds nobody downloads stay in the workspace')",
        "open('/mnt/data/huge.csv', 'w').write('x' * " + String(MAX_ARTIFACT_BYTES * 2) + ')',
      ].join('\n'),
      "print('nothing new here')",
      "totals.mul(10).to_frame().to_excel('/mnt/data/totals.xlsx')",
    ];
    const message = expectOk(
      await api.postMessage(chatId, { content: JSON.stringify({ cells: cells.map((source) => ({ kind: 'code', source })) }), fileIds: [file.id] }),
    );
    await socket.waitForEvent((event) => event.messageId === message.id && (event.type === 'message.completed' || event.type === 'message.failed'));
    events = socket.events(chatId);
    artifacts = expectOk(await api.getChat(chatId)).messages[0]?.artifacts ?? [];
  });

  it('announces each kept file after the cell that wrote it, and lists them on the message', async () => {
    const created = events.flatMap((event) => (event.type === 'artifact.created' ? [event.data.artifact] : []));
    expect(created.map((artifact) => [artifact.name, artifact.mimeType])).toEqual([
      ['exports/totals.csv', 'text/csv'],
      ['totals.png', 'image/png'],
      ['totals.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
      // The third cell rewrote the workbook: a new version, from that cell.
      ['totals.xlsx', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
    ]);
    expect(new Set(created.slice(0, 3).map((artifact) => artifact.cellId)).size).toBe(1);
    expect(created[3]?.cellId).not.toBe(created[0]?.cellId);
    expect(artifacts.map((artifact) => artifact.id)).toEqual(created.map((artifact) => artifact.id));
    const types = events.map((event) => event.type);
    expect(types.indexOf('artifact.created')).toBeLessThan(types.indexOf('cell.completed'));
  });

  it('says under the cell why a file was not kept', async () => {
    const chat = expectOk(await api.getChat(chatId));
    const outputs: CellOutput[] = chat.messages[0]?.cells[0]?.outputs ?? [];
    const stderr = outputs.map((output) => (output.output_type === 'stream' && output.name === 'stderr' ? output.text : '')).join('');
    expect(stderr).toContain('huge.csv (128 KiB) was not kept: files larger than 64 KiB cannot be downloaded.');
  });

  it('streams an artifact with its content type, and the workbook holds what the code computed', async () => {
    const latest = artifacts.filter((artifact) => artifact.name === 'totals.xlsx').at(-1);
    if (latest === undefined) throw new Error('no workbook artifact');
    const response = await download(latest.id);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(latest.mimeType);
    expect(response.headers.get('content-disposition')).toContain('attachment; filename="totals.xlsx"');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(bytes.length).toBe(latest.sizeBytes);

    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'assay-artifact-'));
    try {
      const workbook = path.join(dir, 'totals.xlsx');
      await fs.promises.writeFile(workbook, bytes);
      const { stdout } = await run('/usr/bin/python3', ['-c', `import pandas as pd; print(pd.read_excel(${JSON.stringify(workbook)}).to_dict('records'))`]);
      expect(stdout.trim()).toBe("[{'region': 'north', 'units': 70}, {'region': 'south', 'units': 50}]");
    } finally {
      await fs.promises.rm(dir, { recursive: true, force: true });
    }
  });

  it('serves a PNG as image/png', async () => {
    const png = artifacts.find((artifact) => artifact.name === 'totals.png');
    const response = await download(png?.id ?? '');
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await response.arrayBuffer()).subarray(0, 8)).toEqual(Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'));
  });

  it('answers 404 to another tenant and for unknown ids', async () => {
    const other = await stack.createTenant();
    const [first] = artifacts;
    const foreign = await download(first?.id ?? '', other.apiKey);
    expect(foreign.status).toBe(404);
    expect(expectError({ status: foreign.status, headers: foreign.headers, body: await foreign.json() })).toMatchObject({ code: 'NOT_FOUND' });
    expect((await download('00000000-0000-7000-8000-000000000000')).status).toBe(404);
  });
});
