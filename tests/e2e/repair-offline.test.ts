import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CellOutput, ChatEvent } from '@assay/contracts';
import { ApiClient, EventSocket, expectOk } from '../support/api-client';
import { ServiceStack } from '../support/service-stack';

/**
 * The offline analyst through the real services: a recognised question is answered with the
 * right numbers, and a notebook that fails at run time (a trend over a table without dates) goes
 * to repair once, where the offline analyst offers no fix, so the message fails in plain words.
 */

const ROWS = [
  ['north', 10.5],
  ['south', 4],
  ['north', 14.5],
  ['east', 7.25],
  ['south', 6],
] as const;
const CSV = `region,amount\n${ROWS.map((row) => row.join(',')).join('\n')}\n`;

let stack: ServiceStack;
let api: ApiClient;
let socket: EventSocket;
let chatId: string;
let fileId: string;

beforeAll(async () => {
  stack = await ServiceStack.start({ env: { CODEGEN_PROVIDER: 'offline' } });
  const { apiKey } = await stack.createTenant();
  api = new ApiClient(stack.baseUrl, apiKey);
  socket = await EventSocket.open(stack.baseUrl, apiKey);
  fileId = expectOk(await api.uploadFile('sales.csv', CSV, 'text/csv')).id;
  chatId = expectOk(await api.createChat('offline repair')).id;
  socket.subscribe(chatId);
  await socket.waitForFrame((frame) => frame.type === 'subscribed');
}, 120_000);

afterAll(async () => {
  await socket?.close();
  await stack?.stop();
});

async function ask(content: string): Promise<{ id: string; terminal: ChatEvent; events: ChatEvent[] }> {
  const posted = expectOk(await api.postMessage(chatId, { content, fileIds: [fileId] }));
  const terminal = await socket.waitForEvent(
    (event) => event.messageId === posted.id && (event.type === 'message.completed' || event.type === 'message.failed'),
    120_000,
  );
  return { id: posted.id, terminal, events: socket.events(chatId).filter((event) => event.messageId === posted.id) };
}

function plainText(outputs: readonly CellOutput[]): string {
  return outputs
    .map((output) => {
      if (output.output_type === 'stream') return output.text;
      if (output.output_type === 'display_data' || output.output_type === 'execute_result') {
        const plain = output.data['text/plain'];
        return typeof plain === 'string' ? plain : Array.isArray(plain) ? plain.join('') : '';
      }
      return '';
    })
    .join('\n');
}

describe('offline analyst with automatic repair', () => {
  it('answers a recognised question with the right numbers', async () => {
    const answer = await ask('What is the average amount by region?');
    expect(answer.terminal.type).toBe('message.completed');
    const chat = expectOk(await api.getChat(chatId));
    const text = (chat.messages[0]?.cells ?? []).map((cell) => plainText(cell.outputs)).join('\n');
    const sums = new Map<string, number[]>();
    for (const [region, amount] of ROWS) sums.set(region, [...(sums.get(region) ?? []), amount]);
    for (const [region, amounts] of sums) {
      const mean = amounts.reduce((total, value) => total + value, 0) / amounts.length;
      expect(text).toMatch(new RegExp(`${region}\\s+${mean.toFixed(2)}0*\\b`));
    }
  }, 150_000);

  it('cannot repair its own failing notebook: one repair attempt, then a failure in plain words', async () => {
    const answer = await ask('Show the monthly trend of amount');
    expect(answer.terminal.type === 'message.failed' && answer.terminal.data.error).toEqual({
      code: 'CELL_ERROR',
      message: expect.stringMatching(
        /raised ValueError: No column of this table holds dates, so there is no trend over time to show\. In plain words: .* The offline code generator offered no fix, so automatic repair stopped\.$/,
      ),
    });
    expect(answer.events.filter((event) => event.type === 'repair.started').map((event) => (event.type === 'repair.started' ? event.data.attempt : 0))).toEqual([1]);
    expect(answer.events.some((event) => event.type === 'repair.completed')).toBe(false);
  }, 150_000);
});
