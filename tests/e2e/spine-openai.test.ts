import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CellOutput } from '@assay/contracts';
import { ApiClient, EventSocket, expectOk } from '../support/api-client';
import { MockOpenAIServer, notebookChunks } from '../support/mock-openai-server';
import { ServiceStack } from '../support/service-stack';

/**
 * The spine with the `openai` provider, configured as a deployment on a local model server would
 * be (CODEGEN_PROVIDER=openai, OPENAI_BASE_URL, OPENAI_MODEL, no key), the real SDK talking to a
 * local OpenAI-compatible server: the notebook runs, deltas stream, tokens are recorded, and the
 * model gets metadata only.
 */

const MARKERS = ['OCELOT-4471', 'TAPIR-9023'];
const CSV = `animal,amount\n${MARKERS[0]},10.25\n${MARKERS[1]},20.5\n`;

let mock: MockOpenAIServer;
let stack: ServiceStack;
let api: ApiClient;
let socket: EventSocket;
let tenantId: string;

beforeAll(async () => {
  mock = await MockOpenAIServer.start();
  stack = await ServiceStack.start({ env: { CODEGEN_PROVIDER: 'openai', OPENAI_BASE_URL: mock.url, OPENAI_MODEL: 'local-coder' } });
  const tenant = await stack.createTenant();
  tenantId = tenant.tenantId;
  api = new ApiClient(stack.baseUrl, tenant.apiKey);
  socket = await EventSocket.open(stack.baseUrl, tenant.apiKey);
});

afterAll(async () => {
  await socket?.close();
  await stack?.stop();
  await mock?.close();
});

function stdout(outputs: readonly CellOutput[]): string {
  return outputs.map((output) => (output.output_type === 'stream' ? output.text : '')).join('');
}

describe('openai provider through the whole system', () => {
  it('runs the notebook the model wrote and sends metadata only', async () => {
    const file = expectOk(await api.uploadFile('animals.csv', CSV, 'text/csv'));
    const chatId = expectOk(await api.createChat()).id;
    socket.subscribe(chatId);
    mock.reply({
      kind: 'stream',
      chunks: notebookChunks([{ kind: 'code', source: "import pandas as pd\ndf = pd.read_csv('/mnt/data/animals.csv')\nprint(f'total={df.amount.sum():.2f}')" }]),
    });
    const message = expectOk(await api.postMessage(chatId, { content: 'Total amount?', fileIds: [file.id] }));
    const terminal = await socket.waitForEvent((event) => event.messageId === message.id && (event.type === 'message.completed' || event.type === 'message.failed'));
    expect(terminal.type).toBe('message.completed');

    const chat = expectOk(await api.getChat(chatId));
    const done = chat.messages.find((candidate) => candidate.id === message.id);
    expect(done?.provider).toBe('openai');
    expect(stdout(done?.cells.flatMap((cell) => cell.outputs) ?? [])).toContain('total=30.75');
    expect(socket.events(chatId).some((event) => event.messageId === message.id && event.type === 'codegen.delta')).toBe(true);

    expect(mock.requests).toHaveLength(1);
    const body = mock.requests[0]?.body as { model: string };
    expect(body.model).toBe('local-coder');
    expect(mock.requests[0]?.rawBody).toContain('/mnt/data/animals.csv');
    for (const marker of MARKERS) expect(mock.requests[0]?.rawBody).not.toContain(marker);

    const [call] = await stack.prisma.codegenCall.findMany({ where: { tenantId } });
    expect(call).toMatchObject({ provider: 'openai', model: 'mock-model', outcome: 'succeeded', inputTokens: 500, outputTokens: 230, cacheReadTokens: 1000 });
  });
});
