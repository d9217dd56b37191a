import http from 'node:http';
import type { Logger } from '@assay/logger';
import type { ServiceMetrics } from './service-metrics';

/** Options of {@link MetricsServer}. */
export interface MetricsServerOptions {
  metrics: ServiceMetrics;
  /** Port to listen on (0: any free port). */
  port: number;
  /**
   * Interface to listen on.
   * @defaultValue '127.0.0.1'
   */
  host?: string;
  logger: Logger;
}

/**
 * `GET /metrics` on a port of its own, for the workers (which have no HTTP server otherwise).
 * Anything else answers 404. The gateway serves `/metrics` on its own port instead.
 */
export class MetricsServer {
  private readonly server: http.Server;

  constructor(private readonly options: MetricsServerOptions) {
    this.server = http.createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics is served here.\n');
        return;
      }
      options.metrics
        .scrape()
        .then(({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body))
        .catch((error: unknown) => {
          options.logger.error({ err: error }, 'could not collect metrics');
          res.writeHead(500, { 'content-type': 'text/plain' }).end('Metrics could not be collected; see the logs.\n');
        });
    });
  }

  /** Starts listening; resolves with the port (useful with port 0). */
  async start(): Promise<number> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, host, () => resolve());
    });
    const address = this.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : this.options.port;
    this.options.logger.info({ url: `http://${host}:${port}/metrics` }, 'metrics listening');
    return port;
  }

  /** Stops listening (scrapes in progress finish). */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
  }
}

/**
 * A worker's metrics endpoint as its environment asks for it: started on ASSAY_METRICS_PORT, or
 * none when that is unset.
 */
export async function startMetricsServer(
  settings: { ASSAY_METRICS_PORT?: number | undefined; ASSAY_METRICS_HOST: string },
  metrics: ServiceMetrics,
  logger: Logger,
): Promise<MetricsServer | undefined> {
  if (settings.ASSAY_METRICS_PORT === undefined) return undefined;
  const server = new MetricsServer({ metrics, port: settings.ASSAY_METRICS_PORT, host: settings.ASSAY_METRICS_HOST, logger });
  await server.start();
  return server;
}
