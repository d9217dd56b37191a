import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CellOutput } from '@assay/contracts';
import { ApiClient, EventSocket, expectOk } from '../support/api-client';
import { MockAnthropicServer, notebookStream } from '../support/mock-anthropic-server';
import { ServiceStack } from '../support/service-stack';

/**
 * The spine with the `anthropic` provider, chosen the way a deployment chooses it (an API key in
 * the environment), the real SDK talking to a local server that speaks the Messages API. The
 * file holds marker values that exist nowhere else: they reach the kernel, and never the model —
 * not in the first request, and not in the next one after the kernel printed them.
 */

const MARKERS = ['ZEBRA-7731', 'QUOKKA-2290', 'NARWHAL-5512'];
const AMOUNTS = [98_765.4321, 1_234.5678, 4_242.4242];
const CSV = `region,amount\n${MARKERS.map((marker, i) => `${marker},${AMOUNTS[i]}`).join('\n')}\n`;
const TOTAL = AMOUNTS.reduce((sum, value) => sum + value, 0);

let mock: MockAnthropicServer;
let stack: ServiceStack;
let api: ApiClient;
let socket: EventSocket;

beforeAll(async () => {
  mock = await MockAnthropicServer.start();
  stack = await ServiceStack.start({ env: { ANTHROPIC_API_KEY: 'sk-ant-local-test', ANTHROPIC_BASE_URL: mock.url } });
  const { apiKey } = await stack.createTenant();
  api = new ApiClient(stack.baseUrl, apiKey);
  socket = await EventSocket.open(stack.baseUrl, apiKey);
});

afterAll(async () => {
  await socket?.close();
  await stack?.stop();
  await mock?.close();
});

function stdout(outputs: readonly CellOutput[]): string {
  return outputs.map((output) => (output.output_type === 'stream' ? output.text : '')).join('');
}

async function ask(chatId: string, content: string, fileIds: string[] = []): Promise<string> {
  const message = expectOk(await api.postMessage(chatId, { content, fileIds }));
  const terminal = await socket.waitForEvent(
    (event) => event.messageId === message.id && (event.type === 'message.completed' || event.type === 'message.failed'),
  );
  expect(terminal.type).toBe('message.completed');
  return message.id;
}

describe('anthropic provider through the whole system', () => {
  it('runs the notebook the model wrote, and sends the model metadata only', async () => {
    const file = expectOk(await api.uploadFile('markers.csv', CSV, 'text/csv'));
    const chatId = expectOk(await api.createChat()).id;
    socket.subscribe(chatId);

    mock.reply({
      kind: 'stream',
      events: notebookStream([
        { kind: 'markdown', source: 'Load the file and add up the amounts.' },
        { kind: 'code', source: "import pandas as pd\ndf = pd.read_csv('/mnt/data/markers.csv')\nprint(df.to_string())\nprint(f'total={df.amount.sum():.4f}')" },
      ]),
    });
    const firstId = await ask(chatId, 'What is the total amount?', [file.id]);

    mock.reply({ kind: 'stream', events: notebookStream([{ kind: 'code', source: "print(f'rows={len(df)}')" }]) });
    const secondId = await ask(chatId, 'How many rows?');

    const chat = expectOk(await api.getChat(chatId));
    const first = chat.messages.find((message) => message.id === firstId);
    const second = chat.messages.find((message) => message.id === secondId);
    expect(first?.provider).toBe('anthropic');
    const printed = stdout(first?.cells.flatMap((cell) => cell.outputs) ?? []);
    // The kernel saw the data...
    for (const marker of MARKERS) expect(printed).toContain(marker);
    expect(printed).toContain(`total=${TOTAL.toFixed(4)}`);
    expect(stdout(second?.cells.flatMap((cell) => cell.outputs) ?? [])).toContain(`rows=${MARKERS.length}`);
    // ...and the streamed tool input became codegen.delta events.
    expect(socket.events(chatId).some((event) => event.messageId === firstId && event.type === 'codegen.delta')).toBe(true);

    // ...the model never did: two requests, each with the metadata and none of the values.
    expect(mock.requests).toHaveLength(2);
    for (const request of mock.requests) {
      expect(request.headers.authorization).toBe('Bearer sk-ant-local-test'); // how SDK 1.x sends the API key
      expect(request.rawBody).toContain('/mnt/data/markers.csv');
      expect(request.rawBody).toContain('region');
      expect(request.rawBody).toContain('amount');
      for (const marker of MARKERS) expect(request.rawBody).not.toContain(marker);
      for (const amount of AMOUNTS) expect(request.rawBody).not.toContain(String(amount));
    }
    // The follow-up carries the earlier code, so the model can reuse `df`.
    expect(mock.requests[1]?.rawBody).toContain("df = pd.read_csv('/mnt/data/markers.csv')");
  });
});
