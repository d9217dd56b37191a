import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { E2bTestServer } from '../support/e2b/e2b-test-server';
import type { ServiceStack } from '../support/service-stack';
import { runRemoteBackendScenario } from './executor-backend-scenario';

/**
 * The whole system with ASSAY_SANDBOX_BACKEND=e2b against the local E2B test server (driven by
 * the real @e2b/code-interpreter SDK in the executor): files are uploaded into the sandbox's
 * /mnt/data, and what a cell writes there is downloaded through the sandbox's file API as an
 * artifact.
 */

let server: E2bTestServer;
let stack: ServiceStack | undefined;

beforeAll(async () => {
  server = await E2bTestServer.start();
});

afterAll(async () => {
  await stack?.stop();
  await server?.close();
}, 60_000);

describe('executor with the e2b backend', () => {
  it('answers a question on an uploaded CSV and keeps a file a cell writes to /mnt/data', async () => {
    ({ stack } = await runRemoteBackendScenario({
      ASSAY_SANDBOX_BACKEND: 'e2b',
      E2B_API_KEY: server.apiKey,
      E2B_API_URL: server.apiUrl,
      E2B_SANDBOX_URL: server.sandboxUrl,
    }));
    expect(server.sandboxIds.length).toBeGreaterThan(0);
  }, 240_000);
});
