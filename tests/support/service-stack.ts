import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createPrismaClient, createTenantWithApiKey, type PrismaClient } from '@assay/db';
import { testEnvironment } from './test-environment';

export const REPO_ROOT = path.resolve(__dirname, '../..');

/** The four services, in start order. */
export const SERVICES = ['gateway', 'ingest-worker', 'codegen-worker', 'executor-worker'] as const;
export type ServiceName = (typeof SERVICES)[number];

/** The log line each service prints once it can take work. */
const READY_MESSAGES: Record<ServiceName, string> = {
  gateway: 'gateway listening',
  'ingest-worker': 'ingest worker ready',
  'codegen-worker': 'codegen worker ready',
  'executor-worker': 'executor worker ready',
};

export interface ServiceStackOptions {
  /** Extra environment for every service (e.g. CODEGEN_PROVIDER). */
  env?: Record<string, string>;
  /** @defaultValue 30_000 */
  startTimeoutMs?: number;
}

interface RunningService {
  name: ServiceName;
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
  /** The environment it was started with (a gateway replica has its own PORT). */
  env: Record<string, string>;
}

/**
 * The real system for a test file: the four built services (`services/* /dist/main.js`) as child
 * processes, on the test run's Redis and PostgreSQL, with their own key prefix, data directory
 * and gateway port, so test files never see each other's queues, events or blobs.
 */
export class ServiceStack {
  readonly prisma: PrismaClient;
  private readonly services: RunningService[] = [];

  private constructor(
    readonly baseUrl: string,
    readonly dataDir: string,
    readonly keyPrefix: string,
    /** Where each service's output is kept (`<service>.log`), also after the stack stops. */
    readonly logDir: string,
    private readonly env: Record<string, string>,
  ) {
    this.prisma = createPrismaClient(env.DATABASE_URL ?? '', { maxConnections: 2 });
  }

  static async start(options: ServiceStackOptions = {}): Promise<ServiceStack> {
    const base = testEnvironment();
    const port = await freePort();
    const dataDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'assay-stack-'));
    // Kernels run as an unprivileged user and must be able to reach their workspace below it.
    await fs.promises.chmod(dataDir, 0o711);
    const keyPrefix = `${base.keyPrefix}-${randomUUID().slice(0, 8)}`;
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      DATABASE_URL: base.databaseUrl,
      REDIS_URL: base.redisUrl,
      ASSAY_KEY_PREFIX: keyPrefix,
      ASSAY_DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'debug',
      ...options.env,
    };
    const logDir = path.join(REPO_ROOT, '.assay', 'test', 'logs', keyPrefix);
    await fs.promises.mkdir(logDir, { recursive: true });
    const stack = new ServiceStack(`http://127.0.0.1:${port}`, dataDir, keyPrefix, logDir, env);
    try {
      await Promise.all(SERVICES.map((name) => stack.spawn(name, options.startTimeoutMs ?? 30_000)));
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  /** A new tenant with an API key, made directly in the database. */
  async createTenant(name = `tenant-${randomUUID().slice(0, 8)}`): Promise<{ tenantId: string; apiKey: string }> {
    return createTenantWithApiKey(this.prisma, { tenantName: name });
  }

  /** Log lines a service printed so far (pino JSON), for assertions and failure reports; `replica` counts from 0 in start order. */
  logs(name: ServiceName, replica = 0): readonly string[] {
    return this.replicas(name)[replica]?.lines ?? [];
  }

  /** The process of a running service (tests that kill one need it). */
  process(name: ServiceName, replica = 0): ChildProcess | undefined {
    return this.replicas(name)[replica]?.child;
  }

  /** Starts one more process of a service (another replica); resolves with its replica index once ready. */
  async startReplica(name: ServiceName, timeoutMs = 30_000): Promise<number> {
    // Another gateway needs a port of its own; reach it with gatewayUrl(replica).
    const env = name === 'gateway' ? { ...this.env, PORT: String(await freePort()) } : this.env;
    await this.spawn(name, timeoutMs, `${name}-${this.replicas(name).length}`, env);
    return this.replicas(name).length - 1;
  }

  /** Base URL of one gateway replica (replica 0 is `baseUrl`). */
  gatewayUrl(replica = 0): string {
    const running = this.replicas('gateway')[replica];
    if (running === undefined) throw new Error(`gateway replica ${replica} is not running`);
    return `http://127.0.0.1:${running.env.PORT ?? ''}`;
  }

  private replicas(name: ServiceName): RunningService[] {
    return this.services.filter((service) => service.name === name);
  }

  /**
   * Kills a service abruptly (SIGKILL: no shutdown handler runs, as in a crash or an OOM kill)
   * and starts a new process of it, resolving once that one is ready.
   */
  async crashAndRestart(name: ServiceName, timeoutMs = 30_000): Promise<void> {
    await this.crash(name);
    await this.spawn(name, timeoutMs);
  }

  /** Kills one replica of a service with SIGKILL (no shutdown handler runs) and forgets it. */
  async crash(name: ServiceName, replica = 0): Promise<void> {
    const running = this.replicas(name)[replica];
    if (running === undefined) throw new Error(`${name} replica ${replica} is not running`);
    this.services.splice(this.services.indexOf(running), 1);
    running.child.kill('SIGKILL');
    await running.exited;
  }

  /**
   * Sends SIGTERM to one replica of a service (a graceful stop, as Kubernetes does) and forgets
   * it; resolves with its exit code once it has exited (SIGKILL after `timeoutMs`, then null).
   * Call without awaiting to act while it drains.
   */
  async terminate(name: ServiceName, replica = 0, timeoutMs = 30_000): Promise<number | null> {
    const running = this.replicas(name)[replica];
    if (running === undefined) throw new Error(`${name} replica ${replica} is not running`);
    this.services.splice(this.services.indexOf(running), 1);
    running.child.kill('SIGTERM');
    const timer = setTimeout(() => running.child.kill('SIGKILL'), timeoutMs);
    const code = await running.exited;
    clearTimeout(timer);
    return code;
  }

  /** Stops every service with SIGTERM (SIGKILL after 15 s) and removes the data directory. */
  async stop(): Promise<void> {
    await Promise.all(
      this.services.map(async (service) => {
        if (service.child.exitCode !== null || service.child.signalCode !== null) return;
        service.child.kill('SIGTERM');
        const timer = setTimeout(() => service.child.kill('SIGKILL'), 15_000);
        await service.exited;
        clearTimeout(timer);
      }),
    );
    await this.prisma.$disconnect();
    await fs.promises.rm(this.dataDir, { recursive: true, force: true });
  }

  private spawn(name: ServiceName, timeoutMs: number, logName: string = name, env: Record<string, string> = this.env): Promise<void> {
    const child = spawn(process.execPath, [path.join(REPO_ROOT, 'services', name, 'dist', 'main.js')], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: string[] = [];
    const logFile = fs.createWriteStream(path.join(this.logDir, `${logName}.log`), { flags: 'a' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    void exited.then(() => logFile.end());
    this.services.push({ name, child, lines, exited, env });

    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${name} did not become ready within ${timeoutMs} ms:\n${lines.slice(-20).join('\n')}`)),
        timeoutMs,
      );
      const onLine = (line: string) => {
        lines.push(line);
        logFile.write(`${line}\n`);
        if (line.includes(`"msg":"${READY_MESSAGES[name]}"`)) {
          clearTimeout(timer);
          resolve();
        }
      };
      forEachLine(child.stdout, onLine);
      forEachLine(child.stderr, onLine);
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with code ${code} before it was ready:\n${lines.slice(-20).join('\n')}`));
      });
    });
  }
}

function forEachLine(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  let buffered = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
    }
  });
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
