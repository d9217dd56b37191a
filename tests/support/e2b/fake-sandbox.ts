import { randomInt, randomUUID } from 'node:crypto';
import { chmod, chown, mkdir, readdir, rm, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { join, posix } from 'node:path';
import { DEFAULT_STARTUP_CODE, LocalSandboxBackend, type Sandbox } from '@assay/sandbox';
import { HttpError } from './http';

/** Where E2B's code-interpreter template puts a context when the request names no directory. */
export const E2B_DEFAULT_CWD = '/home/user';

/** The only directory the test server's kernels can work in (the local backend's workspace). */
export const KERNEL_WORKSPACE = '/mnt/data';

/**
 * What the IPython start-up scripts of E2B's code-interpreter template
 * (`template/startup_scripts/0002_data.py`) add to every kernel, written for this server: a
 * DataFrame is also given as `e2b/data` (its columns as lists), lists and dicts as
 * application/json.
 */
const E2B_TEMPLATE_FORMATTERS = `
def _e2b_template_formatters():
    import json, sys
    from IPython import get_ipython
    from IPython.core.formatters import BaseFormatter, JSONFormatter
    from traitlets import Unicode

    class DataFrameColumns(BaseFormatter):
        format_type = Unicode("e2b/data")
        _return_type = (dict,)

        def __call__(self, obj):
            pandas = sys.modules.get("pandas")
            if pandas is None or not isinstance(obj, pandas.DataFrame):
                return None
            columns = obj.to_dict(orient="list")
            columns = {str(name): [v.isoformat() if isinstance(v, pandas.Timestamp) else v for v in values] for name, values in columns.items()}
            # Values JSON cannot carry (a dtype, a Decimal) as text, so that a frame of them
            # still displays instead of failing the cell when the kernel serialises the message.
            return json.loads(json.dumps(columns, default=str))

    class ContainersAsJson(JSONFormatter):
        def __call__(self, obj):
            if isinstance(obj, (list, dict)):
                try:
                    return json.loads(json.dumps(obj))
                except (TypeError, ValueError):
                    pass
            return super().__call__(obj)

    display = get_ipython().display_formatter
    display.formatters["e2b/data"] = DataFrameColumns(parent=display)
    display.formatters["application/json"] = ContainersAsJson(parent=display)

_e2b_template_formatters()
del _e2b_template_formatters
`;

/**
 * Host uids of the test server's sandboxes, drawn at random per sandbox: outside the local
 * backend's default range (20,000 to 59,999), so other tests' kernels never share them.
 */
const FIRST_SANDBOX_UID = 3_000_000;
const SANDBOX_UIDS = 1_000_000;

/** A code context: one kernel (here a local sandbox: ipykernel under bubblewrap). */
export interface FakeContext {
  readonly id: string;
  readonly language: 'python';
  readonly cwd: string;
  readonly kernel: Sandbox;
}

/** What the control plane knows when it creates a sandbox. */
export interface FakeSandboxInit {
  templateID: string;
  metadata: Record<string, string>;
  envVars: Record<string, string>;
  allowInternetAccess: boolean | undefined;
  lifetimeMs: number;
  /** Host directory under which the sandbox's filesystem is made. */
  baseDir: string;
  /** Short host directory for the kernels' sockets. */
  socketRoot: string;
  /** Called when the sandbox's lifetime ends (E2B kills it then). */
  onExpire: (sandbox: FakeSandbox) => void;
}

/**
 * One sandbox of the test server: its control-plane record, a filesystem (a host directory
 * standing for the VM's `/`) and its code contexts.
 *
 * Kernels are local sandboxes with the template's extra formatters (see
 * {@link E2B_TEMPLATE_FORMATTERS}), which see only their workspace: the sandbox's `/mnt/data`
 * (read-write) and the other directories under its `/mnt` that exist when the context starts
 * (read-only). Everything else envd writes is kept but invisible to code. When tests run as
 * root, every kernel of a sandbox and every file envd writes belong to one host uid of the
 * sandbox's own, as everything in an E2B VM belongs to its root: a fresh kernel can change what
 * an earlier one or an upload left.
 */
export class FakeSandbox {
  readonly id = `i${randomUUID().replaceAll('-', '').slice(0, 19)}`;
  readonly clientID = 'assay-test';
  readonly envdVersion = '0.6.4';
  readonly envdAccessToken = randomUUID();
  readonly startedAt = new Date();
  /** Host uid of the sandbox's kernels and files; undefined when tests do not run as root. */
  readonly uid = process.getuid?.() === 0 ? FIRST_SANDBOX_UID + randomInt(SANDBOX_UIDS) : undefined;
  readonly contexts = new Map<string, FakeContext>();
  /** The context `/execute` uses when the request names none. */
  defaultContextId: string | undefined;
  /** Sandbox paths written through envd, in order (one entry per file written). */
  readonly fileWrites: string[] = [];
  /** The lines the latest `/execute` streamed, keepalives aside. */
  lastExecution: Record<string, unknown>[] = [];
  endAt: Date;
  killed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly streams = new Set<ServerResponse>();

  private constructor(
    readonly init: FakeSandboxInit,
    readonly rootDir: string,
  ) {
    this.endAt = new Date();
    this.setLifetime(init.lifetimeMs);
  }

  static async create(init: FakeSandboxInit): Promise<FakeSandbox> {
    const rootDir = join(init.baseDir, randomUUID());
    // Kernels run as an unprivileged user when tests run as root: they must pass through.
    for (const dir of [rootDir, join(rootDir, 'mnt')]) {
      await mkdir(dir, { recursive: true });
      await chmod(dir, 0o711);
    }
    await mkdir(join(rootDir, 'home', 'user'), { recursive: true });
    return new FakeSandbox(init, rootDir);
  }

  /** The host path of a sandbox path (relative paths are in /home/user, as envd has them). */
  hostPath(sandboxPath: string): string {
    const absolute = posix.resolve(E2B_DEFAULT_CWD, sandboxPath);
    return join(this.rootDir, ...absolute.split('/').filter((part) => part !== ''));
  }

  /** E2B kills the sandbox `lifetimeMs` from now. */
  setLifetime(lifetimeMs: number): void {
    clearTimeout(this.timer);
    this.endAt = new Date(Date.now() + lifetimeMs);
    this.timer = setTimeout(() => this.init.onExpire(this), lifetimeMs);
    this.timer.unref();
  }

  /** Starts a kernel working in `cwd`, as the code-interpreter server does for POST /contexts. */
  async createContext(cwd: string): Promise<FakeContext> {
    if (cwd !== KERNEL_WORKSPACE) {
      throw new HttpError(500, `The test server's kernels work in ${KERNEL_WORKSPACE} only, not ${cwd}`);
    }
    const workspaceDir = this.hostPath(KERNEL_WORKSPACE);
    if (!(await stat(workspaceDir).catch(() => undefined))?.isDirectory()) {
      throw new HttpError(500, 'Failed to set working directory');
    }
    const readOnlyBinds = [];
    for (const entry of await readdir(this.hostPath('/mnt'), { withFileTypes: true })) {
      if (entry.isDirectory() && entry.name !== 'data') {
        readOnlyBinds.push({ hostPath: join(this.hostPath('/mnt'), entry.name), sandboxPath: `/mnt/${entry.name}` });
      }
    }
    const id = randomUUID();
    // A backend per kernel: the local backend gives each of its sandboxes a uid of its own.
    const engine = new LocalSandboxBackend({
      socketRoot: this.init.socketRoot,
      interruptGraceMs: 2_000,
      startupCode: `${DEFAULT_STARTUP_CODE}\n${E2B_TEMPLATE_FORMATTERS}`,
      ...(this.uid === undefined ? {} : { kernelUidRange: { first: this.uid, size: 1 } }),
    });
    const kernel = await engine.create({ workspaceDir, readOnlyBinds, sandboxId: id });
    const context: FakeContext = { id, language: 'python', cwd, kernel };
    this.contexts.set(id, context);
    return context;
  }

  /** Stops a context's kernel; a cell running in it ends. */
  async removeContext(context: FakeContext): Promise<void> {
    this.contexts.delete(context.id);
    if (this.defaultContextId === context.id) this.defaultContextId = undefined;
    await context.kernel.close();
  }

  /** Gives a path envd made to the sandbox's uid (see the class comment). */
  async own(hostPath: string): Promise<void> {
    if (this.uid !== undefined) await chown(hostPath, this.uid, this.uid);
  }

  /** Remembers a streaming response, so that killing the sandbox drops its connection as a dead VM would. */
  track(response: ServerResponse): void {
    this.streams.add(response);
    response.on('close', () => this.streams.delete(response));
  }

  /** Stops everything and removes the filesystem. */
  async kill(): Promise<void> {
    if (this.killed) return;
    this.killed = true;
    clearTimeout(this.timer);
    for (const response of this.streams) response.destroy();
    await Promise.all([...this.contexts.values()].map((context) => context.kernel.close()));
    this.contexts.clear();
    await rm(this.rootDir, { recursive: true, force: true });
  }
}
