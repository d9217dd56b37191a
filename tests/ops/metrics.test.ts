import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiClient, EventSocket, expectOk } from '../support/api-client';
import { MockAnthropicServer, notebookStream } from '../support/mock-anthropic-server';
import { ServiceStack, type ServiceName } from '../support/service-stack';
import { sampleSum, scrape } from './prometheus-text';

/**
 * /metrics of every service after real work: the gateway's request latencies by route template
 * and the queue depths, each worker's job durations, the executor's live sessions, the codegen
 * worker's tokens (as the model reported them).
 */

let mock: MockAnthropicServer;
let stack: ServiceStack;

beforeAll(async () => {
  mock = await MockAnthropicServer.start();
  mock.replyByDefault({
    kind: 'stream',
    events: notebookStream([{ kind: 'code', source: "import pandas as pd\nprint(pd.read_csv('/mnt/data/sales.csv').units.sum())" }], {
      usage: { input_tokens: 700, output_tokens: 250, cache_read_input_tokens: 40, cache_creation_input_tokens: 0 },
    }),
  });
  // Port 0: each worker's metrics endpoint takes a free port and logs its URL.
  stack = await ServiceStack.start({
    env: { ANTHROPIC_API_KEY: 'sk-ant-local-test', ANTHROPIC_BASE_URL: mock.url, ASSAY_WARM_POOL_SIZE: '0', ASSAY_METRICS_PORT: '0' },
  });
});

afterAll(async () => {
  await stack?.stop();
  await mock?.close();
});

/** The metrics URL a worker logged when it started. */
function metricsUrl(service: ServiceName): string {
  for (const line of stack.logs(service)) {
    const entry = JSON.parse(line) as { msg?: unknown; url?: unknown };
    if (entry.msg === 'metrics listening' && typeof entry.url === 'string') return entry.url;
  }
  throw new Error(`${service} logged no metrics URL`);
}

describe('/metrics', () => {
  it('reports real values from every service after an upload and an analysis', async () => {
    const { apiKey } = await stack.createTenant();
    const api = new ApiClient(stack.baseUrl, apiKey);
    const socket = await EventSocket.open(stack.baseUrl, apiKey);
    try {
      const file = expectOk(await api.uploadFile('sales.csv', 'region,units\nnorth,3\nsouth,4\n', 'text/csv'));
      const chatId = expectOk(await api.createChat()).id;
      socket.subscribe(chatId);
      await socket.waitForFrame((frame) => frame.type === 'subscribed');
      const message = expectOk(await api.postMessage(chatId, { content: 'Total units?', fileIds: [file.id] }));
      const terminal = await socket.waitForEvent((event) => event.messageId === message.id && (event.type === 'message.completed' || event.type === 'message.failed'));
      expect(terminal.type).toBe('message.completed');
      expect((await api.getChat(`${chatId}`)).status).toBe(200);
    } finally {
      await socket.close();
    }

    const gateway = await scrape(`${stack.baseUrl}/metrics`);
    const latency = 'assay_http_request_duration_seconds_count';
    expect(sampleSum(gateway, latency, { route: '/v1/files', method: 'POST', status: '202', service: 'gateway' })).toBe(1);
    expect(sampleSum(gateway, latency, { route: '/v1/chats/:chatId/messages', method: 'POST', status: '202' })).toBe(1);
    expect(sampleSum(gateway, latency, { route: '/v1/chats/:chatId', method: 'GET', status: '200' })).toBe(1);
    // No concrete id ever becomes a label.
    expect(gateway.filter((sample) => /[0-9a-f]{8}-[0-9a-f]{4}/.test(sample.labels.route ?? ''))).toEqual([]);
    expect(sampleSum(gateway, 'assay_http_request_duration_seconds_sum', { route: '/v1/files', method: 'POST' })).toBeGreaterThan(0);
    expect(sampleSum(gateway, 'assay_queue_depth', { queue: 'ingest' })).toBe(0);
    expect(sampleSum(gateway, 'assay_queue_depth', { queue: 'execute' })).toBe(0);

    const ingest = await scrape(metricsUrl('ingest-worker'));
    expect(sampleSum(ingest, 'assay_job_duration_seconds_count', { queue: 'ingest', outcome: 'completed', service: 'ingest-worker' })).toBe(1);

    const codegen = await scrape(metricsUrl('codegen-worker'));
    expect(sampleSum(codegen, 'assay_job_duration_seconds_count', { queue: 'codegen', outcome: 'completed' })).toBe(1);
    expect(sampleSum(codegen, 'assay_codegen_tokens_total', { kind: 'input' })).toBe(700);
    expect(sampleSum(codegen, 'assay_codegen_tokens_total', { kind: 'output' })).toBe(250);
    expect(sampleSum(codegen, 'assay_codegen_tokens_total', { kind: 'cache_read' })).toBe(40);

    const executor = await scrape(metricsUrl('executor-worker'));
    expect(sampleSum(executor, 'assay_job_duration_seconds_count', { queue: 'execute', outcome: 'completed' })).toBe(1);
    expect(sampleSum(executor, 'assay_active_sessions', { service: 'executor-worker' })).toBe(1);
    expect(sampleSum(executor, 'assay_process_resident_memory_bytes')).toBeGreaterThan(0);

    // With no ingest worker running, an upload waits in its queue, and the depth says so.
    await stack.crash('ingest-worker');
    expectOk(await api.uploadFile('waiting.csv', 'a,b\n1,2\n', 'text/csv'));
    expect(sampleSum(await scrape(`${stack.baseUrl}/metrics`), 'assay_queue_depth', { queue: 'ingest' })).toBe(1);
  });
});
