import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CellOutput, ChatEvent } from '@assay/contracts';
import { ApiClient, EventSocket, expectOk } from '../support/api-client';
import { MockAnthropicServer, notebookStream } from '../support/mock-anthropic-server';
import { MockOpenAIServer, notebookChunks } from '../support/mock-openai-server';
import { ServiceStack } from '../support/service-stack';

/**
 * Automatic repair with each model provider (the real SDK against a local server that speaks
 * its API): error → repair → success, and repair exhausted after the default 3 attempts. The
 * repair requests carry the failing code and its error, never a value of the file.
 */

interface ScriptedCell {
  kind: 'code';
  source: string;
}

/** What the scenarios need of a provider's local server. */
interface ModelServer {
  /** The environment that points the codegen worker at this server. */
  env: Record<string, string>;
  /** Queues one streamed answer holding these notebook cells. */
  replyCells(cells: ScriptedCell[]): void;
  /** Raw bodies of the requests received so far, in order. */
  requestBodies(): string[];
  close(): Promise<void>;
}

const PROVIDERS: { name: string; markers: string[]; start(): Promise<ModelServer> }[] = [
  {
    name: 'anthropic',
    markers: ['PANGOLIN-4411', 'AXOLOTL-9083'],
    async start() {
      const mock = await MockAnthropicServer.start();
      return {
        env: { ANTHROPIC_API_KEY: 'sk-ant-local-test', ANTHROPIC_BASE_URL: mock.url },
        replyCells: (cells) => void mock.reply({ kind: 'stream', events: notebookStream(cells) }),
        requestBodies: () => mock.requests.map((request) => request.rawBody),
        close: () => mock.close(),
      };
    },
  },
  {
    name: 'openai',
    markers: ['OCELOT-5127', 'TAPIR-8836'],
    async start() {
      const mock = await MockOpenAIServer.start();
      return {
        env: { CODEGEN_PROVIDER: 'openai', OPENAI_BASE_URL: mock.url, OPENAI_MODEL: 'local-coder' },
        replyCells: (cells) => void mock.reply({ kind: 'stream', chunks: notebookChunks(cells) }),
        requestBodies: () => mock.requests.map((request) => request.rawBody),
        close: () => mock.close(),
      };
    },
  },
];

function stdout(outputs: readonly CellOutput[]): string {
  return outputs.map((output) => (output.output_type === 'stream' ? output.text : '')).join('');
}

describe.each(PROVIDERS)('automatic repair with the $name provider', ({ markers, start }) => {
  const csv = `label,amount\n${markers.map((marker, i) => `${marker},${(i + 1) * 10}`).join('\n')}\n`;
  let mock: ModelServer;
  let stack: ServiceStack;
  let api: ApiClient;
  let socket: EventSocket;
  let fileId: string;

  beforeAll(async () => {
    mock = await start();
    stack = await ServiceStack.start({ env: mock.env });
    const { apiKey } = await stack.createTenant();
    api = new ApiClient(stack.baseUrl, apiKey);
    socket = await EventSocket.open(stack.baseUrl, apiKey);
    fileId = expectOk(await api.uploadFile('labels.csv', csv, 'text/csv')).id;
  }, 120_000);

  afterAll(async () => {
    await socket?.close();
    await stack?.stop();
    await mock?.close();
  });

  async function ask(content: string): Promise<{ id: string; chatId: string; terminal: ChatEvent; events: ChatEvent[] }> {
    const chatId = expectOk(await api.createChat()).id;
    socket.subscribe(chatId);
    await socket.waitForFrame((frame) => frame.type === 'subscribed');
    const message = expectOk(await api.postMessage(chatId, { content, fileIds: [fileId] }));
    const terminal = await socket.waitForEvent(
      (event) => event.messageId === message.id && (event.type === 'message.completed' || event.type === 'message.failed'),
    );
    return { id: message.id, chatId, terminal, events: socket.events(chatId).filter((event) => event.messageId === message.id) };
  }

  it('asks the model for a fix with the failing code and its error, and completes with the fixed cell', async () => {
    const before = mock.requestBodies().length;
    mock.replyCells([{ kind: 'code', source: 'import pandas as pd\ndf = pd.read_csv("/mnt/data/labels.csv")\nprint(df["amuont"].sum())' }]);
    mock.replyCells([{ kind: 'code', source: 'print("total", int(df["amount"].sum()))' }]);

    const answer = await ask('Total amount?');

    expect(answer.terminal.type).toBe('message.completed');
    expect(answer.events.filter((event) => event.type === 'repair.started').map((event) => event.data)).toEqual([
      { attempt: 1, maxAttempts: 3, failedCellId: expect.any(String) },
    ]);
    const requests = mock.requestBodies().slice(before);
    expect(requests).toHaveLength(2);
    const repairRequest = requests[1] ?? '';
    expect(repairRequest).toContain('print(df[\\"amuont\\"].sum())');
    expect(repairRequest).toContain('KeyError');
    for (const request of requests) for (const marker of markers) expect(request).not.toContain(marker);

    const chat = expectOk(await api.getChat(answer.chatId));
    const cells = chat.messages[0]?.cells ?? [];
    expect(cells.map((cell) => [cell.status, cell.supersededById === null || cell.supersededById === undefined])).toEqual([
      ['error', false],
      ['ok', true],
    ]);
    expect(stdout(cells[1]?.outputs ?? [])).toContain('total 30');
  });

  it('fails the message in plain words when every fix fails too', async () => {
    const before = mock.requestBodies().length;
    mock.replyCells([{ kind: 'code', source: 'print(undefined_total)' }]);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      mock.replyCells([{ kind: 'code', source: `print(still_undefined_${attempt})` }]);
    }

    const answer = await ask('Total amount again?');

    expect(answer.terminal.type === 'message.failed' && answer.terminal.data.error).toEqual({
      code: 'CELL_ERROR',
      message: expect.stringMatching(/raised NameError: name 'still_undefined_3' is not defined\. In plain words: .* Automatic repair tried 3 fixes, and the last one failed too\.$/),
    });
    expect(answer.events.filter((event) => event.type === 'repair.started').map((event) => (event.type === 'repair.started' ? event.data.attempt : 0))).toEqual([1, 2, 3]);
    expect(mock.requestBodies().length - before).toBe(4);
    const calls = await stack.prisma.codegenCall.findMany({ where: { messageId: answer.id }, orderBy: { createdAt: 'asc' } });
    expect(calls.map((call) => [call.kind, call.attempt])).toEqual([
      ['generate', null],
      ['repair', 1],
      ['repair', 2],
      ['repair', 3],
    ]);
  });
});
