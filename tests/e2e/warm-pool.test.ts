import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CellOutput } from '@assay/contracts';
import { AssayClient } from '@assay/client';
import { ChatRecorder } from '../support/api-client';
import { ServiceStack } from '../support/service-stack';

/**
 * New chats take a kernel that was started (and has imported pandas, numpy and matplotlib)
 * before they asked; the pool refills itself; a released kernel takes its workspace with it.
 */

let stack: ServiceStack;
let api: AssayClient;

beforeAll(async () => {
  stack = await ServiceStack.start({ env: { CODEGEN_PROVIDER: 'scripted', ASSAY_WARM_POOL_SIZE: '1', ASSAY_KERNEL_IDLE_TTL_MS: '1000' } });
  const { apiKey } = await stack.createTenant();
  api = new AssayClient({ baseUrl: stack.baseUrl, apiKey });
});

afterAll(async () => {
  await stack?.stop();
});

async function until(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const logLines = (text: string) => stack.logs('executor-worker').filter((line) => line.includes(text));

async function runInNewChat(source: string): Promise<{ chatId: string; printed: string }> {
  const chatId = (await api.createChat()).id;
  const recorder = new ChatRecorder(api, chatId);
  const message = await api.postMessage(chatId, { content: JSON.stringify({ cells: [{ kind: 'code', source }] }) });
  const terminal = await recorder.waitForEvent((event) => event.messageId === message.id && (event.type === 'message.completed' || event.type === 'message.failed'));
  recorder.close();
  expect(terminal.type).toBe('message.completed');
  const outputs: CellOutput[] = (await api.getChat(chatId)).messages[0]?.cells[0]?.outputs ?? [];
  return { chatId, printed: outputs.map((output) => (output.output_type === 'stream' ? output.text : '')).join('') };
}

describe('warm pool', () => {
  it('gives a new chat a kernel that already imported the analysis libraries, then refills', async () => {
    await until(() => logLines('warm kernel ready').length >= 1, 'the pool to fill');

    const first = await runInNewChat("import sys\nprint(sorted(m for m in ('pandas', 'numpy', 'matplotlib.pyplot') if m in sys.modules))");

    expect(first.printed).toBe("['matplotlib.pyplot', 'numpy', 'pandas']\n");
    expect(logLines('kernel taken from the warm pool').some((line) => line.includes(first.chatId))).toBe(true);
    await until(() => logLines('warm kernel ready').length >= 2, 'the pool to refill');

    const second = await runInNewChat("print('second chat')");
    expect(logLines('kernel taken from the warm pool').some((line) => line.includes(second.chatId))).toBe(true);
  });

  it('removes a kernel’s workspace when its idle kernel is freed', async () => {
    const { chatId } = await runInNewChat("open('/mnt/data/scratch.txt', 'w').write('temporary')");
    const taken = logLines('kernel taken from the warm pool').find((line) => line.includes(chatId)) ?? logLines('kernel started').find((line) => line.includes(chatId));
    const sandboxId = (JSON.parse(taken ?? '{}') as { sandboxId?: string }).sandboxId;
    expect(sandboxId).toBeDefined();
    await until(() => logLines('closing idle kernel').some((line) => line.includes(chatId)), 'the idle kernel to be freed');
    await until(
      () => !fs.readdirSync(path.join(stack.dataDir, 'workspaces')).some((dir) => fs.existsSync(path.join(stack.dataDir, 'workspaces', dir, 'data', 'scratch.txt'))),
      'the workspace to be removed',
      10_000,
    );
  });
});
