import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CellOutput, ChatEvent } from '@assay/contracts';
import { ApiClient, EventSocket, expectOk } from '../support/api-client';
import { ServiceStack } from '../support/service-stack';

/**
 * Automatic repair through the real services (gateway, codegen worker with the scripted
 * provider, executor with a sandboxed kernel): a generated cell that fails goes to a repair job,
 * the provider's fix replaces it and the message runs on; a provider whose fixes keep failing
 * exhausts the attempts (ASSAY_REPAIR_MAX_ATTEMPTS, 2 here) and the message fails in plain words.
 */

const MAX_ATTEMPTS = 2;

let stack: ServiceStack;
let api: ApiClient;
let socket: EventSocket;
let chatId: string;
let apiKey: string;

beforeAll(async () => {
  stack = await ServiceStack.start({ env: { CODEGEN_PROVIDER: 'scripted', ASSAY_REPAIR_MAX_ATTEMPTS: String(MAX_ATTEMPTS) } });
  apiKey = (await stack.createTenant()).apiKey;
  api = new ApiClient(stack.baseUrl, apiKey);
  socket = await EventSocket.open(stack.baseUrl, apiKey);
  chatId = expectOk(await api.createChat('repair')).id;
  socket.subscribe(chatId);
  await socket.waitForFrame((frame) => frame.type === 'subscribed');
}, 120_000);

afterAll(async () => {
  await socket?.close();
  await stack?.stop();
});

function streamText(outputs: readonly CellOutput[]): string {
  return outputs.map((output) => (output.output_type === 'stream' ? output.text : '')).join('');
}

async function finish(messageId: string): Promise<ChatEvent> {
  return socket.waitForEvent((event) => event.messageId === messageId && (event.type === 'message.completed' || event.type === 'message.failed'));
}

describe('automatic repair', () => {
  it('replaces a failing generated cell with the fix, runs on and keeps the failed attempt as history', async () => {
    const posted = expectOk(
      await api.postMessage(chatId, {
        content: JSON.stringify({
          cells: [
            { kind: 'markdown', source: '## Base' },
            { kind: 'code', source: 'base = 40\nprint(bsae + 2)' },
            { kind: 'code', source: 'print(f"after={answer * 10}")' },
          ],
          repairs: [{ cells: [{ kind: 'markdown', source: 'Fixed the name.' }, { kind: 'code', source: 'base = 40\nanswer = base + 2\nprint(f"answer={answer}")' }] }],
        }),
      }),
    );
    const terminal = await finish(posted.id);
    expect(terminal.type).toBe('message.completed');

    const events = socket.events(chatId).filter((event) => event.messageId === posted.id);
    const started = events.filter((event) => event.type === 'repair.started');
    const completed = events.filter((event) => event.type === 'repair.completed');
    const chat = expectOk(await api.getChat(chatId));
    const cells = chat.messages[0]?.cells ?? [];
    const failed = cells.find((cell) => cell.source.includes('bsae'));

    expect(started.map((event) => event.data)).toEqual([{ attempt: 1, maxAttempts: MAX_ATTEMPTS, failedCellId: failed?.id }]);
    expect(completed).toHaveLength(1);
    // Order of the story: repair.started, then the fix announced, then it runs, then the message completes.
    const types = events.map((event) => event.type);
    expect(types.indexOf('repair.started')).toBeLessThan(types.indexOf('repair.completed'));
    expect(types.lastIndexOf('repair.completed')).toBeLessThan(types.indexOf('message.completed'));

    // The notebook: the failed cell stays (error, superseded by the first replacement), the fix follows it, later cells moved down and ran.
    expect(cells.map((cell) => [cell.kind, cell.status])).toEqual([
      ['markdown', 'idle'],
      ['code', 'error'],
      ['markdown', 'idle'],
      ['code', 'ok'],
      ['code', 'ok'],
    ]);
    expect(cells.map((cell) => cell.position)).toEqual([1, 2, 3, 4, 5]);
    const replacementIds = completed[0]?.type === 'repair.completed' ? completed[0].data.replacementCellIds : [];
    expect(replacementIds).toEqual([cells[2]?.id, cells[3]?.id]);
    expect(failed?.supersededById).toBe(cells[2]?.id);
    expect(cells.filter((cell) => cell !== failed).every((cell) => (cell.supersededById ?? null) === null)).toBe(true);
    expect(streamText(cells[3]?.outputs ?? [])).toContain('answer=42');
    expect(streamText(cells[4]?.outputs ?? [])).toContain('after=420');

    // The exported notebook is the working version: the fix, not the failed attempt.
    const exported = await fetch(`${stack.baseUrl}/v1/chats/${chatId}/notebook.ipynb`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(exported.status).toBe(200);
    const ipynb = (await exported.json()) as { cells: { id?: string }[] };
    const exportedIds = ipynb.cells.map((cell) => cell.id);
    expect(exportedIds).toEqual(expect.arrayContaining(replacementIds));
    expect(exportedIds).not.toContain(failed?.id);

    // The failed attempt cannot be run again by itself, and "run all" runs the working version only.
    const post = (path: string) => fetch(`${stack.baseUrl}/v1/chats/${chatId}${path}`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` } });
    const rerun = await post(`/cells/${failed?.id}/run`);
    expect(rerun.status).toBe(409);
    expect(((await rerun.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'CONFLICT',
      message: expect.stringContaining(`replaced by automatic repair (cell ${cells[2]?.id})`),
    });
    const runAll = await post('/run-all');
    expect(runAll.status).toBe(202);
    const operation = (await runAll.json()) as { cellIds: string[] };
    expect(operation.cellIds).toEqual([cells[3]?.id, cells[4]?.id]);
    await socket.waitForEvent((event) => event.type === 'cell.completed' && event.data.cellId === cells[4]?.id && event.id > terminal.id);

    // The repair request went through the audited provider with the failing code and its error.
    const repairCall = await stack.prisma.codegenCall.findFirst({ where: { messageId: posted.id, kind: 'repair' } });
    expect(repairCall).toMatchObject({ attempt: 1, outcome: 'succeeded' });
    expect(repairCall?.userText).toContain('print(bsae + 2)');
    expect(repairCall?.userText).toContain('NameError');

    // A follow-up builds on the working notebook: its context has the fix, not the superseded attempt.
    const followUp = expectOk(await api.postMessage(chatId, { content: JSON.stringify({ cells: [{ kind: 'code', source: 'print(f"again={answer}")' }] }) }));
    expect((await finish(followUp.id)).type).toBe('message.completed');
    const generateCall = await stack.prisma.codegenCall.findFirst({ where: { messageId: followUp.id, kind: 'generate' } });
    expect(generateCall?.userText).toContain('answer = base + 2');
    // (The question quotes the scripted JSON, so the failed code is looked for as a code block.)
    expect(generateCall?.userText).not.toContain('```python\nbase = 40\nprint(bsae + 2)');
    expect(generateCall?.userText).toContain('```python\nbase = 40\nanswer = base + 2');
    expect(generateCall?.userText).not.toContain('NameError');
  });

  it('gives up after the configured attempts and fails the message with the last error in plain words', async () => {
    const failing = (name: string) => ({ cells: [{ kind: 'code', source: `print(${name})` }] });
    const posted = expectOk(
      await api.postMessage(chatId, {
        content: JSON.stringify({
          cells: [{ kind: 'code', source: 'print(first_missing)' }, { kind: 'code', source: 'print("never")' }],
          repairs: [failing('second_missing'), failing('third_missing'), failing('not_asked_for')],
        }),
      }),
    );
    const terminal = await finish(posted.id);
    expect(terminal.type === 'message.failed' && terminal.data.error).toEqual({
      code: 'CELL_ERROR',
      message: expect.stringMatching(
        new RegExp(`raised NameError: name 'third_missing' is not defined\\. In plain words: .*never defined.* Automatic repair tried ${MAX_ATTEMPTS} fixes, and the last one failed too\\.$`),
      ),
    });
    const started = socket.events(chatId).filter((event) => event.messageId === posted.id && event.type === 'repair.started');
    expect(started.map((event) => (event.type === 'repair.started' ? event.data.attempt : 0))).toEqual([1, 2]);

    const chat = expectOk(await api.getChat(chatId));
    const cells = chat.messages.find((message) => message.id === posted.id)?.cells ?? [];
    // Every failed attempt is kept and linked to its replacement; the remaining cell was cancelled.
    expect(cells.map((cell) => [cell.source, cell.status])).toEqual([
      ['print(first_missing)', 'error'],
      ['print(second_missing)', 'error'],
      ['print(third_missing)', 'error'],
      ['print("never")', 'cancelled'],
    ]);
    expect(cells[0]?.supersededById).toBe(cells[1]?.id);
    expect(cells[1]?.supersededById).toBe(cells[2]?.id);
    expect(cells[2]?.supersededById ?? null).toBeNull();
  });

  it('stops at once when the provider has no fix, and still explains the error', async () => {
    const posted = expectOk(await api.postMessage(chatId, { content: JSON.stringify({ cells: [{ kind: 'code', source: '{}["missing_key"]' }] }) }));
    const terminal = await finish(posted.id);
    expect(terminal.type === 'message.failed' && terminal.data.error.message).toMatch(
      /^Cell \d+ raised KeyError: 'missing_key'\. In plain words: .*Automatic repair stopped: the code generator could not be asked for a fix \(.*no repair for attempt 1.*\)\.$/,
    );
    const started = socket.events(chatId).filter((event) => event.messageId === posted.id && event.type === 'repair.started');
    expect(started).toHaveLength(1);
  });
});
