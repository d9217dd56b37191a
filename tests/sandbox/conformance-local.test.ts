import { describeBackendConformance } from './backend-conformance';
import { testBackend } from './support';

// The local backend: ipykernel under bubblewrap over ZeroMQ ipc.
const backend = testBackend();

describeBackendConformance({
  name: 'local (bubblewrap + ZeroMQ)',
  create: (workspaceDir) => backend.create({ workspaceDir }),
  cleanup: async () => undefined,
});
