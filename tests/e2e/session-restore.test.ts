import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CellOutput, ChatEvent } from '@assay/contracts';
import { AssayClient } from '@assay/client';
import { ChatRecorder } from '../support/api-client';
import { ServiceStack } from '../support/service-stack';

/**
 * A chat never loses its analysis state: when its kernel is gone (the executor was killed, the
 * kernel crashed, the idle timeout freed it), the next message rebuilds it by replaying the
 * chat's successful cells, says so with a session.restored event, then runs.
 */

const IDLE_TTL_MS = 1500;

let stack: ServiceStack;
let api: AssayClient;
const recorders = new Map<string, ChatRecorder>();

beforeAll(async () => {
  stack = await ServiceStack.start({ env: { CODEGEN_PROVIDER: 'scripted', ASSAY_KERNEL_IDLE_TTL_MS: String(IDLE_TTL_MS) } });
  const { apiKey } = await stack.createTenant();
  api = new AssayClient({ baseUrl: stack.baseUrl, apiKey });
});

afterAll(async () => {
  for (const recorder of recorders.values()) recorder.close();
  await stack?.stop();
});

function script(...sources: string[]): string {
  return JSON.stringify({ cells: sources.map((source) => ({ kind: 'code', source })) });
}

async function openChat(): Promise<string> {
  const chatId = (await api.createChat()).id;
  recorders.set(chatId, new ChatRecorder(api, chatId));
  return chatId;
}

/** Posts a message and waits for its end; returns its terminal event and its events. */
async function ask(chatId: string, content: string): Promise<{ terminal: ChatEvent; events: ChatEvent[] }> {
  const recorder = recorders.get(chatId);
  if (recorder === undefined) throw new Error(`chat ${chatId} was not opened with openChat()`);
  const message = await api.postMessage(chatId, { content });
  const terminal = await recorder.waitForEvent(
    (event) => event.messageId === message.id && (event.type === 'message.completed' || event.type === 'message.failed'),
  );
  return { terminal, events: recorder.events.filter((event) => event.messageId === message.id) };
}

function printed(events: readonly ChatEvent[]): string {
  return events
    .flatMap((event) => (event.type === 'cell.output' ? [event.data.output] : []))
    .map((output: CellOutput) => (output.output_type === 'stream' ? output.text : ''))
    .join('');
}

describe('self-healing sessions', () => {
  it('rebuilds the kernel on a new executor after the old one was SIGKILLed mid-conversation', async () => {
    const chatId = await openChat();
    const first = await ask(chatId, script('import random\nrows = [1, 2, 3]', 'total = sum(rows)\nprint("total", total)'));
    expect(first.terminal.type).toBe('message.completed');
    expect(first.events.some((event) => event.type === 'session.restored')).toBe(false);

    await stack.crashAndRestart('executor-worker');

    const second = await ask(chatId, script('rows.append(10)\nprint("again", total, sum(rows))'));
    expect(second.terminal.type).toBe('message.completed');
    const types = second.events.map((event) => event.type);
    const restored = second.events.find((event) => event.type === 'session.restored');
    expect(restored?.data).toMatchObject({ replayedCells: 2, failedCellIds: [] });
    // Restored before the new cell ran, and the replay printed nothing of its own.
    expect(types.indexOf('session.restored')).toBeLessThan(types.indexOf('cell.started'));
    expect(printed(second.events)).toBe('again 6 16\n');
  });

  it('rebuilds the state after the kernel itself died, replaying only cells that had succeeded', async () => {
    const chatId = await openChat();
    expect((await ask(chatId, script('base = 40'))).terminal.type).toBe('message.completed');
    const failed = await ask(chatId, script('undefined_name + 1'));
    expect(failed.terminal.type).toBe('message.failed');
    const crashed = await ask(chatId, script('import os\nos._exit(1)'));
    expect(crashed.terminal.type).toBe('message.failed');

    const after = await ask(chatId, script('print("answer", base + 2)'));

    expect(after.terminal.type).toBe('message.completed');
    expect(after.events.find((event) => event.type === 'session.restored')?.data).toMatchObject({ replayedCells: 1, failedCellIds: [] });
    expect(printed(after.events)).toBe('answer 42\n');
  });

  it('rebuilds the state of a chat whose idle kernel was freed', async () => {
    const chatId = await openChat();
    expect((await ask(chatId, script('kept = "still here"'))).terminal.type).toBe('message.completed');
    // Let the idle sweeper free the kernel (it runs every IDLE_TTL_MS).
    await new Promise((resolve) => setTimeout(resolve, IDLE_TTL_MS * 3));
    expect(stack.logs('executor-worker').some((line) => line.includes('closing idle kernel') && line.includes(chatId))).toBe(true);

    const after = await ask(chatId, script('print(kept)'));

    expect(after.events.find((event) => event.type === 'session.restored')?.data).toMatchObject({ replayedCells: 1 });
    expect(printed(after.events)).toBe('still here\n');
  });
});
