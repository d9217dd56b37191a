import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { CellDraft } from '@assay/contracts';
import {
  DEFAULT_ANTHROPIC_MAX_TOKENS,
  DEFAULT_ANTHROPIC_MODEL,
  NOTEBOOK_DRAFT_JSON_SCHEMA,
  SYSTEM_PROMPT,
  createCodegenProvider,
  type AnthropicCodegenConfig,
  type CodegenFile,
  type CodegenRequest,
} from '@assay/codegen';
import { ErrorCode } from '@assay/errors';
import {
  MockAnthropicServer,
  apiErrorBody,
  notebookStream,
  stalledStream,
  textOnlyStream,
} from '../support/mock-anthropic-server';
import { runPython } from './support/python';

/**
 * The anthropic provider driven through the real @anthropic-ai/sdk against a local server that
 * speaks the Messages API streaming protocol.
 */

const API_KEY = 'sk-ant-test-key';

const CELLS: CellDraft[] = [
  { kind: 'markdown', source: 'Total amount per region, largest first.' },
  { kind: 'code', source: 'totals = df_orders.groupby("region")["amount"].sum().sort_values(ascending=False)\ndisplay(totals)' },
];

/** Values that exist only inside the data files, never in their metadata. */
const MARKERS = ['ZEBRA-7731-NORTH', 'ZEBRA-4410-SOUTH', '918273.64', 'ZEBRA-SHEET-VALUE', 'zebra@example.invalid'];

describe('AnthropicCodegenProvider against a local Messages API', () => {
  let server: MockAnthropicServer;
  let dataDir: string;

  beforeEach(async () => {
    server = await MockAnthropicServer.start();
    dataDir = await mkdtemp(join(tmpdir(), `assay-codegen-${randomUUID()}-`));
  });

  afterEach(async () => {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  function provider(overrides: Partial<AnthropicCodegenConfig> = {}) {
    return createCodegenProvider({ provider: 'anthropic', apiKey: API_KEY, baseURL: server.url, maxRetries: 0, ...overrides });
  }

  const simpleRequest: CodegenRequest = {
    question: 'Which region has the largest total amount?',
    files: [
      {
        name: 'orders.csv',
        path: '/mnt/data/orders.csv',
        format: 'csv',
        sizeBytes: 100,
        sheets: [{ name: 'orders', headers: ['region', 'amount'], rowCount: 2 }],
      },
    ],
    history: [],
  };

  /**
   * Writes real files holding the marker values, and describes them the way ingest does:
   * from the header row and a row count only.
   */
  async function requestFromRealFiles(): Promise<CodegenRequest> {
    const csvRows = [
      'customer id,region,amount,contact email',
      `1,${MARKERS[0]},${MARKERS[2]},${MARKERS[4]}`,
      `2,${MARKERS[1]},10.5,someone@example.invalid`,
      '3,West,7,',
    ];
    await writeFile(join(dataDir, 'Customer Orders.csv'), `${csvRows.join('\n')}\n`);
    const metadata = JSON.parse(
      await runPython(
        [
          'import json, sys, openpyxl',
          'path = sys.argv[1]',
          'book = openpyxl.Workbook()',
          'first = book.active',
          'first.title = "Targets 2025"',
          'first.append(["team", "target"])',
          'first.append([sys.argv[2], 100])',
          'second = book.create_sheet("Notes")',
          'second.append(["note"])',
          'second.append([sys.argv[2]])',
          'second.append(["plain"])',
          'book.save(path)',
          '# Read back as ingest does: sheet names, the header row and the number of data rows.',
          'book = openpyxl.load_workbook(path, read_only=True)',
          'sheets = []',
          'for sheet in book.worksheets:',
          '    rows = list(sheet.iter_rows(values_only=True))',
          '    sheets.append({"name": sheet.title, "headers": [str(v) for v in rows[0]], "rowCount": len(rows) - 1})',
          'print(json.dumps(sheets))',
        ].join('\n'),
        [join(dataDir, 'plan.xlsx'), MARKERS[3] ?? ''],
      ),
    ) as CodegenFile['sheets'];

    const csvText = await readFile(join(dataDir, 'Customer Orders.csv'), 'utf8');
    // The markers really are in the data, so their absence from the request means something.
    for (const marker of [MARKERS[0], MARKERS[1], MARKERS[2], MARKERS[4]]) expect(csvText).toContain(marker);
    const [header = '', ...rows] = csvText.trimEnd().split('\n');
    const files: CodegenFile[] = [
      {
        name: 'Customer Orders.csv',
        path: '/mnt/data/Customer Orders.csv',
        format: 'csv',
        sizeBytes: Buffer.byteLength(csvText),
        sheets: [{ name: 'Customer Orders', headers: header.split(','), rowCount: rows.length }],
      },
      { name: 'plan.xlsx', path: '/mnt/data/plan.xlsx', format: 'xlsx', sizeBytes: 5000, sheets: metadata },
    ];
    return {
      question: 'Compare order amounts with the targets per region.',
      files,
      history: [{ question: 'Load the orders', cells: [{ kind: 'code', source: 'df_orders = pd.read_csv("/mnt/data/Customer Orders.csv")' }] }],
    };
  }

  it('streams the notebook, passes deltas on and reports usage', async () => {
    server.reply({ kind: 'stream', events: notebookStream(CELLS, { preamble: 'Writing the notebook now.' }) });
    const deltas: string[] = [];

    const result = await provider().generate(simpleRequest, { onDelta: (text) => deltas.push(text) });

    expect(result.cells).toEqual(CELLS);
    expect(result.model).toBe('claude-sonnet-5-5');
    expect(result.usage).toEqual({ inputTokens: 1840, outputTokens: 312, cacheReadTokens: 1500, cacheCreationTokens: 0 });
    expect(deltas.length).toBeGreaterThan(3);
    expect(deltas.join('')).toBe(`Writing the notebook now.${JSON.stringify({ cells: CELLS })}`);
  });

  it('sends the cached system prompt, the notebook tool and metadata, but no cell values', async () => {
    const request = await requestFromRealFiles();
    server.reply({ kind: 'stream', events: notebookStream(CELLS) });

    await provider().generate(request);

    expect(server.requests).toHaveLength(1);
    const sent = server.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.url).toBe('/v1/messages');
    expect(`${sent?.headers['authorization'] ?? ''}${sent?.headers['x-api-key'] ?? ''}`).toContain(API_KEY);
    expect(sent?.headers['anthropic-version']).toEqual(expect.any(String));

    const body = sent?.body as Record<string, unknown>;
    expect(body).toMatchObject({
      model: DEFAULT_ANTHROPIC_MODEL,
      max_tokens: DEFAULT_ANTHROPIC_MAX_TOKENS,
      stream: true,
      system: [{ type: 'text', text: SYSTEM_PROMPT, cache_control: { type: 'ephemeral' } }],
      tools: [{ name: 'write_notebook', input_schema: NOTEBOOK_DRAFT_JSON_SCHEMA, strict: true }],
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
    });
    expect(body).not.toHaveProperty('temperature');

    const messages = body['messages'] as Array<{ role: string; content: string }>;
    expect(messages).toHaveLength(1);
    const user = messages[0]?.content ?? '';
    for (const expected of [
      '"path":"/mnt/data/Customer Orders.csv"',
      '"path":"/mnt/data/plan.xlsx"',
      '"customer id","region","amount","contact email"',
      'Table: {"rowCount":3,"columnCount":4}',
      '{"name":"Targets 2025","rowCount":1,"columnCount":2}',
      '{"name":"Notes","rowCount":2,"columnCount":1}',
      'df_orders = pd.read_csv("/mnt/data/Customer Orders.csv")',
      'Compare order amounts with the targets per region.',
    ]) {
      expect(user).toContain(expected);
    }
    for (const marker of MARKERS) {
      expect(sent?.rawBody).not.toContain(marker);
    }
  });

  it('forces the tool when configured to', async () => {
    server.reply({ kind: 'stream', events: notebookStream(CELLS) });
    await provider({ toolChoice: 'forced', model: 'claude-haiku-4-5', maxTokens: 2048 }).generate(simpleRequest);
    expect(server.requests[0]?.body).toMatchObject({
      model: 'claude-haiku-4-5',
      max_tokens: 2048,
      tool_choice: { type: 'tool', name: 'write_notebook' },
    });
  });

  it('asks again once after a tool input of the wrong shape, then fails with CODEGEN_INVALID_OUTPUT', async () => {
    const wrong = { kind: 'stream' as const, events: notebookStream([], { rawInput: JSON.stringify({ cells: [{ kind: 'sql', source: 'select 1' }] }) }) };
    server.reply(wrong).reply(wrong);
    await expect(provider().generate(simpleRequest)).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_INVALID_OUTPUT,
      retryable: false,
      details: { rejectedAnswers: 2 },
      message: expect.stringMatching(/write_notebook tool input is not a notebook[\s\S]*at cells\[0\]\.kind[\s\S]*2 answers were rejected/),
    });
    expect(server.requests).toHaveLength(2);
  });

  it('recovers when the answer after an invalid one is valid, and counts the tokens of both', async () => {
    server
      .reply({ kind: 'stream', events: notebookStream([], { rawInput: '{"cells": [nope]}' }) })
      .reply({ kind: 'stream', events: notebookStream(CELLS) });
    const result = await provider().generate(simpleRequest);
    expect(result.cells).toEqual(CELLS);
    expect(server.requests).toHaveLength(2);
    const single = await (async () => {
      server.reply({ kind: 'stream', events: notebookStream(CELLS) });
      return provider().generate(simpleRequest);
    })();
    expect(result.usage?.inputTokens).toBe(2 * (single.usage?.inputTokens ?? 0));
  });

  it('rejects malformed tool JSON with CODEGEN_INVALID_OUTPUT', async () => {
    server.replyByDefault({ kind: 'stream', events: notebookStream([], { rawInput: '{"cells": [nope]}' }) });
    await expect(provider().generate(simpleRequest)).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_INVALID_OUTPUT,
      message: expect.stringContaining('not valid JSON'),
    });
  });

  it('asks again after a stream cut mid-way', async () => {
    const events = notebookStream(CELLS);
    server.reply({ kind: 'stream', events: events.slice(0, 4), cut: true }).reply({ kind: 'stream', events });
    const result = await provider().generate(simpleRequest);
    expect(result.cells).toEqual(CELLS);
    expect(server.requests).toHaveLength(2);
  });

  it('fails with a retryable CODEGEN_FAILED when the stream is cut again', async () => {
    server.replyByDefault({ kind: 'stream', events: notebookStream(CELLS).slice(0, 4), cut: true });
    await expect(provider().generate(simpleRequest)).rejects.toMatchObject({ code: ErrorCode.CODEGEN_FAILED, retryable: true });
    expect(server.requests).toHaveLength(2);
  });

  it('honours retry-after on a 429 and then succeeds (SDK retries)', async () => {
    server
      .reply({ kind: 'error', status: 429, body: apiErrorBody('rate_limit_error', 'slow down'), headers: { 'retry-after': '0.05' } })
      .reply({ kind: 'stream', events: notebookStream(CELLS) });
    const result = await provider({ maxRetries: 2 }).generate(simpleRequest);
    expect(result.cells).toEqual(CELLS);
    expect(server.requests).toHaveLength(2);
  });

  it('says to raise maxTokens when the notebook was cut off', async () => {
    server.reply({
      kind: 'stream',
      events: notebookStream([], { rawInput: '{"cells":[{"kind":"code","source":"print(', stopReason: 'max_tokens' }),
    });
    await expect(provider().generate(simpleRequest)).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_INVALID_OUTPUT,
      retryable: false,
      message: expect.stringContaining('raise maxTokens'),
    });
  });

  it('rejects a reply without the tool call with CODEGEN_INVALID_OUTPUT', async () => {
    server.replyByDefault({ kind: 'stream', events: textOnlyStream('Here is some prose instead.') });
    await expect(provider().generate(simpleRequest)).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_INVALID_OUTPUT,
      message: expect.stringContaining('without calling the write_notebook tool'),
    });
  });

  it('maps a refusal to a CODEGEN_FAILED that is not retryable', async () => {
    server.reply({ kind: 'stream', events: textOnlyStream('I cannot help with that.', 'refusal') });
    await expect(provider().generate(simpleRequest)).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_FAILED,
      retryable: false,
      details: { stopReason: 'refusal' },
    });
  });

  it.each([
    [500, 'api_error'],
    [529, 'overloaded_error'],
  ])('maps HTTP %i to a retryable CODEGEN_FAILED after the configured retries', async (status, type) => {
    server.reply({ kind: 'error', status, body: apiErrorBody(type, `upstream ${type}`) });
    await expect(provider().generate(simpleRequest)).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_FAILED,
      retryable: true,
      details: { upstreamStatus: status, upstreamType: type },
    });
    expect(server.requests).toHaveLength(1);
  });

  it('lets the SDK retry an overload before succeeding', async () => {
    server
      .reply({ kind: 'error', status: 529, body: apiErrorBody('overloaded_error', 'busy'), headers: { 'retry-after-ms': '10' } })
      .reply({ kind: 'stream', events: notebookStream(CELLS) });
    const result = await provider({ maxRetries: 1 }).generate(simpleRequest);
    expect(result.cells).toEqual(CELLS);
    expect(server.requests).toHaveLength(2);
  });

  it('maps a rate limit to a retryable CODEGEN_FAILED with its retry-after', async () => {
    server.reply({ kind: 'error', status: 429, body: apiErrorBody('rate_limit_error', 'slow down'), headers: { 'retry-after': '30' } });
    await expect(provider().generate(simpleRequest)).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_FAILED,
      retryable: true,
      details: { retryAfterSeconds: 30 },
    });
  });

  it('maps a rejected key to a CODEGEN_FAILED that is not retryable', async () => {
    server.reply({ kind: 'error', status: 401, body: apiErrorBody('authentication_error', 'invalid x-api-key') });
    await expect(provider().generate(simpleRequest)).rejects.toMatchObject({ code: ErrorCode.CODEGEN_FAILED, retryable: false });
  });

  it('maps an error event inside the stream to a retryable CODEGEN_FAILED', async () => {
    const [start] = notebookStream(CELLS);
    server.reply({
      kind: 'stream',
      events: [start ?? { event: 'ping', data: {} }, { event: 'error', data: apiErrorBody('overloaded_error', 'Overloaded') }],
    });
    await expect(provider().generate(simpleRequest)).rejects.toMatchObject({ code: ErrorCode.CODEGEN_FAILED, retryable: true });
  });

  it('maps an unreachable API to a retryable CODEGEN_FAILED', async () => {
    const closed = await MockAnthropicServer.start();
    const unreachable = closed.url;
    await closed.close();
    await expect(provider({ baseURL: unreachable }).generate(simpleRequest)).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_FAILED,
      retryable: true,
    });
  });

  it('stops when the caller aborts', async () => {
    server.reply(stalledStream());
    const controller = new AbortController();
    const pending = provider().generate(simpleRequest, { signal: controller.signal });
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: ErrorCode.CODEGEN_FAILED, retryable: false, details: { reason: 'aborted' } });
  });
});
