import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CellOutput, ChatEvent } from '@assay/contracts';
import ExcelJS from 'exceljs';
import { AssayClient } from '@assay/client';
import { ChatRecorder } from '../support/api-client';
import { ServiceStack } from '../support/service-stack';

/**
 * The spine with the built-in offline analyst (no language model) and a two-sheet workbook:
 * both sheets are ingested with their real names, the overview notebook runs in the kernel,
 * and its numbers match values computed here.
 */

const ORDERS = [
  [1001, 19.5, 2],
  [1002, 5.25, 10],
  [1003, 120.0, 1],
  [1004, 42.75, 3],
  [1005, 8.0, 7],
  [1006, 64.5, 4],
] as const;
const CUSTOMERS = [
  ['Ada', 'north', 36],
  ['Grace', 'south', 45],
  ['Linus', 'east', 29],
  ['Barbara', 'north', 52],
] as const;

async function workbook(): Promise<Buffer> {
  const book = new ExcelJS.Workbook();
  const orders = book.addWorksheet('Orders');
  orders.addRow(['order_id', 'amount', 'quantity']);
  for (const row of ORDERS) orders.addRow([...row]);
  const customers = book.addWorksheet('Customers');
  customers.addRow(['customer', 'region', 'age']);
  for (const row of CUSTOMERS) customers.addRow([...row]);
  return Buffer.from(await book.xlsx.writeBuffer());
}

/** The count and mean cells of a column's row in pandas' describe().T HTML table . */
function describeRow(html: string, column: string): { count: number; mean: number } | undefined {
  const match = new RegExp(`<th>${column}</th>\\s*<td>([-0-9.]+)</td>\\s*<td>([-0-9.e+]+)</td>`).exec(html);
  return match ? { count: Number(match[1]), mean: Number(match[2]) } : undefined;
}

const mean = (values: readonly number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

let stack: ServiceStack;
let api: AssayClient;
let recorder: ChatRecorder | undefined;

beforeAll(async () => {
  stack = await ServiceStack.start({ env: { CODEGEN_PROVIDER: 'offline' } });
  const { apiKey } = await stack.createTenant();
  api = new AssayClient({ baseUrl: stack.baseUrl, apiKey });
});

afterAll(async () => {
  recorder?.close();
  await stack?.stop();
});

describe('offline analyst on an XLSX with two sheets', () => {
  it('ingests both sheets and answers with an overview computed in the kernel', async () => {
    const file = await api.uploadFile('book.xlsx', await workbook(), {
      contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    });
    expect(file.format).toBe('xlsx');
    const chatId = (await api.createChat()).id;
    const chatEvents = new ChatRecorder(api, chatId);
    recorder = chatEvents;
    const message = await api.postMessage(chatId, { content: 'Give me an overview of this workbook', fileIds: [file.id] });

    const terminal = await chatEvents.waitForEvent(
      (event) => event.messageId === message.id && (event.type === 'message.completed' || event.type === 'message.failed'),
      120_000,
    );
    expect(terminal.type).toBe('message.completed');

    const ingested = chatEvents.events.find((event): event is Extract<ChatEvent, { type: 'file.ingested' }> => event.type === 'file.ingested');
    expect(ingested?.data.sheets).toEqual([
      { name: 'Orders', headers: ['order_id', 'amount', 'quantity'], rowCount: ORDERS.length },
      { name: 'Customers', headers: ['customer', 'region', 'age'], rowCount: CUSTOMERS.length },
    ]);

    const chat = await api.getChat(chatId);
    const cells = chat.messages[0]?.cells ?? [];
    expect(chat.messages[0]?.provider).toBe('offline');
    expect(cells.filter((cell) => cell.kind === 'code').every((cell) => cell.status === 'ok')).toBe(true);
    const outputs: CellOutput[] = cells.flatMap((cell) => cell.outputs);
    const text = outputs.map((output) => (output.output_type === 'stream' ? output.text : '')).join('');
    expect(text).toContain(`df_book_orders: ${ORDERS.length} rows x 3 columns`);
    expect(text).toContain(`df_book_customers: ${CUSTOMERS.length} rows x 3 columns`);

    const describeTables = outputs
      .map((output) => (output.output_type === 'display_data' || output.output_type === 'execute_result' ? String(output.data['text/html'] ?? '') : ''))
      .filter((html) => html.includes('<th>mean</th>'))
      .join('\n');
    // describe(): count and mean of numeric columns, as computed here.
    expect(describeRow(describeTables, 'amount')).toEqual({ count: ORDERS.length, mean: expect.closeTo(mean(ORDERS.map((row) => row[1])), 5) });
    expect(describeRow(describeTables, 'quantity')).toEqual({ count: ORDERS.length, mean: expect.closeTo(mean(ORDERS.map((row) => row[2])), 5) });
    expect(describeRow(describeTables, 'age')).toEqual({ count: CUSTOMERS.length, mean: expect.closeTo(mean(CUSTOMERS.map((row) => row[2])), 5) });

    const plots = outputs.filter((output) => output.output_type === 'display_data' && typeof output.data['image/png'] === 'string');
    expect(plots).toHaveLength(2); // one figure of histograms per sheet
  });
});
