import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Options of {@link ServiceMetrics}. */
export interface ServiceMetricsOptions {
  /** The service's name, a label on every series (gateway, ingest-worker, ...). */
  service: string;
  /**
   * Also export Node's process metrics (CPU, memory, event-loop lag, handles).
   * @defaultValue true
   */
  processMetrics?: boolean;
}

/** Bounds of the HTTP latency histogram, in seconds: API calls are ms, uploads may take seconds. */
const HTTP_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Bounds of the job duration histogram, in seconds: from an ingest of a small file to a long analysis. */
const JOB_BUCKETS_SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/**
 * A process's Prometheus registry and the series Assay exports, created once in a service's
 * main.ts and handed to what records into it. Every service has the same names, so one
 * dashboard reads them all; what a service does not do it simply never records.
 *
 * Series (all with the `service` label):
 * - `assay_http_request_duration_seconds{route,method,status}` histogram (gateway)
 * - `assay_queue_depth{queue}` gauge: jobs waiting, read from Redis when scraped
 * - `assay_job_duration_seconds{queue,outcome}` histogram, `outcome` completed | failed (workers)
 * - `assay_active_sessions` gauge: chat kernels held, read when scraped (executor)
 * - `assay_codegen_tokens_total{kind,model}` counter, `kind` input | output | cache_read | cache_creation (codegen)
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly httpRequestDuration: Histogram<'route' | 'method' | 'status'>;
  readonly jobDuration: Histogram<'queue' | 'outcome'>;
  readonly tokens: Counter<'kind' | 'model'>;
  private readonly queueDepthSources: Array<() => Promise<Record<string, number>>> = [];
  private readonly activeSessionSources: Array<() => number> = [];

  constructor(options: ServiceMetricsOptions) {
    this.registry.setDefaultLabels({ service: options.service });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'assay_' });

    this.httpRequestDuration = new Histogram({
      name: 'assay_http_request_duration_seconds',
      help: 'Time from a request arriving to its answer being sent, by route template, method and status.',
      labelNames: ['route', 'method', 'status'],
      buckets: HTTP_BUCKETS_SECONDS,
      registers: [this.registry],
    });
    this.jobDuration = new Histogram({
      name: 'assay_job_duration_seconds',
      help: 'Time a worker spent on a job, by queue and outcome.',
      labelNames: ['queue', 'outcome'],
      buckets: JOB_BUCKETS_SECONDS,
      registers: [this.registry],
    });
    this.tokens = new Counter({
      name: 'assay_codegen_tokens_total',
      help: 'Model tokens used by code generation, by kind and model.',
      labelNames: ['kind', 'model'],
      registers: [this.registry],
    });
    const depthSources = this.queueDepthSources;
    new Gauge({
      name: 'assay_queue_depth',
      help: 'Jobs waiting in a queue (waiting, delayed or prioritized), read from Redis at scrape time.',
      labelNames: ['queue'],
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const source of depthSources) {
          for (const [queue, depth] of Object.entries(await source())) this.set({ queue }, depth);
        }
      },
    });
    const sessionSources = this.activeSessionSources;
    new Gauge({
      name: 'assay_active_sessions',
      help: 'Chat kernels this process holds, read at scrape time.',
      registers: [this.registry],
      collect() {
        this.set(sessionSources.reduce((total, source) => total + source(), 0));
      },
    });
  }

  /** Reports queue depths at each scrape (e.g. `JobQueues.depth` for each queue). */
  observeQueueDepth(source: () => Promise<Record<string, number>>): void {
    this.queueDepthSources.push(source);
  }

  /** Reports the number of live sessions at each scrape. */
  observeActiveSessions(source: () => number): void {
    this.activeSessionSources.push(source);
  }

  /** Records one finished job. */
  recordJob(queue: string, outcome: 'completed' | 'failed', durationMs: number): void {
    this.jobDuration.observe({ queue, outcome }, durationMs / 1000);
  }

  /** Records the tokens of one generation. */
  recordTokens(model: string, usage: { input: number; output: number; cacheRead?: number; cacheCreation?: number }): void {
    this.tokens.inc({ kind: 'input', model }, usage.input);
    this.tokens.inc({ kind: 'output', model }, usage.output);
    if (usage.cacheRead) this.tokens.inc({ kind: 'cache_read', model }, usage.cacheRead);
    if (usage.cacheCreation) this.tokens.inc({ kind: 'cache_creation', model }, usage.cacheCreation);
  }

  /** The registry in Prometheus' text format, and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
