import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { ApiClient, EventSocket, expectError, expectOk } from '../support/api-client';
import { ServiceStack } from '../support/service-stack';

/**
 * GET /v1/chats/:id/notebook.ipynb: the export is a valid nbformat 4.5 notebook (checked with
 * Debian's nbformat), carries every cell and kind of output, names the data files, and re-runs
 * with `jupyter nbconvert --execute` (files under /mnt/data, in a bubblewrap mount namespace
 * so the host's /mnt is untouched) to the same outputs.
 */

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const SALES_CSV = 'region,units,price\nnorth,3,2.5\nsouth,4,1.25\neast,10,0.5\nwest,1,8\n';

const ANALYSIS_CELLS = [
  { kind: 'markdown', source: '## Units by region' },
  {
    kind: 'code',
    source: [
      'import sys',
      'import pandas as pd',
      "df = pd.read_csv('/mnt/data/sales.csv')",
      "print('rows', len(df))",
      "print('checking totals', file=sys.stderr)",
    ].join('\n'),
  },
  { kind: 'code', source: "df.groupby('region').units.sum().sort_index()" },
  {
    kind: 'code',
    source: [
      'import matplotlib.pyplot as plt',
      'fig, ax = plt.subplots(figsize=(3, 2))',
      "ax.bar(df.region, df.units)",
      'plt.show()',
    ].join('\n'),
  },
  { kind: 'code', source: "df.assign(revenue=df.units * df.price).to_csv('revenue.csv', index=False)\nprint(open('/mnt/data/revenue.csv').read())" },
];
const FAILING_CELLS = [{ kind: 'code', source: "print('before the error')\nraise ValueError('units must be positive')" }];

let stack: ServiceStack;
let workDir: string;

beforeAll(async () => {
  stack = await ServiceStack.start({ env: { CODEGEN_PROVIDER: 'scripted', ASSAY_WARM_POOL_SIZE: '0' } });
  workDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'assay-ipynb-'));
});

afterAll(async () => {
  await stack?.stop();
  if (workDir) await fs.promises.rm(workDir, { recursive: true, force: true });
});

interface NotebookCell {
  cell_type: string;
  id: string;
  source: string;
  metadata: Record<string, unknown>;
  execution_count?: number | null;
  outputs?: Array<Record<string, unknown>>;
}
interface Notebook {
  nbformat: number;
  nbformat_minor: number;
  metadata: { kernelspec: { name: string }; language_info: { name: string } };
  cells: NotebookCell[];
}

/** What a re-run should reproduce of an output: its kind and its text, not volatile bytes. */
function comparable(output: Record<string, unknown>): unknown {
  const data = (output.data ?? {}) as Record<string, unknown>;
  switch (output.output_type) {
    case 'stream':
      return { stream: output.name, text: output.text };
    case 'execute_result':
      return { result: data['text/plain'] };
    case 'display_data':
      return { display: Object.keys(data).filter((mime) => mime.startsWith('image/')).sort() };
    case 'error':
      return { error: output.ename, value: output.evalue };
    default:
      return output;
  }
}

/** nbformat may store text as a list of lines; joined, it is the same text. */
function joinText(notebook: Notebook): Notebook {
  for (const cell of notebook.cells) {
    if (Array.isArray(cell.source)) cell.source = (cell.source as string[]).join('');
    for (const output of cell.outputs ?? []) {
      if (Array.isArray(output.text)) output.text = (output.text as string[]).join('');
      const data = output.data as Record<string, unknown> | undefined;
      for (const [mime, value] of Object.entries(data ?? {})) if (Array.isArray(value)) (data ?? {})[mime] = (value as string[]).join('');
    }
  }
  return notebook;
}

describe('notebook export', () => {
  it('exports every cell and output as valid nbformat 4.5 that re-runs to the same outputs', async () => {
    const { apiKey } = await stack.createTenant();
    const api = new ApiClient(stack.baseUrl, apiKey);
    const socket = await EventSocket.open(stack.baseUrl, apiKey);
    let chatId: string;
    try {
      const file = expectOk(await api.uploadFile('sales.csv', SALES_CSV, 'text/csv'));
      chatId = expectOk(await api.createChat('Sales review: Q3')).id;
      socket.subscribe(chatId);
      await socket.waitForFrame((frame) => frame.type === 'subscribed');
      for (const [cells, expected] of [
        [ANALYSIS_CELLS, 'message.completed'],
        [FAILING_CELLS, 'message.failed'],
      ] as const) {
        const message = expectOk(await api.postMessage(chatId, { content: JSON.stringify({ cells }), fileIds: [file.id] }));
        const terminal = await socket.waitForEvent((event) => event.messageId === message.id && (event.type === 'message.completed' || event.type === 'message.failed'));
        expect(terminal.type).toBe(expected);
      }
    } finally {
      await socket.close();
    }

    const response = await fetch(`${stack.baseUrl}/v1/chats/${chatId}/notebook.ipynb`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('application/x-ipynb+json');
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="Sales-review-Q3.ipynb"');
    const text = await response.text();
    const notebookPath = path.join(workDir, 'notebook.ipynb');
    await fs.promises.writeFile(notebookPath, text);

    // Debian's nbformat: the whole document against the nbformat 4.5 JSON schema.
    const validated = await run(PYTHON, [
      '-c',
      'import json, sys, nbformat\nnb = nbformat.read(sys.argv[1], as_version=nbformat.NO_CONVERT)\nnbformat.validate(nb, version=4, version_minor=5)\nprint(json.dumps([nb.nbformat, nb.nbformat_minor, len(nb.cells)]))',
      notebookPath,
    ]);
    const notebook = JSON.parse(text) as Notebook;
    expect(JSON.parse(validated.stdout)).toEqual([4, 5, notebook.cells.length]);
    expect(notebook.metadata.kernelspec.name).toBe('python3');
    expect(notebook.metadata.language_info.name).toBe('python');

    // First the data files and the setup check, then each question before its cells, in order.
    const [intro, setup, ...rest] = notebook.cells;
    expect(intro?.cell_type).toBe('markdown');
    expect(intro?.source).toContain('/mnt/data/sales.csv');
    expect(intro?.source).toContain(String(Buffer.byteLength(SALES_CSV)));
    // The file the analysis wrote, as Assay kept it.
    expect(intro?.source).toMatch(/\| `\/mnt\/data\/revenue\.csv` \| \d+ \| `[0-9a-f-]{36}` \|/);
    expect(setup?.cell_type).toBe('code');
    expect(setup?.source).toContain('"sales.csv"');
    expect(rest.map((cell) => cell.cell_type)).toEqual(['markdown', 'markdown', 'code', 'code', 'code', 'code', 'markdown', 'code']);
    expect(rest[0]?.source).toContain('Question 1');
    expect(rest[6]?.source).toContain('Question 2');
    expect(rest[6]?.source).toContain('CELL_ERROR');
    const codeCells = rest.filter((cell) => cell.cell_type === 'code');
    expect(codeCells.map((cell) => cell.source)).toEqual([...ANALYSIS_CELLS, ...FAILING_CELLS].filter((cell) => cell.kind === 'code').map((cell) => cell.source));
    expect(new Set(notebook.cells.map((cell) => cell.id)).size).toBe(notebook.cells.length);

    const outputTypes = codeCells.flatMap((cell) => (cell.outputs ?? []).map((output) => output.output_type));
    expect(new Set(outputTypes)).toEqual(new Set(['stream', 'execute_result', 'display_data', 'error']));
    const streams = codeCells[0]?.outputs?.map((output) => output.name);
    expect(streams).toEqual(expect.arrayContaining(['stdout', 'stderr']));
    const plot = codeCells[2]?.outputs?.find((output) => output.output_type === 'display_data');
    const png = (plot?.data as Record<string, unknown> | undefined)?.['image/png'];
    expect(typeof png).toBe('string');
    expect(Buffer.from(String(png), 'base64').subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(codeCells[1]?.execution_count).toEqual(expect.any(Number));

    // Re-run it where the files are where the first cell says: /mnt/data (a private mount).
    const dataDir = path.join(workDir, 'data');
    await fs.promises.mkdir(dataDir);
    await fs.promises.writeFile(path.join(dataDir, 'sales.csv'), SALES_CSV);
    const executedPath = path.join(workDir, 'executed.ipynb');
    await run(
      'bwrap',
      [
        '--dev-bind', '/', '/',
        '--tmpfs', '/mnt',
        '--bind', dataDir, '/mnt/data',
        '--die-with-parent',
        PYTHON, '-m', 'nbconvert', '--to', 'notebook', '--execute', '--allow-errors',
        '--ExecutePreprocessor.timeout=120', '--output', executedPath, notebookPath,
      ],
      { env: { ...process.env, MPLBACKEND: 'module://matplotlib_inline.backend_inline', JUPYTER_PLATFORM_DIRS: '1' }, timeout: 180_000 },
    );
    const executed = joinText(JSON.parse(await fs.promises.readFile(executedPath, 'utf8')) as Notebook);
    const rerunCells = executed.cells.filter((cell) => cell.cell_type === 'code').slice(1);
    expect(rerunCells.map((cell) => cell.id)).toEqual(codeCells.map((cell) => cell.id));
    expect(rerunCells.map((cell) => (cell.outputs ?? []).map(comparable))).toEqual(codeCells.map((cell) => (cell.outputs ?? []).map(comparable)));
    // The analysis wrote its file where the code said, next to the data.
    expect(await fs.promises.readFile(path.join(dataDir, 'revenue.csv'), 'utf8')).toContain('revenue');
  });

  it('refuses another tenant\'s chat and an unknown one with 404', async () => {
    const owner = await stack.createTenant();
    const chatId = expectOk(await new ApiClient(stack.baseUrl, owner.apiKey).createChat()).id;
    const stranger = new ApiClient(stack.baseUrl, (await stack.createTenant()).apiKey);
    expect(expectError(await stranger.request('GET', `/v1/chats/${chatId}/notebook.ipynb`, z.unknown())).status).toBe(404);
    expect(expectError(await stranger.request('GET', '/v1/chats/not-a-chat/notebook.ipynb', z.unknown())).status).toBe(404);
    // An empty chat still exports: the data cell says there are no files.
    const empty = await fetch(`${stack.baseUrl}/v1/chats/${chatId}/notebook.ipynb`, { headers: { authorization: `Bearer ${owner.apiKey}` } });
    const notebook = (await empty.json()) as Notebook;
    expect(notebook.cells[0]?.source).toContain('no uploaded files');
  });
});
