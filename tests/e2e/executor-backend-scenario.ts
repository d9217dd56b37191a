import { expect } from '@jest/globals';
import { Cell as CellSchema, type CellOutput, type ChatEvent } from '@assay/contracts';
import { z } from 'zod';
import { ApiClient, EventSocket, expectOk } from '../support/api-client';
import { ServiceStack } from '../support/service-stack';

/** What {@link runRemoteBackendScenario} found, for the backend-specific assertions. */
export interface ScenarioResult {
  stack: ServiceStack;
  apiKey: string;
  chatId: string;
  /** The cell that wrote out.csv; it left `totals` (north 7, south 5) in the kernel. */
  writerCellId: string;
}

const SALES_CSV = 'region,units\nnorth,3\nsouth,5\nnorth,4\n';

/**
 * The whole system with a remote sandbox backend (`env` selects it): a CSV is uploaded, the
 * offline analyst answers a question about it (its code reads /mnt/data/sales.csv) and the
 * message completes with outputs; then a cell inserted into the notebook writes
 * /mnt/data/out.csv, which becomes an artifact downloadable with GET /v1/artifacts/:id and
 * holds what the code computed. The caller stops the returned stack.
 */
export async function runRemoteBackendScenario(env: Record<string, string>): Promise<ScenarioResult> {
  const stack = await ServiceStack.start({ env: { CODEGEN_PROVIDER: 'offline', ASSAY_WARM_POOL_SIZE: '1', ...env }, startTimeoutMs: 60_000 });
  let socket: EventSocket | undefined;
  try {
    const { apiKey } = await stack.createTenant();
    const api = new ApiClient(stack.baseUrl, apiKey);
    socket = await EventSocket.open(stack.baseUrl, apiKey);
    const file = expectOk(await api.uploadFile('sales.csv', SALES_CSV, 'text/csv'));
    const chatId = expectOk(await api.createChat()).id;
    socket.subscribe(chatId);
    await socket.waitForFrame((frame) => frame.type === 'subscribed' && frame.payload.chatId === chatId);

    const message = expectOk(await api.postMessage(chatId, { content: 'Give me an overview of the sales', fileIds: [file.id] }));
    const terminal = await socket.waitForEvent(
      (event) => event.messageId === message.id && (event.type === 'message.completed' || event.type === 'message.failed'),
      120_000,
    );
    const chat = expectOk(await api.getChat(chatId));
    const errors = chat.messages[0]?.cells.flatMap((cell) => cell.outputs.filter((output) => output.output_type === 'error')) ?? [];
    // The kernel's error, if any, says more than the message's status.
    expect({ status: terminal.type, errors }).toEqual({ status: 'message.completed', errors: [] });
    const cells = chat.messages[0]?.cells ?? [];
    const codeCells = cells.filter((cell) => cell.kind === 'code');
    expect(codeCells.length).toBeGreaterThan(0);
    expect(codeCells.map((cell) => cell.status)).toEqual(codeCells.map(() => 'ok'));
    const outputs: CellOutput[] = cells.flatMap((cell) => cell.outputs);
    const text = outputs.map((output) => (output.output_type === 'stream' ? output.text : '')).join('');
    // The analyst's code read the upload through /mnt/data: it counted its rows.
    expect(text).toContain('3 rows x 2 columns');

    const last = codeCells.at(-1);
    if (last === undefined) throw new Error('no code cell');
    const source = [
      'import pandas as pd',
      "totals = pd.read_csv('/mnt/data/sales.csv').groupby('region').units.sum()",
      "totals.to_csv('/mnt/data/out.csv')",
      'print(totals.to_dict())',
    ].join('\n');
    const inserted = expectOk(await api.request('POST', `/v1/chats/${chatId}/cells`, CellSchema, { json: { kind: 'code', source, afterCellId: last.id } }));
    const after = socket.events(chatId).at(-1)?.id ?? 0;
    expectOk(await api.request('POST', `/v1/chats/${chatId}/cells/${inserted.id}/run`, z.unknown(), {}));
    const done = await socket.waitForEvent((event) => event.id > after && event.type === 'cell.completed' && event.data.cellId === inserted.id, 60_000);
    expect(done.type === 'cell.completed' && done.data.status).toBe('ok');

    const created = socket
      .events(chatId)
      .filter((event): event is Extract<ChatEvent, { type: 'artifact.created' }> => event.id > after && event.type === 'artifact.created');
    expect(created.map((event) => [event.data.artifact.name, event.data.artifact.mimeType, event.data.artifact.cellId])).toEqual([
      ['out.csv', 'text/csv', inserted.id],
    ]);
    const response = await fetch(`${stack.baseUrl}/v1/artifacts/${created[0]?.data.artifact.id ?? ''}`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/csv');
    expect(await response.text()).toBe('region,units\nnorth,7\nsouth,5\n');
    return { stack, apiKey, chatId, writerCellId: inserted.id };
  } catch (error) {
    await stack.stop();
    throw error;
  } finally {
    await socket?.close();
  }
}
