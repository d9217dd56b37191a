import { E2bSandboxBackend, type E2bSandboxBackendOptions } from '@assay/sandbox';
import type { E2bTestServer } from './e2b-test-server';

/**
 * An `E2bSandboxBackend` pointed at a local E2B test server, with a short interrupt grace so
 * timeout tests stay quick.
 */
export function e2bTestBackend(server: E2bTestServer, options: Partial<E2bSandboxBackendOptions> = {}): E2bSandboxBackend {
  return new E2bSandboxBackend({
    apiKey: server.apiKey,
    apiUrl: server.apiUrl,
    sandboxUrl: server.sandboxUrl,
    interruptGraceMs: 2_000,
    ...options,
  });
}
