import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { CellDraft } from '@assay/contracts';
import { NOTEBOOK_DRAFT_JSON_SCHEMA, SYSTEM_PROMPT, createCodegenProvider, type CodegenRequest, type OpenAICodegenConfig } from '@assay/codegen';
import { ErrorCode } from '@assay/errors';
import { MockOpenAIServer, notebookChunks, openAIErrorBody, textOnlyChunks } from '../support/mock-openai-server';

/**
 * The openai provider driven through the real `openai` SDK against a local server that speaks
 * the OpenAI-compatible chat completions streaming protocol (as Ollama, vLLM and LM Studio do).
 */

const CELLS: CellDraft[] = [
  { kind: 'markdown', source: 'Total amount per region.' },
  { kind: 'code', source: 'df = pd.read_csv("/mnt/data/orders.csv")\ndisplay(df.groupby("region")["amount"].sum())' },
];

const REQUEST: CodegenRequest = {
  question: 'Total amount per region?',
  files: [
    {
      name: 'orders.csv',
      path: '/mnt/data/orders.csv',
      format: 'csv',
      sizeBytes: 2048,
      sheets: [{ name: 'orders', headers: ['region', 'amount'], rowCount: 40 }],
    },
  ],
  history: [],
};

interface ChatBody {
  model: string;
  stream: boolean;
  max_tokens: number;
  temperature?: number;
  messages: { role: string; content: string }[];
  tools: { type: string; function: { name: string; parameters: unknown } }[];
  tool_choice: unknown;
}

describe('OpenAICodegenProvider against a local OpenAI-compatible API', () => {
  let server: MockOpenAIServer;

  beforeEach(async () => {
    server = await MockOpenAIServer.start();
  });

  afterEach(async () => {
    await server.close();
  });

  function provider(overrides: Partial<OpenAICodegenConfig> = {}) {
    return createCodegenProvider({ provider: 'openai', baseURL: server.url, model: 'qwen-test', maxRetries: 0, ...overrides });
  }

  it('streams the notebook through the write_notebook function, passes deltas on and reports usage', async () => {
    server.reply({ kind: 'stream', chunks: notebookChunks(CELLS, { preamble: 'Summing. ' }) });
    const deltas: string[] = [];
    const result = await provider({ temperature: 0.2 }).generate(REQUEST, { onDelta: (text) => deltas.push(text) });

    expect(result.cells).toEqual(CELLS);
    expect(result.model).toBe('mock-model');
    // prompt_tokens include the cached ones; they are reported apart.
    expect(result.usage).toEqual({ inputTokens: 500, outputTokens: 230, cacheReadTokens: 1000 });
    expect(deltas.join('')).toBe(`Summing. ${JSON.stringify({ cells: CELLS })}`);

    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request?.url).toBe('/v1/chat/completions');
    const body = request?.body as ChatBody;
    expect(body).toMatchObject({ model: 'qwen-test', stream: true, max_tokens: 8192, temperature: 0.2, tool_choice: 'auto' });
    expect(body.messages[0]).toEqual({ role: 'system', content: SYSTEM_PROMPT });
    expect(body.messages[1]?.role).toBe('user');
    expect(body.messages[1]?.content).toContain('Columns: ["region","amount"]');
    expect(body.tools).toEqual([{ type: 'function', function: expect.objectContaining({ name: 'write_notebook', parameters: NOTEBOOK_DRAFT_JSON_SCHEMA }) }]);
  });

  it('names the function in tool_choice when forced, and sends no temperature unless set', async () => {
    server.reply({ kind: 'stream', chunks: notebookChunks(CELLS) });
    await provider({ toolChoice: 'forced' }).generate(REQUEST);
    const body = server.requests[0]?.body as ChatBody;
    expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'write_notebook' } });
    expect(body).not.toHaveProperty('temperature');
  });

  it('asks again once after arguments of the wrong shape, then fails with CODEGEN_INVALID_OUTPUT', async () => {
    server.replyByDefault({ kind: 'stream', chunks: notebookChunks([], { rawArguments: JSON.stringify({ cells: [{ kind: 'sql', source: 'select 1' }] }) }) });
    await expect(provider().generate(REQUEST)).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_INVALID_OUTPUT,
      retryable: false,
      details: { rejectedAnswers: 2, usage: { inputTokens: 1000, outputTokens: 460, cacheReadTokens: 2000 } },
      message: expect.stringMatching(/not a notebook[\s\S]*at cells\[0\]\.kind[\s\S]*2 answers were rejected/),
    });
    expect(server.requests).toHaveLength(2);
  });

  it('recovers when the answer after malformed JSON is valid', async () => {
    server.reply({ kind: 'stream', chunks: notebookChunks([], { rawArguments: '{"cells": [nope]}' }) }).reply({ kind: 'stream', chunks: notebookChunks(CELLS) });
    const result = await provider().generate(REQUEST);
    expect(result.cells).toEqual(CELLS);
    expect(result.usage).toEqual({ inputTokens: 1000, outputTokens: 460, cacheReadTokens: 2000 });
    expect(server.requests).toHaveLength(2);
  });

  it('rejects a reply without the function call with CODEGEN_INVALID_OUTPUT', async () => {
    server.replyByDefault({ kind: 'stream', chunks: textOnlyChunks('Here is prose instead.') });
    await expect(provider().generate(REQUEST)).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_INVALID_OUTPUT,
      message: expect.stringContaining('without calling the write_notebook function'),
    });
  });

  it('says to raise maxTokens when the arguments were cut off by the budget', async () => {
    server.reply({ kind: 'stream', chunks: notebookChunks([], { rawArguments: '{"cells":[{"kind":"code","source":"print(', finishReason: 'length' }) });
    await expect(provider().generate(REQUEST)).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_INVALID_OUTPUT,
      retryable: false,
      message: expect.stringContaining('raise maxTokens'),
    });
    expect(server.requests).toHaveLength(1);
  });

  it('honours retry-after on a 429 and then succeeds (SDK retries)', async () => {
    server
      .reply({ kind: 'error', status: 429, body: openAIErrorBody('rate_limit_exceeded', 'slow down'), headers: { 'retry-after': '0.05' } })
      .reply({ kind: 'stream', chunks: notebookChunks(CELLS) });
    const result = await provider({ maxRetries: 2 }).generate(REQUEST);
    expect(result.cells).toEqual(CELLS);
    expect(server.requests).toHaveLength(2);
  });

  it('maps a rate limit that persists to a retryable CODEGEN_FAILED with its retry-after', async () => {
    server.replyByDefault({ kind: 'error', status: 429, body: openAIErrorBody('rate_limit_exceeded', 'slow down'), headers: { 'retry-after': '30' } });
    await expect(provider().generate(REQUEST)).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_FAILED,
      retryable: true,
      details: { provider: 'openai', upstreamStatus: 429, retryAfterSeconds: 30 },
    });
  });

  it.each([
    [503, true],
    [401, false],
    [404, false],
    [400, false],
  ])('maps HTTP %i to CODEGEN_FAILED, retryable=%s', async (status, retryable) => {
    server.replyByDefault({ kind: 'error', status, body: openAIErrorBody('error', `upstream ${status}`) });
    await expect(provider().generate(REQUEST)).rejects.toMatchObject({ code: ErrorCode.CODEGEN_FAILED, retryable, details: { upstreamStatus: status } });
  });

  it('asks again after a stream cut mid-way', async () => {
    const chunks = notebookChunks(CELLS);
    server.reply({ kind: 'stream', chunks: chunks.slice(0, 4), cut: true }).reply({ kind: 'stream', chunks });
    const result = await provider().generate(REQUEST);
    expect(result.cells).toEqual(CELLS);
    expect(server.requests).toHaveLength(2);
  });

  it('fails with a retryable CODEGEN_FAILED when the stream is cut again', async () => {
    server.replyByDefault({ kind: 'stream', chunks: notebookChunks(CELLS).slice(0, 4), cut: true });
    await expect(provider().generate(REQUEST)).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_FAILED,
      retryable: true,
      details: { reason: 'stream_interrupted' },
    });
    expect(server.requests).toHaveLength(2);
  });

  it('maps an unreachable server to a retryable CODEGEN_FAILED naming OPENAI_BASE_URL', async () => {
    const closed = await MockOpenAIServer.start();
    const url = closed.url;
    await closed.close();
    await expect(provider({ baseURL: url }).generate(REQUEST)).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_FAILED,
      retryable: true,
      message: expect.stringContaining('OPENAI_BASE_URL'),
    });
  });

  it('sends a repair request with the failing cell and its masked error, and returns the replacement cells', async () => {
    server.reply({ kind: 'stream', chunks: notebookChunks([{ kind: 'code', source: 'print(df.columns)' }]) });
    const result = await provider().generate({
      ...REQUEST,
      kind: 'repair',
      repair: {
        attempt: 1,
        cells: CELLS,
        failingCellIndex: 1,
        error: { name: 'KeyError', value: "'regio'", traceback: ["KeyError: 'regio'"] },
      },
    });
    expect(result.cells).toEqual([{ kind: 'code', source: 'print(df.columns)' }]);
    const user = (server.requests[0]?.body as ChatBody).messages[1]?.content ?? '';
    expect(user).toContain('# Repair (attempt 1)');
    expect(user).toContain('## Cell 2, code (FAILED)');
    expect(user).toContain('display(df.groupby("region")["amount"].sum())');
    expect(user).toContain('Exception: "KeyError"');
    expect(user).not.toContain('regio\'');
  });

  it('is chosen by the configuration without an API key', () => {
    expect(provider().name).toBe('openai');
    expect(() => createCodegenProvider({ provider: 'openai', baseURL: 'not a url', model: 'm' })).toThrow(/baseURL/);
  });
});
