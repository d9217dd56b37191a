import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Cell, ChatResource, type ChatEvent, JobResource, NotebookOperationResource, VariablesResource } from '@assay/contracts';
import { Cell as CellSchema } from '@assay/contracts';
import { z } from 'zod';
import { ApiClient, EventSocket, expectError, expectOk } from '../support/api-client';
import { ServiceStack } from '../support/service-stack';

/**
 * A chat is a notebook a person can work on: edit, insert, delete and re-run cells, run all,
 * interrupt, restart the kernel, clear outputs, and see the kernel's variables. Every change
 * is announced on the WebSocket.
 */

let stack: ServiceStack;
let api: ApiClient;
let socket: EventSocket;
let chatId: string;
let firstMessageId: string;

beforeAll(async () => {
  stack = await ServiceStack.start({ env: { CODEGEN_PROVIDER: 'scripted' } });
  const { apiKey } = await stack.createTenant();
  api = new ApiClient(stack.baseUrl, apiKey);
  socket = await EventSocket.open(stack.baseUrl, apiKey);
  chatId = expectOk(await api.createChat()).id;
  socket.subscribe(chatId);
  await socket.waitForFrame((frame) => frame.type === 'subscribed');
  const cells = [
    { kind: 'code', source: 'x = 1' },
    { kind: 'markdown', source: 'Doubling x:' },
    { kind: 'code', source: 'print("value", x * 2)' },
    { kind: 'code', source: 'import pandas as pd\nframe = pd.DataFrame({"a": range(4), "b": range(4)})\nwords = ["a", "b"]' },
  ];
  const message = expectOk(await api.postMessage(chatId, { content: JSON.stringify({ cells }) }));
  await socket.waitForEvent((event) => event.messageId === message.id && event.type === 'message.completed');
  firstMessageId = message.id;
});

afterAll(async () => {
  await socket?.close();
  await stack?.stop();
});

const lastEventId = (): number => socket.events(chatId).at(-1)?.id ?? 0;

async function notebook(): Promise<Cell[]> {
  return expectOk(await api.getChat(chatId)).messages.flatMap((message) => message.cells);
}

async function cellAt(position: number): Promise<Cell> {
  const cell = (await notebook()).find((candidate) => candidate.position === position);
  if (!cell) throw new Error(`no cell at position ${position}`);
  return cell;
}

/** Waits until the given cell completes after event `after`; returns its completion and its printed text. */
async function completion(cellId: string, after: number): Promise<{ status: string; printed: string; executionCount: number | null }> {
  const done = await socket.waitForEvent((event) => event.id > after && event.type === 'cell.completed' && event.data.cellId === cellId);
  if (done.type !== 'cell.completed') throw new Error('unreachable');
  const printed = socket
    .events(chatId)
    .filter((event): event is Extract<ChatEvent, { type: 'cell.output' }> => event.id > after && event.type === 'cell.output' && event.data.cellId === cellId)
    .map((event) => (event.data.output.output_type === 'stream' ? event.data.output.text : event.data.output.output_type === 'error' ? `${event.data.output.ename}` : ''))
    .join('');
  return { status: done.data.status, printed, executionCount: done.data.executionCount };
}

/** `GET /v1/jobs/:id`: the status of what a 202 answer started. */
const job = async (id: string): Promise<JobResource> => expectOk(await api.request('GET', `/v1/jobs/${id}`, JobResource));

const post = (path: string, json?: unknown) => api.request('POST', `/v1/chats/${chatId}${path}`, z.unknown(), json === undefined ? {} : { json });

describe('notebook operations', () => {
  it('edits a cell and re-runs it alone', async () => {
    const target = await cellAt(3);
    const edited = await api.request('PATCH', `/v1/chats/${chatId}/cells/${target.id}`, CellSchema, { json: { source: 'print("value", x * 3)' } });
    expect(expectOk(edited)).toMatchObject({ id: target.id, source: 'print("value", x * 3)', status: 'idle' });
    await socket.waitForEvent((event) => event.type === 'cell.updated' && event.data.cell.id === target.id);

    const before = lastEventId();
    const queued = NotebookOperationResource.parse(expectOk(await post(`/cells/${target.id}/run`)));
    expect(queued).toMatchObject({ kind: 'run', cellIds: [target.id] });

    expect(await completion(target.id, before)).toMatchObject({ status: 'ok', printed: 'value 3\n', executionCount: 4 });
  });

  it('reports the kernel variables (names, types, shapes; no values)', async () => {
    const variables = VariablesResource.parse(expectOk(await api.request('GET', `/v1/chats/${chatId}/variables`, z.unknown())));
    expect(variables.variables).toEqual(
      expect.arrayContaining([
        { name: 'x', type: 'int', shape: null, length: null, dtypes: null },
        { name: 'frame', type: 'DataFrame', shape: [4, 2], length: null, dtypes: { a: 'int64', b: 'int64' } },
        { name: 'words', type: 'list', shape: null, length: 2, dtypes: null },
      ]),
    );
    expect(variables.variables.map((variable) => variable.name)).not.toContain('pd');
    expect(socket.events(chatId).some((event) => event.type === 'variables.updated')).toBe(true);
  });

  it('inserts a cell, runs all cells in order, then deletes it and closes the gap', async () => {
    const first = await cellAt(1);
    const inserted = expectOk(await api.request('POST', `/v1/chats/${chatId}/cells`, CellSchema, { json: { kind: 'code', source: 'x = 10', afterCellId: first.id } }));
    expect(inserted.position).toBe(2);
    expect((await notebook()).map((cell) => cell.position)).toEqual([1, 2, 3, 4, 5]);

    const before = lastEventId();
    const run = NotebookOperationResource.parse(expectOk(await post('/run-all')));
    expect(run.cellIds).toHaveLength(4);
    const printing = await cellAt(4);
    expect(await completion(printing.id, before)).toMatchObject({ status: 'ok', printed: 'value 30\n' });
    await completion(run.cellIds.at(-1) ?? '', before);
    expect(await job(run.operationId)).toMatchObject({ id: run.operationId, kind: 'run', status: 'completed', chatId, cellIds: run.cellIds, failure: null });
    expect(await job(firstMessageId)).toMatchObject({ kind: 'message', status: 'completed', chatId, failure: null });

    expect((await api.request('DELETE', `/v1/chats/${chatId}/cells/${inserted.id}`, z.unknown())).status).toBe(204);
    await socket.waitForEvent((event) => event.type === 'cell.deleted' && event.data.cellId === inserted.id);
    const cells = await notebook();
    expect(cells.map((cell) => cell.position)).toEqual([1, 2, 3, 4]);
    expect(cells.map((cell) => cell.id)).not.toContain(inserted.id);
  });

  it('interrupts a running cell; the kernel keeps its variables', async () => {
    const sleeper = expectOk(await api.request('POST', `/v1/chats/${chatId}/cells`, CellSchema, { json: { kind: 'code', source: 'import time\ntime.sleep(60)' } }));
    const before = lastEventId();
    expectOk(await post(`/cells/${sleeper.id}/run`));
    await socket.waitForEvent((event) => event.id > before && event.type === 'cell.started' && event.data.cellId === sleeper.id);
    // A running cell cannot be edited.
    const conflict = expectError(await api.request('PATCH', `/v1/chats/${chatId}/cells/${sleeper.id}`, CellSchema, { json: { source: 'pass' } }));
    expect(conflict).toMatchObject({ status: 409, code: 'CONFLICT' });

    expect((await post('/interrupt')).status).toBe(202);

    expect(await completion(sleeper.id, before)).toMatchObject({ status: 'error', printed: 'KeyboardInterrupt' });
    const check = await cellAt(3);
    const again = lastEventId();
    expectOk(await post(`/cells/${check.id}/run`));
    expect(await completion(check.id, again)).toMatchObject({ status: 'ok', printed: 'value 30\n' });
  });

  it('clears every output', async () => {
    expect((await post('/clear-outputs')).status).toBe(204);
    await socket.waitForEvent((event) => event.type === 'outputs.cleared');
    const cells = await notebook();
    expect(cells.every((cell) => cell.outputs.length === 0 && cell.executionCount === null)).toBe(true);
  });

  it('restarts the kernel on request: variables are gone and are not replayed', async () => {
    const before = lastEventId();
    const restart = NotebookOperationResource.parse(expectOk(await post('/restart')));
    expect(restart.kind).toBe('restart');
    await socket.waitForEvent((event) => event.id > before && event.type === 'kernel.restarted');
    expect(await job(restart.operationId)).toMatchObject({ kind: 'restart', status: 'completed', chatId });

    const check = await cellAt(3);
    const again = lastEventId();
    const rerun = NotebookOperationResource.parse(expectOk(await post(`/cells/${check.id}/run`)));
    expect(await completion(check.id, again)).toMatchObject({ status: 'error', printed: 'NameError' });
    expect(await job(rerun.operationId)).toMatchObject({ kind: 'run', status: 'failed', failure: { code: 'CELL_ERROR', message: expect.stringContaining(check.id) } });
    expect(socket.events(chatId).some((event) => event.id > before && event.type === 'session.restored')).toBe(false);
  });

  it('refuses what cannot be done with a clear status', async () => {
    const markdown = await cellAt(2);
    expect(expectError(await post(`/cells/${markdown.id}/run`))).toMatchObject({ status: 400 });
    expect(expectError(await post('/cells', { kind: 'code' }))).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
    expect(expectError(await post('/cells/00000000-0000-7000-8000-000000000000/run'))).toMatchObject({ status: 404 });

    const stranger = new ApiClient(stack.baseUrl, (await stack.createTenant()).apiKey);
    const cell = await cellAt(1);
    const foreign = [
      stranger.request('POST', `/v1/chats/${chatId}/cells/${cell.id}/run`, z.unknown()),
      stranger.request('POST', `/v1/chats/${chatId}/run-all`, z.unknown()),
      stranger.request('PATCH', `/v1/chats/${chatId}/cells/${cell.id}`, z.unknown(), { json: { source: 'x' } }),
      stranger.request('DELETE', `/v1/chats/${chatId}/cells/${cell.id}`, z.unknown()),
      stranger.request('POST', `/v1/chats/${chatId}/cells`, z.unknown(), { json: { kind: 'code', source: '' } }),
      stranger.request('POST', `/v1/chats/${chatId}/interrupt`, z.unknown()),
      stranger.request('POST', `/v1/chats/${chatId}/restart`, z.unknown()),
      stranger.request('POST', `/v1/chats/${chatId}/clear-outputs`, z.unknown()),
      stranger.request('GET', `/v1/chats/${chatId}/variables`, z.unknown()),
      stranger.request('GET', `/v1/jobs/${firstMessageId}`, z.unknown()),
    ];
    for (const response of await Promise.all(foreign)) expect(response.status).toBe(404);
    expect(ChatResource.parse(expectOk(await api.getChat(chatId))).messages[0]?.cells[0]?.source).toBe('x = 1');
  });
});
