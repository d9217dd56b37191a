import net from 'node:net';
import tls from 'node:tls';
import { Redis } from 'ioredis';
import { PROBE_TIMEOUT_MS } from '../consts';

/** What a probe of a Redis URL found. */
export type RedisProbe = { reachable: true } | { reachable: false; reason: string };

/** A command in RESP (the protocol's array of bulk strings). */
export function encodeRespCommand(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`;
}

/**
 * Connects with a plain socket (TLS for rediss://), authenticates with the URL's credentials and
 * sends PING, expecting PONG. A socket rather than a client library: one attempt, exact reasons
 * (refused, wrong password, timeout), nothing left running afterwards.
 */
export function probeRedis(redisUrl: string, timeoutMs: number = PROBE_TIMEOUT_MS): Promise<RedisProbe> {
  let url: URL;
  try {
    url = new URL(redisUrl);
  } catch {
    return Promise.resolve({ reachable: false, reason: 'not a URL' });
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    return Promise.resolve({ reachable: false, reason: `unsupported scheme ${url.protocol}` });
  }
  const host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  const port = Number(url.port || 6379);
  const username = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  const commands: string[][] = [];
  if (password) commands.push(username ? ['AUTH', username, password] : ['AUTH', password]);
  commands.push(['PING']);

  return new Promise((resolve) => {
    const socket =
      url.protocol === 'rediss:' ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host }) : net.connect({ host, port });
    let buffered = '';
    let settled = false;
    const finish = (probe: RedisProbe): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(probe);
    };
    socket.setTimeout(timeoutMs, () => finish({ reachable: false, reason: `no answer within ${timeoutMs} ms` }));
    socket.once(url.protocol === 'rediss:' ? 'secureConnect' : 'connect', () => {
      socket.write(commands.map(encodeRespCommand).join(''));
    });
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const replies = buffered.split('\r\n');
      buffered = replies.pop() ?? '';
      for (const reply of replies) {
        if (reply.startsWith('-')) return finish({ reachable: false, reason: reply.slice(1) });
        commands.shift();
        if (commands.length === 0) {
          return finish(reply === '+PONG' ? { reachable: true } : { reachable: false, reason: `PING answered ${reply}` });
        }
      }
    });
    socket.once('error', (error: NodeJS.ErrnoException) => finish({ reachable: false, reason: error.message || error.code || 'error' }));
    socket.once('close', () => finish({ reachable: false, reason: 'connection closed' }));
  });
}

/**
 * Deletes every key that starts with `prefix` (SCAN + UNLINK, so a shared Redis is never
 * blocked). Used to clean up after a test run that shared someone else's Redis.
 *
 * @returns the number of keys deleted
 */
export async function deleteKeysWithPrefix(redisUrl: string, prefix: string): Promise<number> {
  if (prefix.length === 0) throw new Error('Refusing to delete every key: the prefix is empty.');
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  client.on('error', () => undefined);
  let deleted = 0;
  try {
    await client.connect();
    const pattern = `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) deleted += await client.unlink(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    await client.quit().catch(() => client.disconnect());
  }
}
