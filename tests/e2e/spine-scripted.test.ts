import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Cell, ChatEvent, CellOutput } from '@assay/contracts';
import { ApiClient, EventSocket, expectOk } from '../support/api-client';
import { ServiceStack } from '../support/service-stack';

/**
 * The whole spine on real components: HTTP upload -> ingest worker -> codegen worker (scripted
 * provider: the message carries the cells) -> executor worker (sandboxed kernel) -> events over
 * the WebSocket, then a second message in the same chat that reuses the first one's variables.
 */

const ROWS = [
  ['north', 12, 2.5],
  ['south', 7, 4.0],
  ['north', 3, 10.0],
  ['east', 20, 1.25],
  ['south', 5, 3.0],
] as const;
const CSV = `region,units,price\n${ROWS.map((row) => row.join(',')).join('\n')}\n`;
/** Computed here, independently of the kernel. */
const REVENUE = ROWS.reduce((sum, [, units, price]) => sum + units * price, 0);
const UNITS_BY_REGION = ROWS.reduce<Record<string, number>>((totals, [region, units]) => {
  totals[region] = (totals[region] ?? 0) + units;
  return totals;
}, {});

const FIRST_MESSAGE = {
  cells: [
    { kind: 'markdown', source: '## Revenue of the sales file' },
    {
      kind: 'code',
      source: [
        'import pandas as pd',
        "sales = pd.read_csv('/mnt/data/sales.csv')",
        'revenue = float((sales.units * sales.price).sum())',
        "print(f'revenue={revenue:.2f} rows={len(sales)}')",
      ].join('\n'),
    },
    {
      kind: 'code',
      source: [
        'import matplotlib.pyplot as plt',
        "by_region = sales.groupby('region').units.sum()",
        "by_region.plot.bar(title='Units by region')",
        'plt.tight_layout()',
      ].join('\n'),
    },
    { kind: 'code', source: 'by_region.to_frame()' },
  ],
};

const SECOND_MESSAGE = {
  cells: [{ kind: 'code', source: "print(f'doubled={revenue * 2:.2f} regions={sorted(by_region.index)}')" }],
};

let stack: ServiceStack;
let api: ApiClient;
let socket: EventSocket;
let apiKey: string;

beforeAll(async () => {
  stack = await ServiceStack.start({ env: { CODEGEN_PROVIDER: 'scripted' } });
  apiKey = (await stack.createTenant()).apiKey;
  api = new ApiClient(stack.baseUrl, apiKey);
  socket = await EventSocket.open(stack.baseUrl, apiKey);
});

afterAll(async () => {
  await socket?.close();
  await stack?.stop();
});

function streamText(outputs: readonly CellOutput[]): string {
  return outputs.map((output) => (output.output_type === 'stream' ? output.text : '')).join('');
}

function isPng(base64: unknown): boolean {
  return typeof base64 === 'string' && Buffer.from(base64, 'base64').subarray(0, 8).equals(Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'));
}

describe('upload -> ingest -> codegen -> execute -> WebSocket', () => {
  let chatId: string;
  let fileId: string;

  it('accepts a CSV upload and ingests its headers and row count', async () => {
    const uploaded = await api.uploadFile('sales.csv', CSV, 'text/csv');
    expect(uploaded.status).toBe(202);
    const file = expectOk(uploaded);
    expect(file).toMatchObject({ name: 'sales.csv', format: 'csv', sizeBytes: Buffer.byteLength(CSV) });
    fileId = file.id;
  });

  it('runs the first message and streams its events in order', async () => {
    chatId = expectOk(await api.createChat('spine')).id;
    socket.subscribe(chatId);
    await socket.waitForFrame((frame) => frame.type === 'subscribed');

    const posted = await api.postMessage(chatId, { content: JSON.stringify(FIRST_MESSAGE), fileIds: [fileId] });
    expect(posted.status).toBe(202);
    const messageId = expectOk(posted).id;

    const terminal = await socket.waitForEvent((event) => event.messageId === messageId && event.type.startsWith('message.') && event.type !== 'message.accepted');
    expect(terminal.type).toBe('message.completed');

    const events = socket.events(chatId);
    // Ids increase by one per chat, from 1.
    expect(events.map((event) => event.id)).toEqual(events.map((_, index) => index + 1));
    expect(collapse(events.map((event) => event.type))).toEqual([
      'message.accepted',
      'file.ingested',
      'codegen.delta',
      'cell.created',
      ...Array.from({ length: 3 }, () => ['cell.started', 'cell.output', 'cell.completed', 'variables.updated']).flat(),
      'message.completed',
    ]);
    expect(events.filter((event) => event.type === 'cell.created')).toHaveLength(4);

    const ingested = events.find((event): event is Extract<ChatEvent, { type: 'file.ingested' }> => event.type === 'file.ingested');
    expect(ingested?.data).toMatchObject({ fileId, name: 'sales.csv', status: 'ready', sheets: [{ headers: ['region', 'units', 'price'], rowCount: 5 }] });

    const outputs = events.flatMap((event) => (event.type === 'cell.output' ? [event.data.output] : []));
    expect(streamText(outputs)).toContain(`revenue=${REVENUE.toFixed(2)} rows=${ROWS.length}`);
    const images = outputs.filter((output) => output.output_type === 'display_data' && isPng(output.data['image/png']));
    expect(images).toHaveLength(1);
    const table = outputs.find((output) => output.output_type === 'execute_result');
    const html = table?.output_type === 'execute_result' ? String(table.data['text/html']) : '';
    for (const [region, units] of Object.entries(UNITS_BY_REGION)) expect(html).toMatch(new RegExp(`<th>${region}</th>\\s*<td>${units}</td>`));
  });

  it('stores the notebook: cells, statuses and outputs come back from GET /v1/chats/:id', async () => {
    const chat = expectOk(await api.getChat(chatId));
    const [message] = chat.messages;
    expect(message).toMatchObject({ status: 'completed', fileIds: [fileId], provider: 'scripted', failure: null });
    const cells: Cell[] = message?.cells ?? [];
    expect(cells.map((cell) => [cell.position, cell.kind, cell.status])).toEqual([
      [1, 'markdown', 'idle'],
      [2, 'code', 'ok'],
      [3, 'code', 'ok'],
      [4, 'code', 'ok'],
    ]);
    expect(cells.map((cell) => cell.executionCount)).toEqual([null, 1, 2, 3]);
    expect(streamText(cells[1]?.outputs ?? [])).toContain(`revenue=${REVENUE.toFixed(2)}`);
    expect(cells[2]?.outputs.some((output) => output.output_type === 'display_data' && isPng(output.data['image/png']))).toBe(true);

    const file = expectOk(await api.getFile(fileId));
    expect(file).toMatchObject({ status: 'ready', metadata: { format: 'csv', sheets: [{ name: 'sales', headers: ['region', 'units', 'price'], rowCount: 5 }] } });
  });

  it('keeps the kernel between messages: a second message reuses the first one’s variables', async () => {
    const posted = expectOk(await api.postMessage(chatId, { content: JSON.stringify(SECOND_MESSAGE) }));
    const terminal = await socket.waitForEvent((event) => event.messageId === posted.id && (event.type === 'message.completed' || event.type === 'message.failed'));
    expect(terminal.type).toBe('message.completed');

    const chat = expectOk(await api.getChat(chatId));
    const cell = chat.messages[1]?.cells[0];
    expect(cell?.status).toBe('ok');
    expect(cell?.executionCount).toBe(4);
    expect(streamText(cell?.outputs ?? [])).toContain(`doubled=${(REVENUE * 2).toFixed(2)} regions=${JSON.stringify(Object.keys(UNITS_BY_REGION).sort()).replaceAll('"', "'").replaceAll(',', ', ')}`);
  });

  it('fails a message whose cell raises, with the Python error in plain words, and cancels the rest', async () => {
    const posted = expectOk(
      await api.postMessage(chatId, {
        content: JSON.stringify({ cells: [{ kind: 'code', source: 'undefined_name + 1' }, { kind: 'code', source: 'print("never")' }] }),
      }),
    );
    const terminal = await socket.waitForEvent((event) => event.messageId === posted.id && (event.type === 'message.completed' || event.type === 'message.failed'));
    expect(terminal.type === 'message.failed' && terminal.data.error).toEqual({
      code: 'CELL_ERROR',
      message: expect.stringContaining("raised NameError: name 'undefined_name' is not defined"),
    });
    const chat = expectOk(await api.getChat(chatId));
    const failed = chat.messages[2];
    expect(failed?.status).toBe('failed');
    expect(failed?.cells.map((cell) => cell.status)).toEqual(['error', 'cancelled']);
    const error = failed?.cells[0]?.outputs.find((output) => output.output_type === 'error');
    expect(error?.output_type === 'error' && error.traceback.join('\n')).not.toMatch(/\u001b\[/);
  });
});

/** Collapses runs of the same event type (several deltas or outputs in a row count once). */
function collapse(types: string[]): string[] {
  return types.filter((type, index) => type !== types[index - 1]);
}
