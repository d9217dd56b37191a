import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CodegenResult,
  createCodegenProvider,
  type CodegenConfig,
  type CodegenFile,
  type CodegenRequest,
} from '@assay/codegen';
import type { CellDraft } from '@assay/contracts';
import { ErrorCode } from '@assay/errors';
import { MockAnthropicServer, notebookStream } from '../support/mock-anthropic-server';

/**
 * One contract, every provider: whatever writes the notebook, callers see the same behaviour.
 * A new provider joins by adding a case below.
 */

const FILE: CodegenFile = {
  name: 'visits.csv',
  path: '/mnt/data/visits.csv',
  format: 'csv',
  sizeBytes: 512,
  sheets: [{ name: 'visits', headers: ['day', 'visitors'], rowCount: 31 }],
};

const SCRIPTED_CELLS: CellDraft[] = [
  { kind: 'markdown', source: 'Visitors per day.' },
  { kind: 'code', source: 'df_visits = pd.read_csv("/mnt/data/visits.csv")\ndisplay(df_visits.head())' },
];

interface ProviderCase {
  config: () => CodegenConfig;
  /** A valid request this provider answers with a notebook. */
  request: () => CodegenRequest;
  /** Requests the provider sent over the network so far, where it has a network side. */
  sentRequests: () => number;
}

let server: MockAnthropicServer;

beforeAll(async () => {
  server = await MockAnthropicServer.start();
  server.replyByDefault({ kind: 'stream', events: notebookStream(SCRIPTED_CELLS) });
});

afterAll(async () => {
  await server.close();
});

const CASES: Record<'offline' | 'scripted' | 'anthropic', ProviderCase> = {
  offline: {
    config: () => ({ provider: 'offline' }),
    request: () => ({ question: 'How many visitors?', files: [FILE], history: [] }),
    sentRequests: () => 0,
  },
  scripted: {
    config: () => ({ provider: 'scripted' }),
    request: () => ({ question: JSON.stringify({ cells: SCRIPTED_CELLS }), files: [FILE], history: [] }),
    sentRequests: () => 0,
  },
  anthropic: {
    config: () => ({ provider: 'anthropic', apiKey: 'sk-conformance', baseURL: server.url, maxRetries: 0 }),
    request: () => ({ question: 'How many visitors?', files: [FILE], history: [] }),
    sentRequests: () => server.requests.length,
  },
};

describe.each(Object.entries(CASES))('%s provider conformance', (name, providerCase) => {
  const provider = () => createCodegenProvider(providerCase.config());

  it('reports its name', () => {
    expect(provider().name).toBe(name);
  });

  it('returns a valid, non-empty notebook and streams progress', async () => {
    const deltas: string[] = [];
    const result = await provider().generate(providerCase.request(), { onDelta: (text) => deltas.push(text) });

    expect(CodegenResult.safeParse(result).success).toBe(true);
    expect(result.cells.length).toBeGreaterThan(0);
    expect(result.cells.some((cell) => cell.kind === 'code')).toBe(true);
    expect(deltas.length).toBeGreaterThan(0);
  });

  it('works without options and leaves the request untouched', async () => {
    const request = providerCase.request();
    const copy = structuredClone(request);
    const frozen = deepFreeze(request);
    await expect(provider().generate(frozen)).resolves.toHaveProperty('cells');
    expect(request).toEqual(copy);
  });

  it('still answers when the onDelta listener throws', async () => {
    const result = await provider().generate(providerCase.request(), {
      onDelta: () => {
        throw new Error('listener failed');
      },
    });
    expect(result.cells.length).toBeGreaterThan(0);
  });

  it('rejects a cancelled call with CODEGEN_FAILED before doing any work', async () => {
    const before = providerCase.sentRequests();
    const controller = new AbortController();
    controller.abort();
    const request = { ...providerCase.request() };
    await expect(provider().generate(request, { signal: controller.signal })).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_FAILED,
      retryable: false,
      details: { reason: 'aborted' },
    });
    expect(providerCase.sentRequests()).toBe(before);
  });

  it('refuses a request that carries more than metadata, before sending anything', async () => {
    const before = providerCase.sentRequests();
    const request = { ...providerCase.request(), files: [{ ...FILE, firstRows: [['2024-01-01', 17]] }] };
    await expect(provider().generate(request as unknown as CodegenRequest)).rejects.toMatchObject({
      code: ErrorCode.CODEGEN_FAILED,
      retryable: false,
    });
    expect(providerCase.sentRequests()).toBe(before);
  });
});

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
