import { E2bTestServer } from '../support/e2b/e2b-test-server';
import { e2bTestBackend } from '../support/e2b/e2b-test-backend';
import { describeBackendConformance } from './backend-conformance';

// The local E2B test server, driven by the real @e2b/code-interpreter SDK; started with the
// first sandbox.
let server: Promise<E2bTestServer> | undefined;

describeBackendConformance({
  name: 'e2b (@e2b/code-interpreter against the local E2B test server)',
  create: async (workspaceDir) => {
    server ??= E2bTestServer.start();
    return e2bTestBackend(await server).create({ workspaceDir });
  },
  cleanup: async () => {
    await (await server?.catch(() => undefined))?.close();
  },
  knownDifferences: {
    // E2B has no interrupt call: E2bSandbox.interrupt() replaces the kernel (see its docs).
    interrupt: 'replaces-kernel',
    // E2B's server strips the quotes of a string's repr (api/models/result.py).
    stringResult: 'unquoted',
    // E2B's server interrupts a cell only once its request is dropped: the KeyboardInterrupt
    // report has no request left to reach.
    timeoutOutputs: 'timeout-only',
  },
});
