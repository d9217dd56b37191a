import net from 'node:net';

/** Loopback address every server of the stack binds to. */
export const LOOPBACK_HOST = '127.0.0.1';

function listenOnce(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen({ port, host, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** True when nothing listens on `host:port` (checked by binding it for a moment). */
export async function isPortFree(port: number, host: string = LOOPBACK_HOST): Promise<boolean> {
  return (await listenOnce(port, host)) !== undefined;
}

/**
 * Returns `preferredPort` when it is free, otherwise a free port chosen by the kernel.
 * Pass 0 (or nothing) to always get a kernel-chosen port. The port is only known to be free at
 * the time of the check: servers started on it retry with another port if they lose a race.
 */
export async function findFreePort(preferredPort = 0, host: string = LOOPBACK_HOST): Promise<number> {
  if (preferredPort > 0 && (await isPortFree(preferredPort, host))) return preferredPort;
  const port = await listenOnce(0, host);
  if (port === undefined) throw new Error(`No free TCP port could be bound on ${host}.`);
  return port;
}

/** Options of {@link waitForPort}. */
export interface WaitForPortOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Time between attempts. @defaultValue 200 */
  intervalMs?: number;
  /** Stops waiting early (resolves false) when this returns true. */
  shouldStop?: () => boolean;
}

function canConnect(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    socket.setTimeout(1_000);
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => finish(true));
    socket.once('timeout', () => finish(false));
    socket.once('error', () => finish(false));
  });
}

/** Resolves true once a TCP connection to `host:port` succeeds, false on timeout or stop. */
export async function waitForPort(port: number, host: string, options: WaitForPortOptions): Promise<boolean> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (options.shouldStop?.()) return false;
    if (await canConnect(port, host)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}
