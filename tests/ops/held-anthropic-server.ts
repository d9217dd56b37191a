import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { notebookStream } from '../support/mock-anthropic-server';

/**
 * A Messages API server whose replies stop half-way until the test lets them finish: the model
 * is "still generating" for as long as the test needs (e.g. while a worker is told to stop).
 * Each reply writes a notebook of one code cell printing its request number.
 */
export class HeldAnthropicServer {
  /** Requests received so far. */
  requests = 0;
  private held = true;
  private readonly waiting: Array<() => void> = [];
  private readonly arrivals: Array<() => void> = [];

  private constructor(private readonly server: Server) {}

  static async start(): Promise<HeldAnthropicServer> {
    const server = createServer();
    const held = new HeldAnthropicServer(server);
    server.on('request', (request, response) => {
      request.resume();
      request.on('end', () => {
        held.requests += 1;
        const events = notebookStream([{ kind: 'code', source: `print('reply ${held.requests}')` }]);
        response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_held_${held.requests}` });
        const write = (from: number, to?: number): void => {
          for (const { event, data } of events.slice(from, to)) response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
        };
        // message_start and ping: the generation has begun.
        write(0, 2);
        for (const arrived of held.arrivals.splice(0)) arrived();
        const finish = (): void => {
          write(2);
          response.end();
        };
        if (held.held) held.waiting.push(finish);
        else finish();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return held;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves once `count` requests have arrived and begun their reply. */
  async waitForRequests(count: number): Promise<void> {
    while (this.requests < count) await new Promise<void>((resolve) => this.arrivals.push(resolve));
  }

  /** Finishes every reply held so far, and answers later requests at once. */
  release(): void {
    this.held = false;
    for (const finish of this.waiting.splice(0)) finish();
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
  }
}
