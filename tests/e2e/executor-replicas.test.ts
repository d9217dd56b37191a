import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChatEvent } from '@assay/contracts';
import { AssayClient } from '@assay/client';
import { ChatRecorder } from '../support/api-client';
import { ServiceStack } from '../support/service-stack';

/**
 * Two executor replicas: a chat's work goes to the replica that holds its kernel (no rebuild
 * between messages); when that replica dies, its queued work moves to the other one, which
 * rebuilds the kernel by replay.
 */

let stack: ServiceStack;
let api: AssayClient;
const recorders = new Map<string, ChatRecorder>();

beforeAll(async () => {
  stack = await ServiceStack.start({ env: { CODEGEN_PROVIDER: 'scripted', ASSAY_WARM_POOL_SIZE: '0', ASSAY_EXECUTOR_HEARTBEAT_MS: '500' } });
  await stack.startReplica('executor-worker');
  const { apiKey } = await stack.createTenant();
  api = new AssayClient({ baseUrl: stack.baseUrl, apiKey });
});

afterAll(async () => {
  for (const recorder of recorders.values()) recorder.close();
  await stack?.stop();
});

/** A new chat whose events are recorded from its first one. */
async function openChat(): Promise<{ chatId: string; recorder: ChatRecorder }> {
  const chatId = (await api.createChat()).id;
  const recorder = new ChatRecorder(api, chatId);
  recorders.set(chatId, recorder);
  return { chatId, recorder };
}

function recorderOf(chatId: string): ChatRecorder {
  const recorder = recorders.get(chatId);
  if (recorder === undefined) throw new Error(`chat ${chatId} was not opened with openChat()`);
  return recorder;
}

async function ask(chatId: string, source: string): Promise<ChatEvent[]> {
  const message = await api.postMessage(chatId, { content: JSON.stringify({ cells: [{ kind: 'code', source }] }) });
  const terminal = await recorderOf(chatId).waitForEvent((event) => event.messageId === message.id && (event.type === 'message.completed' || event.type === 'message.failed'), 90_000);
  expect(terminal.type).toBe('message.completed');
  return recorderOf(chatId).events.filter((event) => event.messageId === message.id);
}

/** Waits until the replicas' logs show `total` completed execute jobs of the chat (logged just after the message's last event). */
async function untilLogged(chatId: string, total: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (executionsByReplica(chatId).reduce((sum, count) => sum + count, 0) < total) {
    if (Date.now() > deadline) throw new Error(`expected ${total} completed execute jobs in the logs, saw ${JSON.stringify(executionsByReplica(chatId))}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** How many execute jobs of the chat each replica completed. */
function executionsByReplica(chatId: string): number[] {
  return [0, 1].map(
    (replica) => stack.logs('executor-worker', replica).filter((line) => line.includes('"job completed"') && line.includes('"queue":"execute') && line.includes(chatId)).length,
  );
}

describe('executor replicas', () => {
  it('keeps a chat on the replica holding its kernel, and moves it to the other when that one dies', async () => {
    const { chatId } = await openChat();

    await ask(chatId, 'x = 1');
    for (let i = 0; i < 4; i++) {
      const events = await ask(chatId, 'x += 1');
      expect(events.some((event) => event.type === 'session.restored')).toBe(false);
    }
    await untilLogged(chatId, 5);
    const counts = executionsByReplica(chatId);
    const owner = counts.indexOf(5);
    expect(owner).toBeGreaterThanOrEqual(0);
    expect(counts[1 - owner]).toBe(0);
    const survivor = 1 - owner;
    const survivorLogs = stack.logs('executor-worker', survivor);

    await stack.crash('executor-worker', owner);
    const after = await ask(chatId, 'print("x is", x)');

    expect(after.find((event) => event.type === 'session.restored')?.data).toMatchObject({ replayedCells: 5, failedCellIds: [] });
    const printed = after.flatMap((event) => (event.type === 'cell.output' && event.data.output.output_type === 'stream' ? [event.data.output.text] : []));
    expect(printed.join('')).toBe('x is 5\n');
    // The survivor's log has index 0 now that the owner is gone.
    expect(stack.logs('executor-worker', 0)).toBe(survivorLogs);
    await untilLogged(chatId, 1);
    expect(executionsByReplica(chatId)[0]).toBe(1);
  });

  it('finishes a message whose replica was SIGKILLed while its cell ran: the other replica rebuilds the kernel and runs the cell again', async () => {
    if (stack.process('executor-worker', 1) === undefined) await stack.startReplica('executor-worker');
    const { chatId, recorder } = await openChat();
    await ask(chatId, 'base = 20');
    await untilLogged(chatId, 1);
    const owner = executionsByReplica(chatId).indexOf(1);
    expect(owner).toBeGreaterThanOrEqual(0);

    const message = await api.postMessage(chatId, {
      content: JSON.stringify({ cells: [{ kind: 'code', source: 'import time\ntime.sleep(3)\nprint("answer", base + 22)' }] }),
    });
    await recorder.waitForEvent((event) => event.messageId === message.id && event.type === 'cell.started', 60_000);
    await stack.crash('executor-worker', owner);

    const terminal = await recorder.waitForEvent((event) => event.messageId === message.id && (event.type === 'message.completed' || event.type === 'message.failed'), 90_000);
    expect(terminal.type).toBe('message.completed');
    const events = recorder.events.filter((event) => event.messageId === message.id);
    expect(events.find((event) => event.type === 'session.restored')?.data).toMatchObject({ replayedCells: 1 });
    const printed = events.flatMap((event) => (event.type === 'cell.output' && event.data.output.output_type === 'stream' ? [event.data.output.text] : []));
    expect(printed.join('')).toBe('answer 42\n');
  });
});
